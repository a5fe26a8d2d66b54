"""Markdown to safe HTML for lessons and question texts."""
from __future__ import annotations

import functools
import html as htmllib
import re

import nh3
from flask_babel import force_locale, gettext
from markdown_it import MarkdownIt

# Part of each lesson's content hash: raise it when the HTML made from the same Markdown changes,
# so that the next `flask courses import` renders the saved lessons again.
RENDERING = 2

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True}).enable("table")

_TAGS = {
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "a", "hr", "br",
}
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


@functools.lru_cache(maxsize=512)
def markdown_to_html(source: str, lang: str = "en") -> str:
    """Render CommonMark (with tables) and keep only a safe set of tags; tables scroll in their own box."""
    html = _md.render(source)
    clean = nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}, "th": {"scope"}, "ol": {"start"}},
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")
    return wrap_tables(clean, lang)
