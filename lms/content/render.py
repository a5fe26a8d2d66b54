"""Markdown to safe HTML for lessons and question texts."""
from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True}).enable("table")

_TAGS = {
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "a", "hr", "br",
}


@functools.lru_cache(maxsize=512)
def markdown_to_html(source: str) -> str:
    """Render CommonMark (with tables) and keep only a safe set of tags."""
    html = _md.render(source)
    return nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}, "th": {"scope"}, "ol": {"start"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")
