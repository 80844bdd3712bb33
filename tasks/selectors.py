"""Reads of plans with their tasks, shaped for exports and pages."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Prefetch

from plans.models import Indicator, OrgUnit, Plan
from tasks.deadlines import due_dates_in_year
from tasks.models import Task
from tasks.status import status_at


def plan_tasks(plan: Plan):
    """Every task of a plan with what a listing needs, in a fixed number of queries."""
    names = OrgUnit.objects.only("id", "name", "code")
    return (
        plan.tasks.select_related("group", "duplicate_of", "parent")
        .prefetch_related(
            Prefetch("lead_units", queryset=names),
            Prefetch("coordinating_units", queryset=names),
            "progress",
        )
        .order_by("order", "id")
    )


def _decimal(value):
    return None if value is None else f"{value.normalize():f}"


def indicator_data(indicator: Indicator) -> dict:
    return {
        "code": indicator.code,
        "section": indicator.section,
        "text": indicator.text,
        "comparator": indicator.comparator,
        "target_value": _decimal(indicator.target_value),
        "unit": indicator.unit,
        "target_year": indicator.target_year,
        "baseline_value": _decimal(indicator.baseline_value),
        "baseline_year": indicator.baseline_year,
        "responsible_unit": indicator.responsible_unit.name if indicator.responsible_unit else None,
    }


def task_data(task: Task, children: dict, *, year: int, today: date) -> dict:
    schedule = task.parsed_schedule()
    status = status_at(schedule, task.progress.all(), today)
    return {
        "code": task.code,
        "content": task.content,
        "lead_units": [u.name for u in task.lead_units.all()],
        "coordinating_units": [u.name for u in task.coordinating_units.all()],
        "lead_text": task.lead_text,
        "coordinating_text": task.coordinating_text,
        "unresolved_units": task.unresolved_units,
        "deliverable": task.deliverable,
        "deadline_text": task.deadline_text,
        "schedule": {
            "kind": schedule.kind,
            "due_dates": [d.isoformat() for d in due_dates_in_year(schedule, year)],
            "needs_date": schedule.needs_date,
        },
        "status": status.status,
        "status_label": status.label,
        "duplicate_of": task.duplicate_of.code if task.duplicate_of else None,
        "notes": task.notes,
        "subtasks": [task_data(c, children, year=year, today=today) for c in children.get(task.pk, [])],
    }


def plan_export_data(plan: Plan, *, year: int, today: date) -> dict:
    tasks = list(plan_tasks(plan))
    children = defaultdict(list)
    for task in tasks:
        if task.parent_id:
            children[task.parent_id].append(task)
    top_level = [t for t in tasks if not t.parent_id]

    groups = []
    for group in plan.groups.order_by("order"):
        members = [t for t in top_level if t.group_id == group.pk]
        groups.append(
            {
                "code": group.code,
                "title": group.title,
                "tasks": [task_data(t, children, year=year, today=today) for t in members],
            }
        )
    ungrouped = [t for t in top_level if t.group_id is None]
    if ungrouped:
        groups.append(
            {
                "code": None,
                "title": "",
                "tasks": [task_data(t, children, year=year, today=today) for t in ungrouped],
            }
        )

    return {
        "code": plan.code,
        "number": plan.number or None,
        "title": plan.title,
        "issuer": plan.issuer.name,
        "issued_on": plan.issued_on.isoformat() if plan.issued_on else None,
        "status": plan.status,
        "period": [plan.period_start, plan.period_end],
        "basis": [b.number or b.code for b in plan.basis.order_by("issued_on", "code")],
        "indicators": [
            indicator_data(i) for i in plan.indicators.select_related("responsible_unit").order_by("order")
        ],
        "groups": groups,
    }


BUCKETS = [
    ("overdue", "Quá hạn"),
    ("this_month", "Đến hạn tháng này"),
    ("soon", "Sắp đến hạn"),
    ("ongoing", "Đang thực hiện"),
    ("done", "Đã hoàn thành"),
]


def my_work(unit, today: date) -> dict[str, list[tuple]]:
    """Tasks the unit (or a unit below it) leads or coordinates, sorted into the buckets of "Việc của tôi":
    {bucket: [(task, role, status)]}. A fixed number of queries."""
    from django.db.models import Q

    from plans.models import OrgUnit
    from tasks.status import Status, plan_start

    units = OrgUnit.objects.filter(Q(pk=unit.pk) | Q(path__startswith=unit.path + "/"))
    unit_ids = set(units.values_list("pk", flat=True))
    names = OrgUnit.objects.only("id", "name", "code")
    tasks = (
        Task.objects.filter(Q(lead_units__in=unit_ids) | Q(coordinating_units__in=unit_ids))
        .distinct()
        .select_related("plan", "group")
        .prefetch_related(Prefetch("lead_units", queryset=names), "progress")
        .order_by("plan__code", "order")
    )
    buckets: dict[str, list] = {key: [] for key, _ in BUCKETS}
    for task in tasks:
        role = "chủ trì" if any(u.pk in unit_ids for u in task.lead_units.all()) else "phối hợp"
        status = status_at(task.parsed_schedule(), task.progress.all(), today, since=plan_start(task.plan))
        if status.status in (Status.DONE_ON_TIME, Status.DONE_LATE):
            key = "done"
        elif status.status == Status.OVERDUE:
            key = "overdue"
        elif status.due and (status.due.year, status.due.month) == (today.year, today.month):
            key = "this_month"
        elif status.due_soon:
            key = "soon"
        else:
            key = "ongoing"
        buckets[key].append((task, role, status))
    return buckets
