"""Charts drawn on the server as inline SVG: no script, no CDN, and they print."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
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

    Every value drawn is a number or a date formatted here, or a rank's label (a constant): nothing from a
    user reaches the SVG."""
    left, right, top, plot_h, bar_h = 34, 10, 12, 120, 40
    step = (width - left - right) / max(len(points), 1)

    def y(value) -> str:
        return f"{top + plot_h - float(value) / 100 * plot_h:.1f}"

    def n(value: float) -> str:  # format_html escapes its arguments to strings: numbers are formatted first
        return f"{value:.1f}"

    parts = [format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" class="axis"/>', left, top + plot_h,
                         width - right, top + plot_h)]  # fmt: skip
    for mark in (0, 50, 100):
        parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" class="grid"/>'
                                 '<text x="{}" y="{}" class="tick">{}</text>', left, y(mark), width - right,
                                 y(mark), left - 4, n(float(y(mark)) + 4), mark))  # fmt: skip
    for band in (65, 80, 90):  # where the ranks change
        parts.append(format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" class="band"/>', left, y(band),
                                 width - right, y(band)))  # fmt: skip
    line = []
    for index, point in enumerate(points):
        x = left + step * index + step / 2
        parts.append(format_html('<text x="{}" y="{}" class="month">{}</text>', n(x), height - 2,
                                 f"{point.month:%m/%y}"))  # fmt: skip
        if point.average is not None:
            line.append(f"{x:.1f},{y(point.average)}")
            parts.append(format_html('<circle cx="{}" cy="{}" r="3"><title>{}: {}</title></circle>'
                                     '<text x="{}" y="{}" class="value">{}</text>', n(x), y(point.average),
                                     f"{point.month:%m/%Y}", vn_decimal(point.average), n(x),
                                     n(float(y(point.average)) - 6),
                                     vn_decimal(point.average, 1)))  # fmt: skip
        sent = sum(point.ranks.get(value, 0) for value in RANK_COLOURS)
        bottom = top + plot_h + 14 + bar_h
        for value, colour in RANK_COLOURS.items():
            count = point.ranks.get(value, 0)
            if not count:
                continue
            h = bar_h * count / sent
            bottom -= h
            parts.append(format_html('<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                                     "<title>{}: {} {}</title></rect>", n(x - step * 0.3), n(bottom), n(step * 0.6), n(h),
                                     colour, f"{point.month:%m/%Y}", count, Rank(value).label))  # fmt: skip
    if line:
        parts.insert(0, format_html('<polyline points="{}" class="trend"/>', " ".join(line)))
    body = mark_safe("".join(parts))  # every part above was escaped by format_html
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="Xu hướng điểm trung bình 12 tháng">{}</svg>',
        width,
        height,
        body,
    )


def legend() -> SafeString:
    return format_html_join(
        " ", '<span class="legend"><i style="background:{}"></i>{}</span>',
        ((colour, Rank(value).label) for value, colour in RANK_COLOURS.items()),
    )  # fmt: skip
