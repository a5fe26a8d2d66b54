"""Small SVG charts drawn on the server: no script, no other host, and they print well.

Figures are written in the reader's locale ("66,7 %" in Russian), as in the tables beside them.
"""
from __future__ import annotations

from markupsafe import Markup, escape

from lms.core.templating import number, percent


def bar_chart(items: list[tuple[str, float | None]], title: str, unit: str = "%", maximum: float = 100.0) -> Markup:
    """Horizontal bars, one per item, with the value written at the end of each bar."""
    row, label_w, bar_w = 26, 190, 320
    height = row * len(items) + 10
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {label_w + bar_w + 60} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        width = 0 if value is None else max(1, bar_w * min(value, maximum) / maximum)
        text = percent(value) if unit == "%" else number(value) + ("" if value is None else unit)
        parts.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="13" fill="#0b0c0c">'
                     f"{escape(label[:28])}</text>")
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="18" fill="#1d4f91"/>')
        parts.append(
            f'<text x="{label_w + width + 6:.1f}" y="{y + 17}" font-size="13" fill="#0b0c0c">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(points: list[tuple[str, int]], title: str) -> Markup:
    """Vertical columns over time (e.g. completions per week), with the largest value marked."""
    width, height, left, bottom = 640, 200, 36, 28
    top = max((v for _, v in points), default=0) or 1
    step = (width - left) / max(1, len(points))
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" width="100%" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#505a5f"/>',
             f'<text x="{left - 4}" y="14" text-anchor="end" font-size="11" fill="#505a5f">{number(top)}</text>',
             f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" font-size="11" fill="#505a5f">0</text>']
    for i, (label, value) in enumerate(points):
        h = (height - bottom - 10) * value / top
        x = left + i * step
        parts.append(f'<rect x="{x + 2:.1f}" y="{height - bottom - h:.1f}" width="{max(1, step - 4):.1f}" '
                     f'height="{h:.1f}" fill="#00703c"><title>{escape(label)}: {number(value)}</title></rect>')
        if i % max(1, len(points) // 6) == 0:
            parts.append(f'<text x="{x + 2:.1f}" y="{height - 8}" font-size="11" fill="#505a5f">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
