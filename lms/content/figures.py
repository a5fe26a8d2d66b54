"""Figures of a module: SVG drawings in `courses/<module>/figures/`, checked, and found from lessons.

A lesson shows a figure with Markdown image syntax, in a paragraph of its own::

    ![Sample results protocol](figures/results-protocol.svg)

The reference names the drawing without a language; the file is `<name>.<lang>.svg` when its
text is translated, or `<name>.svg` when it has none. A lesson in language L takes
`<name>.L.svg`, else the Russian one, else the English one, else `<name>.svg`, as the lessons
themselves fall back. Like the rest of `lms.content.format`, nothing here knows Flask or the database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from xml.parsers import expat

from markdown_it import MarkdownIt

from lms.i18n import FALLBACK

MAX_BYTES = 32 * 1024  # a hand-drawn form is a few kilobytes; more is an embedded picture or font
FIGURE_FILE = re.compile(r"^(?P<name>[a-z0-9][a-z0-9-]{0,62})(?:\.(?P<lang>[a-z]{2}))?\.svg$")
_REFERENCE = re.compile(r"^figures/(?P<file>[^/]+)$")
_SVG = "http://www.w3.org/2000/svg"
_EXTERNAL_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.I)
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True}).enable("table")


@dataclass(frozen=True)
class Reference:
    """An image in a lesson: its line in the Markdown body (1-based), address and alt text."""

    line: int
    src: str
    alt: str
    alone: bool  # the only thing in its paragraph, as a figure must be


def references(body: str) -> list[Reference]:
    """Every Markdown image in `body`, with the line it is written on."""
    lines = body.splitlines()
    found = []
    for token in _md.parse(body):
        if token.type != "inline" or not token.children or token.map is None:
            continue
        images = [c for c in token.children if c.type == "image"]
        others = [c for c in token.children if c.type != "image" and not (c.type == "text" and not c.content.strip())
                  and c.type not in ("softbreak", "hardbreak")]
        for image in images:
            src = str(image.attrs.get("src", ""))
            start, end = token.map
            line = next((n + 1 for n in range(start, end) if src and src in lines[n]), start + 1)
            alt = _md.renderer.renderInlineAsText(image.children or [], _md.options, {}).strip()
            found.append(Reference(line, src, alt, alone=len(images) == 1 and not others))
    return found


def resolve(src: str, lang: str, names: set[str] | frozenset[str]) -> str | None:
    """The file that `src` (as written in a lesson in `lang`) shows, among the module's figure `names`."""
    match = _REFERENCE.match(src)
    file = FIGURE_FILE.match(match["file"]) if match else None
    if file is None:
        return None
    if file["lang"]:  # a language written out: that very file
        return match["file"] if match["file"] in names else None
    candidates = [f"{file['name']}.{code}.svg" for code in dict.fromkeys((lang, *FALLBACK))]
    return next((name for name in (*candidates, f"{file['name']}.svg") if name in names), None)


class _Stop(Exception):
    """Raised from a parser handler to stop reading a file that may not be read further."""


def svg_problems(data: bytes) -> list[tuple[int, str]]:
    """(line, message) for each rule the SVG file `data` breaks: well-formed SVG with a <title>,
    no script, no event attributes, no external references, no DOCTYPE, at most MAX_BYTES."""
    out: list[tuple[int, str]] = []
    if len(data) > MAX_BYTES:
        out.append((1, f"the figure is {len(data):,} bytes; at most {MAX_BYTES:,} are allowed "
                       "(draw it by hand: no embedded pictures or fonts)"))
    parser = expat.ParserCreate(namespace_separator=" ")
    depth, title, in_title, in_style = 0, [], False, False

    def at(message: str) -> None:
        """A problem at the line the parser is on."""
        out.append((parser.CurrentLineNumber, message))

    def start(name: str, attrs: dict[str, str]) -> None:
        """Check an element and its attributes."""
        nonlocal depth, in_title, in_style
        ns, _, local = name.rpartition(" ")
        if depth == 0 and (ns, local) != (_SVG, "svg"):
            at(f"the root element must be <svg> in the SVG namespace ({_SVG}), not <{local}>")
        if local in ("script", "foreignObject", "iframe", "embed", "object"):
            at(f"a figure may not contain <{local}>")
        in_title = depth == 1 and local == "title" and not title
        in_style = local == "style"
        for key, value in attrs.items():
            attr = key.rpartition(" ")[2]
            if attr.lower().startswith("on"):
                at(f"event attribute '{attr}' is not allowed in a figure")
            elif attr == "href" and not value.strip().startswith("#"):
                at(f"external reference '{value[:60]}': a figure may only point inside itself (href=\"#id\")")
            elif _EXTERNAL_URL.search(value):
                at(f"external reference in '{attr}': only url(#id) is allowed")
        depth += 1

    def end(name: str) -> None:
        """Leave an element."""
        nonlocal depth, in_title, in_style
        depth -= 1
        in_title = in_style = False

    def text(data: str) -> None:
        """Collect the title's text; check a stylesheet's."""
        if in_title:
            title.append(data)
        if in_style and (_EXTERNAL_URL.search(data) or "@import" in data):
            at("external reference in <style>: only url(#id) is allowed")

    def doctype(*_args) -> None:
        """Refuse a DOCTYPE or entity: no entity is ever expanded."""
        at("a figure may not have a DOCTYPE or entity declarations")
        raise _Stop

    def instruction(target: str, _data: str) -> None:
        """Refuse a stylesheet instruction, which would load another file."""
        if target.lower() == "xml-stylesheet":
            at("a figure may not load a stylesheet (<?xml-stylesheet?>)")

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = doctype
    parser.ProcessingInstructionHandler = instruction
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        return [*out, (exc.lineno, f"not well-formed XML: {expat.ErrorString(exc.code)}")]
    except _Stop:
        return out
    if not "".join(title).strip():
        out.append((1, "a figure needs a <title> (what it shows) as a child of <svg>"))
    return out
