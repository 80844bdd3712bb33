"""The dashboard's unit-sized tables, written out in Python.

A ward has sixty units and the heatmap alone is 420 cells: through the template language (or format_html)
each value costs microseconds of lookups, filters and escaping, which made these tables most of the page's
time. Here the only text that does not come from this module — unit names — goes through `escape`; the rest
are numbers, dates and labels formatted here.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from plans.formatting import vn_decimal
from reports.charts import heat_style

ON_TIME = {True: "Đúng hạn", False: '<span class="badge overdue">Muộn</span>', None: "—"}


def _change(value) -> str:
    if value is None:
        return "—"
    css = "up" if value > 0 else "down" if value < 0 else ""
    return f'<span class="{css}">{"+" if value > 0 else ""}{vn_decimal(value)}</span>'


def _place(row) -> str:
    if row.position is None:
        return "—"
    moved = row.position_change
    if not moved:
        return str(row.position)
    if moved > 0:
        return f'{row.position} <span class="up">↑{moved}</span>'
    return f'{row.position} <span class="down">↓{-moved}</span>'


def ranking_rows(rows) -> SafeString:
    card_url = reverse("scorecard", args=[0]).replace("/0/", "/{}/")
    lines = []
    for row in rows:
        name = escape(row.unit.name)
        total = vn_decimal(row.total) if row.total is not None else "—"
        if row.card_id:
            link = card_url.format(row.card_id)
            name, total = f'<a href="{link}">{name}</a>', f'<a href="{link}">{total}</a>'
        rank = escape(row.rank_label) if row.total is not None else ""
        lines.append(
            f'<tr><td class="num">{_place(row)}</td><td class="unit">{name}</td><td class="num">{total}</td>'
            f'<td class="num">{_change(row.change)}</td><td class="hide-sm">{rank}</td>'
            f'<td><span class="state {row.state}">{escape(row.state_label)}</span></td>'
            f'<td class="hide-sm">{ON_TIME[row.on_time]}</td></tr>'
        )
    return mark_safe("\n".join(lines))


def heatmap_rows(rows, groups) -> SafeString:
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
    lines = []
    for unit, counts in by_lead:
        cells = "".join(
            f'<td class="num"><a href="{tasks_url}?status={status}&amp;lead={unit.pk}">{counts[status]}</a></td>'
            for status in ("overdue", "in_progress", "done", "not_started")
        )
        lines.append(f"<tr><td>{escape(unit.name)}</td>{cells}</tr>")
    return mark_safe("\n".join(lines))
