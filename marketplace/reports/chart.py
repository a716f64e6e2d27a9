"""The burn-up chart as SVG, drawn on the server (no JavaScript, no CDN)."""

from __future__ import annotations

from collections.abc import Callable
from xml.sax.saxutils import escape

from marketplace.charts import axes_svg, nice_ticks

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44


def burn_up_svg(
    points: list[dict],
    quota: float,
    title: str,
    labels: dict[str, str],
    number: Callable[[float], str] = str,
    month: Callable[[str], str] = str,
) -> str:
    """Delivered and delivered + reserved up to this month, against the quota and the even
    pace to the convention's end. `number` and `month` write the axes' labels in the page's
    language."""
    if not points:
        return ""
    ticks = nice_ticks(max([quota, *(p["committed"] or 0 for p in points)]))
    top_value = ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    steps = max(1, len(points) - 1)

    def x(index: int) -> float:
        return round(LEFT + plot_w * index / steps, 1)

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - value / top_value), 1)

    def line(key: str) -> str:  # months without a value (the future) are left out
        return " ".join(f"{x(i)},{y(p[key])}" for i, p in enumerate(points) if p[key] is not None)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="chart-title">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" '
        f'y2="{TOP + plot_h}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}"/>',
    ]
    parts += axes_svg(
        ticks,
        [month(p["month"]) for p in points],
        x,
        y,
        (LEFT, TOP, plot_w, plot_h),
        number,
    )
    parts += [
        f'<line class="quota" x1="{LEFT}" y1="{y(quota)}" x2="{LEFT + plot_w}" '
        f'y2="{y(quota)}"><title>{escape(labels["quota"])}</title></line>',
        f'<polyline class="pace" points="{line("pace")}"><title>{escape(labels["pace"])}'
        f"</title></polyline>",
        f'<polyline class="committed" points="{line("committed")}"><title>'
        f"{escape(labels['committed'])}</title></polyline>",
        f'<polyline class="delivered" points="{line("delivered")}"><title>'
        f"{escape(labels['delivered'])}</title></polyline>",
    ]
    legend_y = HEIGHT - 8
    for offset, (css, key) in enumerate(
        (
            ("delivered", "delivered"),
            ("committed", "committed"),
            ("pace", "pace"),
            ("quota", "quota"),
        )
    ):
        lx = LEFT + offset * 165
        parts.append(
            f'<line class="{css}" x1="{lx}" y1="{legend_y - 4}" x2="{lx + 18}" '
            f'y2="{legend_y - 4}"/><text class="tick" x="{lx + 22}" y="{legend_y}">'
            f"{escape(labels[key])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
