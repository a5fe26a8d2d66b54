"""Small charts drawn on the server: no script, no other host, and they print well.

The drawing is SVG stretched to the space it has; every word and figure is HTML text beside
it, so labels keep the page's font size at any width and in print, wrap instead of being cut,
and name their figure. Figures are written in the reader's locale ("66,7 %" in Russian), as in
the tables next to the charts.
"""
from __future__ import annotations

from markupsafe import Markup, escape

from lms.core.templating import number, percent


def bar_chart(items: list[tuple[str, float | None]], title: str, unit: str = "%", maximum: float = 100.0) -> Markup:
    """Horizontal bars, one per item: the whole label, the bar, and the figure at its end."""
    parts = [f'<ul class="bar-chart" aria-label="{escape(title)}">']
    for label, value in items:
        share = 0.0 if value is None else max(0.5, 100 * min(value, maximum) / maximum)
        text = percent(value) if unit == "%" else number(value) + ("" if value is None else unit)
        parts.append(
            f'<li><span class="bar-label">{escape(label)}</span>'
            f'<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">'
            f'<rect width="100" height="10" class="bar-track"/><rect width="{share:.1f}" height="10"/></svg>'
            f'<span class="bar-value">{escape(text)}</span></li>')
    parts.append("</ul>")
    return Markup("".join(parts))


def column_chart(points: list[tuple[str, int]], title: str) -> Markup:
    """Vertical columns over time (e.g. completions per week); the scale and the first, middle
    and last labels are text under and beside the drawing, each column names its figure in a title."""
    top = max((v for _, v in points), default=0) or 1
    n = max(1, len(points))
    rects = "".join(
        f'<rect x="{i * 10 + 1}" y="{100 - 100 * v / top:.1f}" width="8" height="{100 * v / top:.1f}">'
        f"<title>{escape(label)}: {escape(number(v))}</title></rect>" for i, (label, v) in enumerate(points))
    ticks = sorted({0, (len(points) - 1) // 2, len(points) - 1}) if points else []
    labels = "".join(f"<span>{escape(points[i][0])}</span>" for i in ticks)
    return Markup(
        f'<div class="column-chart"><span class="axis-top">{escape(number(top))}</span>'
        f'<svg viewBox="0 0 {n * 10} 100" preserveAspectRatio="none" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{rects}</svg>"
        f'<span class="axis-zero">0</span><div class="column-labels">{labels}</div></div>')
