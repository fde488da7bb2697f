"""The pipeline's time-series chart, drawn on the server as SVG (no JavaScript, no CDN)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

WIDTH = 720
HEIGHT = 180
#: room for the axis labels
MARGIN = 28


def series_chart(series: Sequence[Mapping[str, Any]]) -> str:
    """Return an SVG of posts (bars) and skips (line) per bucket."""
    if not series:
        return ""
    top = max(1, *(max(int(point["posts"]), int(point["skips"])) for point in series))
    step = (WIDTH - 2 * MARGIN) / len(series)
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'class="chart" role="img" aria-label="posts and skips over time">'
        ),
        (
            f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" '
            f'y2="{HEIGHT - MARGIN}" class="axis"/>'
        ),
        f'<text x="2" y="{MARGIN}" class="label">{top}</text>',
    ]
    points = []
    for index, point in enumerate(series):
        x = MARGIN + index * step
        height = (HEIGHT - 2 * MARGIN) * int(point["posts"]) / top
        title = escape(f"{point['start']}: {point['posts']} posts, {point['skips']} skips")
        parts.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{HEIGHT - MARGIN - height:.1f}" '
            f'width="{step * 0.7:.1f}" height="{height:.1f}" class="posts"><title>{title}</title>'
            "</rect>"
        )
        skip_y = HEIGHT - MARGIN - (HEIGHT - 2 * MARGIN) * int(point["skips"]) / top
        points.append(f"{x + step / 2:.1f},{skip_y:.1f}")
    parts.append(f'<polyline points="{" ".join(points)}" class="skips" fill="none"/>')
    first, last = escape(str(series[0]["start"])[:16]), escape(str(series[-1]["start"])[:16])
    parts.append(f'<text x="{MARGIN}" y="{HEIGHT - 8}" class="label">{first}</text>')
    parts.append(
        f'<text x="{WIDTH - MARGIN}" y="{HEIGHT - 8}" class="label" text-anchor="end">{last}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
