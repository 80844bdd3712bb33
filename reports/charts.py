"""Charts drawn on the server as inline SVG: no script, no CDN, and they print."""

from __future__ import annotations

from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from kpi.scoring import Rank
from plans.formatting import vn_decimal

RANK_COLOURS = {Rank.EXCELLENT: "#1f7a3a", Rank.GOOD: "#6aa84f", Rank.PASS: "#e0a100", Rank.FAIL: "#b3261e"}


def heat_style(percent: str | None) -> str:
    """A cell's background from red (0%) through amber to green (100%); light enough to print the number on."""
    if percent is None:
        return "background:#eceff3"
    value = max(0.0, min(100.0, float(percent)))
    return f"background:hsl({value * 1.2:.0f},65%,82%)"


def trend_chart(points, *, width: int = 640, height: int = 220) -> SafeString:
    """The average total per month as a line (0–100), and below each month a bar split by rank.

    Every value drawn is a number or a month formatted here, or a rank's label (a constant): nothing a user
    typed reaches the SVG, so it is assembled with plain f-strings (format_html per element was most of the
    chart's time)."""
    left, right, top, plot_h, bar_h = 34, 10, 12, 120, 40
    step = (width - left - right) / max(len(points), 1)

    def y(value) -> float:
        return top + plot_h - float(value) / 100 * plot_h

    parts = [f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" class="axis"/>']
    for mark in (0, 50, 100):
        parts.append(
            f'<line x1="{left}" y1="{y(mark):.1f}" x2="{width - right}" y2="{y(mark):.1f}" class="grid"/>'
            f'<text x="{left - 4}" y="{y(mark) + 4:.1f}" class="tick">{mark}</text>'
        )
    for band in (65, 80, 90):  # where the ranks change
        parts.append(
            f'<line x1="{left}" y1="{y(band):.1f}" x2="{width - right}" y2="{y(band):.1f}" class="band"/>'
        )
    line = []
    labels = {value: Rank(value).label for value in RANK_COLOURS}
    for index, point in enumerate(points):
        x = left + step * index + step / 2
        parts.append(f'<text x="{x:.1f}" y="{height - 2}" class="month">{point.month:%m/%y}</text>')
        if point.average is not None:
            py = y(point.average)
            line.append(f"{x:.1f},{py:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{py:.1f}" r="3"><title>{point.month:%m/%Y}: '
                f"{vn_decimal(point.average)}</title></circle>"
                f'<text x="{x:.1f}" y="{py - 6:.1f}" class="value">{vn_decimal(point.average, 1)}</text>'
            )
        sent = sum(point.ranks.get(value, 0) for value in RANK_COLOURS)
        bottom = top + plot_h + 14 + bar_h
        for value, colour in RANK_COLOURS.items():
            count = point.ranks.get(value, 0)
            if not count:
                continue
            h = bar_h * count / sent
            bottom -= h
            parts.append(
                f'<rect x="{x - step * 0.3:.1f}" y="{bottom:.1f}" width="{step * 0.6:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{point.month:%m/%Y}: {count} {labels[value]}</title></rect>'
            )
    if line:
        parts.insert(0, f'<polyline points="{" ".join(line)}" class="trend"/>')
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Xu hướng điểm trung bình 12 tháng">{"".join(parts)}</svg>'
    )


def legend() -> SafeString:
    return format_html_join(
        " ", '<span class="legend"><i style="background:{}"></i>{}</span>',
        ((colour, Rank(value).label) for value, colour in RANK_COLOURS.items()),
    )  # fmt: skip
