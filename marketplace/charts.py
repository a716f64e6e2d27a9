"""Charts drawn on the server as SVG (no JavaScript, no CDN): round axis ticks and a plain
line chart with its legend. Every text is escaped; labels come written in the page's
language by the caller."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 16, 44


def nice_ticks(highest: float, count: int = 4) -> list[float]:
    """Axis ticks from 0 at a round step (1, 2, 2.5 or 5 times a power of ten) reaching at
    least `highest`: 0/50/100/150 for a quota of 150, never 41/82/124/165."""
    if highest <= 0:
        return [0.0, 1.0]
    raw = highest / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(f * power for f in (1, 2, 2.5, 5, 10) if f * power >= raw)
    return [step * i for i in range(math.ceil(highest / step - 1e-9) + 1)]


def axes_svg(
    ticks: Sequence[float],
    labels: Sequence[str],
    x: Callable[[int], float],
    y: Callable[[float], float],
    box: tuple[float, float, float, float],
    number: Callable[[float], str],
) -> list[str]:
    """Grid lines with their values on the left, and about six of the x labels below;
    `box` is the plot's (left, top, width, height)."""
    left, top, width, height = box
    parts = []
    for value in ticks[1:]:
        parts.append(
            f'<line class="gridline" x1="{left}" y1="{y(value)}" x2="{left + width}" '
            f'y2="{y(value)}"/><text class="tick" x="{left - 6}" y="{y(value) + 4}" '
            f'text-anchor="end">{escape(number(value))}</text>'
        )
    every = max(1, len(labels) // 6)
    for i in range(0, len(labels), every):
        parts.append(
            f'<text class="tick" x="{x(i)}" y="{top + height + 18}" text-anchor="middle">'
            f"{escape(labels[i])}</text>"
        )
    return parts


def line_chart_svg(
    xs: Sequence[str],
    series: list[tuple[str, str, Sequence[float]]],
    title: str,
    number: Callable[[float], str] = str,
) -> str:
    """Lines over the same x labels: `series` is (css class, legend, values)."""
    if not xs or not series:
        return ""
    ticks = nice_ticks(max(max(values) for _css, _label, values in series))
    top = ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    steps = max(1, len(xs) - 1)

    def x(i: int) -> float:
        return round(LEFT + plot_w * i / steps, 1)

    def y(v: float) -> float:
        return round(TOP + plot_h * (1 - v / top), 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" '
        f'role="img" aria-labelledby="line-chart-title"><title id="line-chart-title">'
        f"{escape(title)}</title>",
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" '
        f'y2="{TOP + plot_h}"/>',
    ]
    parts += axes_svg(ticks, xs, x, y, (LEFT, TOP, plot_w, plot_h), number)
    for offset, (css, label, values) in enumerate(series):
        points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values))
        parts.append(
            f'<polyline class="{css}" points="{points}"><title>{escape(label)}</title></polyline>'
        )
        lx = LEFT + offset * 200
        parts.append(
            f'<line class="{css}" x1="{lx}" y1="{HEIGHT - 12}" x2="{lx + 18}" y2="{HEIGHT - 12}"/>'
            f'<text class="tick" x="{lx + 22}" y="{HEIGHT - 8}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
