"""Markdown to safe HTML for lessons and question texts.

An image alone in its paragraph whose address is one of the lesson's figures becomes
`<figure><img src alt><figcaption>`; every other image becomes its alt text. nh3 cleans the result,
and keeps an <img> only with an address made here (a figure of the module, by a relative URL)."""
from __future__ import annotations

import functools
import html as htmllib
import re

import nh3
from flask_babel import force_locale, gettext
from markdown_it import MarkdownIt
from markdown_it.token import Token

# Part of each lesson's content hash: raise it when the HTML made from the same Markdown changes,
# so that the next `flask courses import` renders the saved lessons again.
RENDERING = 3

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True}).enable("table")

_TAGS = {
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "a", "hr", "br", "figure", "figcaption", "img",
}
# the address of a figure from the lesson page (/learn/modules/<slug>/lessons/<lesson>), with its content hash
FIGURE_SRC = re.compile(r"^\.\./figures/[a-z0-9][a-z0-9-]*(?:\.[a-z]{2})?\.svg\?v=[0-9a-f]{12}$")
_TABLE = re.compile(r"<table>.*?</table>", re.S)
_CAPTION = re.compile(r"<caption>(.*?)</caption>", re.S)
_HEADING_BEFORE = re.compile(r"<h([2-4])>((?:(?!<h[1-6]>).)*?)</h\1>\s*$", re.S)  # the last one, just before
_TAG = re.compile(r"<[^>]+>")


def _text(fragment: str) -> str:
    return " ".join(htmllib.unescape(_TAG.sub("", fragment)).split())


def _table_label(before: str, table: str, number: int, lang: str) -> str:
    """The table's caption, else the heading just above it, else "Table N" in the lesson's language."""
    caption = _CAPTION.search(table)
    heading = _HEADING_BEFORE.search(before)
    label = _text(caption.group(1)) if caption else _text(heading.group(2)) if heading else ""
    if not label:
        with force_locale(lang):
            label = gettext("Table %(num)s", num=number)
    return label


def wrap_tables(html: str, lang: str) -> str:
    """Put each table in a box that scrolls sideways on its own, labelled and reachable by keyboard."""
    out, pos = [], 0
    for number, match in enumerate(_TABLE.finditer(html), start=1):
        label = _table_label(html[:match.start()], match.group(0), number, lang)
        out.append(html[pos:match.start()])
        out.append(f'<div class="table-scroll" role="region" aria-label="{htmllib.escape(label)}" tabindex="0">'
                   f"{match.group(0)}</div>")
        pos = match.end()
    out.append(html[pos:])
    return "".join(out)


def figure_src(name: str, content_hash: str) -> str:
    """The address of the module's figure file `name` as written in a lesson's HTML."""
    return f"../figures/{name}?v={content_hash[:12]}"


def _figure_html(src: str, alt: str, caption: str) -> str:
    e = htmllib.escape
    return f'<figure><img src="{e(src)}" alt="{e(alt)}"><figcaption>{e(caption)}</figcaption></figure>\n'


def _with_figures(tokens: list[Token], figures: dict[str, str]) -> list[Token]:
    """Replace each paragraph that holds only a known figure by the figure; other images by their alt text."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        inline = tokens[i + 1] if token.type == "paragraph_open" and i + 2 < len(tokens) else None
        if inline is not None and inline.type == "inline":
            parts = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())
                     and c.type not in ("softbreak", "hardbreak")]
            if len(parts) == 1 and parts[0].type == "image" and str(parts[0].attrs.get("src")) in figures:
                image = parts[0]
                alt = _md.renderer.renderInlineAsText(image.children or [], _md.options, {}).strip()
                block = Token("html_block", "", 0)
                src = figures[str(image.attrs["src"])]
                block.content = _figure_html(src, alt, str(image.attrs.get("title") or alt))
                out.append(block)
                i += 3
                continue
        for child in token.children or []:
            if child.type == "image":  # not a figure: its words stay, the picture does not
                child.type, child.tag = "text", ""
                child.content = _md.renderer.renderInlineAsText(child.children or [], _md.options, {})
                child.children = None
        out.append(token)
        i += 1
    return out


def _only_figure_addresses(tag: str, attr: str, value: str) -> str | None:
    if tag == "img" and attr == "src":
        return value if FIGURE_SRC.match(value) else None
    return value


@functools.lru_cache(maxsize=512)
def markdown_to_html(source: str, lang: str = "en", figures: tuple[tuple[str, str], ...] = ()) -> str:
    """Render CommonMark (with tables) and keep only a safe set of tags; tables scroll in their own box.
    `figures` maps an image address as written (figures/x.svg) to the figure's address (figure_src)."""
    tokens = _with_figures(_md.parse(source), dict(figures))
    html = _md.renderer.render(tokens, _md.options, {})
    clean = nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}, "th": {"scope"}, "ol": {"start"},
                                                     "img": {"src", "alt"}},
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer",
                      attribute_filter=_only_figure_addresses)
    return wrap_tables(clean, lang)
