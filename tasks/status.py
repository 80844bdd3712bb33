"""Task status at a date, from the task's schedule and its progress reports.

Pure functions over a schedule and a list of progress records, so the dashboard and the reports can compute
thousands of statuses from two bulk queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.db import models

from tasks.deadlines import Kind, Schedule, due_dates, period_of

DUE_SOON_DAYS = 7


class Status(models.TextChoices):
    DONE_ON_TIME = "done_on_time", "Hoàn thành đúng hạn"
    DONE_LATE = "done_late", "Hoàn thành quá hạn"
    IN_PROGRESS = "in_progress", "Đang thực hiện trong hạn"
    OVERDUE = "overdue", "Quá hạn"
    NOT_STARTED = "not_started", "Chưa thực hiện"


@dataclass(frozen=True)
class TaskStatus:
    status: str
    due: date | None  # the due date this status is measured against (None: no deadline)
    period_start: date | None = None
    completed_on: date | None = None
    percent: int = 0
    days_late: int = 0
    due_soon: bool = False  # not done and due within DUE_SOON_DAYS ("sắp đến hạn")

    @property
    def label(self) -> str:
        return Status(self.status).label


@dataclass(frozen=True)
class ProgressPoint:
    """What status needs of a TaskProgress row (so callers can pass rows or plain values)."""

    reported_on: date
    percent: int
    period_due: date | None = None


def _evaluate(due: date | None, records: list, at: date, period_start: date | None = None) -> TaskStatus:
    records = [r for r in records if r.reported_on <= at]
    completion = next((r for r in records if r.percent >= 100), None)
    percent = max((r.percent for r in records), default=0)
    if completion:
        late = due is not None and completion.reported_on > due
        return TaskStatus(
            Status.DONE_LATE if late else Status.DONE_ON_TIME,
            due,
            period_start,
            completion.reported_on,
            100,
            (completion.reported_on - due).days if late else 0,
        )
    if due is not None and at > due:
        return TaskStatus(Status.OVERDUE, due, period_start, None, percent, (at - due).days)
    due_soon = due is not None and (due - at) <= timedelta(days=DUE_SOON_DAYS)
    status = Status.IN_PROGRESS if percent > 0 else Status.NOT_STARTED
    return TaskStatus(status, due, period_start, None, percent, 0, due_soon)


def _in_period(schedule: Schedule, records: list, due: date) -> list:
    """Reports on the occurrence due on `due`: those naming it, and unnamed ones made since its period began."""
    start, _ = period_of(schedule, due)
    return [r for r in records if r.period_due == due or (r.period_due is None and r.reported_on >= start)]


def status_at(schedule: Schedule, progress: Iterable, at: date, *, since: date | None = None) -> TaskStatus:
    """The status of a task on day `at`; for a recurring task, of the period `at` falls in.

    `since` is when the task began to apply (its plan's first day): occurrences before it were never owed.
    """
    records = sorted(progress, key=lambda r: (r.reported_on, r.percent))
    if schedule.first_due:
        # A first milestone ("Hoàn thành trong Quý I/2026; …") is what counts until it is met.
        milestone = [r for r in records if r.period_due in (None, schedule.first_due)]
        first = _evaluate(schedule.first_due, milestone, at)
        if at <= schedule.first_due or first.status == Status.OVERDUE:
            return first
        records = [r for r in records if r.period_due != schedule.first_due]
        schedule = replace(schedule, first_due=None)
    if schedule.kind == Kind.RECURRING:
        upcoming = due_dates(schedule, at, date(at.year + 2, 12, 31))
        if not upcoming:  # "Định kỳ" without a period, or a recurrence that has ended
            return _evaluate(None, records, at)
        # A missed occurrence stays "Quá hạn" until it is reported done, even once the next period has begun:
        # that is what a leader needs to see first.
        bounds = [d for d in (since, schedule.start) if d]
        past = due_dates(schedule, max(bounds), at - timedelta(days=1)) if bounds else []
        if past:
            previous = _evaluate(
                past[-1], _in_period(schedule, records, past[-1]), at, period_of(schedule, past[-1])[0]
            )
            if previous.status == Status.OVERDUE:
                return previous
        due = upcoming[0]
        start, _ = period_of(schedule, due)
        return _evaluate(due, _in_period(schedule, records, due), at, start)
    if schedule.kind == Kind.CONTINUOUS:
        # Ongoing work has no deadline: it is "in progress" in a month with a report, else "not started".
        if schedule.start and at < schedule.start:
            return TaskStatus(Status.NOT_STARTED, None, schedule.start)
        month_start = at.replace(day=1)
        this_month = [r for r in records if month_start <= r.reported_on <= at and r.percent > 0]
        percent = max((r.percent for r in this_month), default=0)
        return TaskStatus(
            Status.IN_PROGRESS if this_month else Status.NOT_STARTED, None, month_start, None, percent
        )
    return _evaluate(schedule.due, records, at)


def period_statuses(schedule: Schedule, progress: Iterable, year: int, at: date) -> list[TaskStatus]:
    """One status per occurrence of a recurring task falling in `year`, as of day `at`."""
    records = sorted(progress, key=lambda r: (r.reported_on, r.percent))
    result = []
    for due in due_dates(schedule, date(year, 1, 1), date(year, 12, 31)):
        result.append(_evaluate(due, _in_period(schedule, records, due), at, period_of(schedule, due)[0]))
    return result


def plan_start(plan) -> date | None:
    return date(plan.period_start, 1, 1) if plan.period_start else None


def task_status(task, at: date) -> TaskStatus:
    """Convenience for one task; lists should prefetch `progress` and call status_at themselves."""
    return status_at(task.parsed_schedule(), task.progress.all(), at, since=plan_start(task.plan))
