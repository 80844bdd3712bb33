"""The dashboard's unit-sized tables, written out in Python.

A ward has sixty units and the heatmap alone is 420 cells: through the template language each value costs
about ten microseconds (lookups, filters, localisation), which made these tables most of the page's time.
Here every value still goes through format_html, so everything is escaped the same way.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from plans.formatting import vn_decimal
from reports.charts import heat_style


def _change(value) -> SafeString:
    if value is None:
        return mark_safe("—")
    css = "up" if value > 0 else "down" if value < 0 else ""
    return format_html('<span class="{}">{}{}</span>', css, "+" if value > 0 else "", vn_decimal(value))


def _place(row) -> SafeString:
    if row.position is None:
        return mark_safe("—")
    moved = row.position_change
    if not moved:
        return format_html("{}", row.position)
    arrow = (
        format_html('<span class="up">↑{}</span>', moved)
        if moved > 0
        else format_html('<span class="down">↓{}</span>', -moved)
    )
    return format_html("{} {}", row.position, arrow)


def ranking_rows(rows) -> SafeString:
    card_url = reverse("scorecard", args=[0]).replace("/0/", "/{}/")

    def cells(row):
        link = card_url.format(row.card_id) if row.card_id else None
        unit = format_html('<a href="{}">{}</a>', link, row.unit.name) if link else row.unit.name
        total = vn_decimal(row.total) if row.total is not None else "—"
        total = format_html('<a href="{}">{}</a>', link, total) if link else total
        on_time = {True: "Đúng hạn", False: mark_safe('<span class="badge overdue">Muộn</span>'), None: "—"}
        return (
            _place(row), unit, total, _change(row.change), row.rank_label if row.total is not None else "",
            row.state, row.state_label, on_time[row.on_time],
        )  # fmt: skip

    return format_html_join(
        "\n",
        '<tr><td class="num">{}</td><td class="unit">{}</td><td class="num">{}</td><td class="num">{}</td>'
        '<td class="hide-sm">{}</td><td><span class="state {}">{}</span></td><td class="hide-sm">{}</td></tr>',
        (cells(row) for row in rows),
    )


def heatmap_rows(rows, groups) -> SafeString:
    # The cells hold only what this module makes (styles, formatted numbers); the unit's name is escaped.
    codes = [g.code for g in groups]
    lines = []
    for row in rows:
        cells = "".join(
            f'<td class="num" style="{heat_style(value)}">{vn_decimal(value, 0) if value is not None else "·"}</td>'
            for value in (row.groups.get(code) for code in codes)
        )
        lines.append(f"<tr><td>{escape(row.unit.short_name or row.unit.name)}</td>{cells}</tr>")
    return mark_safe("\n".join(lines))


def lead_rows(by_lead, tasks_url: str) -> SafeString:
    """Task counts per lead unit, each linked to the list of those tasks."""
    cell = '<td class="num"><a href="{}?status={}&amp;lead={}">{}</a></td>'
    return format_html_join(
        "\n",
        "<tr><td>{}</td>" + cell * 4 + "</tr>",
        (
            (unit.name, *(part for status in ("overdue", "in_progress", "done", "not_started")
                          for part in (tasks_url, status, unit.pk, counts[status])))
            for unit, counts in by_lead
        ),
    )  # fmt: skip
