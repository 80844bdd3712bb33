"""Writes to tasks: progress reports and completion."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from plans.access import Role, has_role, unit_in_scope
from plans.models import OrgUnit
from tasks.deadlines import Kind, due_dates
from tasks.models import Task, TaskProgress


class TaskError(Exception):
    """A refused write; the message says why, in Vietnamese."""


def task_role_of(task: Task, unit: OrgUnit) -> str | None:
    """ "lead" or "coordinating" when the unit (or a unit above it) is named on the task, else None."""
    ancestors = set(unit.ancestor_codes)
    if any(u.code in ancestors for u in task.lead_units.all()):
        return "lead"
    if any(u.code in ancestors for u in task.coordinating_units.all()):
        return "coordinating"
    return None


def current_period_due(task: Task, on: date) -> date | None:
    """For a recurring task, the due date of the period a report made on `on` belongs to."""
    schedule = task.parsed_schedule()
    if schedule.first_due and not task.progress.filter(period_due=schedule.first_due, percent=100).exists():
        return schedule.first_due  # the first milestone is still open: reports go to it
    if schedule.kind != Kind.RECURRING:
        return None
    upcoming = due_dates(schedule, on, date(on.year + 2, 12, 31))
    return upcoming[0] if upcoming else None


@transaction.atomic
def task_record_progress(
    *, task: Task, by, unit: OrgUnit, reported_on: date, percent: int, note: str = "",
    period_due: date | None = None,
) -> TaskProgress:  # fmt: skip
    """Record progress (0–99) or completion (100). Units named on the task may report progress; only a lead
    unit completes it. `by` None is the system (imports, commands)."""
    if by is not None:
        if not unit_in_scope(by, unit) or not has_role(by, Role.OFFICER, Role.REVIEWER, Role.ADMIN):
            raise TaskError("Bạn không có quyền báo cáo thay đơn vị này.")
        role = task_role_of(task, unit)
        if role is None and not has_role(by, Role.REVIEWER, Role.ADMIN):
            raise TaskError(f"{unit.name} không chủ trì hay phối hợp nhiệm vụ này.")
        if percent == 100 and role != "lead" and not has_role(by, Role.REVIEWER, Role.ADMIN):
            raise TaskError(
                "Chỉ đơn vị chủ trì mới báo cáo hoàn thành nhiệm vụ; đơn vị phối hợp cập nhật tiến độ."
            )
    progress = TaskProgress(
        task=task,
        unit=unit,
        reported_on=reported_on,
        percent=percent,
        note=note.strip(),
        period_due=period_due or current_period_due(task, reported_on),
        created_by=by,
    )
    try:
        progress.full_clean()
    except ValidationError as exc:
        raise TaskError("; ".join(" ".join(v) for v in exc.message_dict.values())) from exc
    if not 0 <= percent <= 100:
        raise TaskError("Tiến độ phải từ 0 đến 100%.")
    progress.save()
    return progress
