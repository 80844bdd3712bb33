from datetime import date

import pytest

from tasks.deadlines import parse_deadline
from tasks.status import ProgressPoint, Status, period_statuses, status_at, task_status
from tests.factories import TaskFactory, TaskProgressFactory

D = date.fromisoformat
PLAN_START = D("2026-01-01")


def p(reported_on, percent, period_due=None):
    return ProgressPoint(D(reported_on), percent, D(period_due) if period_due else None)


# deadline, progress, at, status, days late, due soon
CASES = [
    ("Quý II/2026", [], "2026-04-10", Status.NOT_STARTED, 0, False),
    ("Quý II/2026", [], "2026-06-25", Status.NOT_STARTED, 0, True),
    ("Quý II/2026", [p("2026-05-01", 40)], "2026-05-20", Status.IN_PROGRESS, 0, False),
    ("Quý II/2026", [p("2026-05-01", 40)], "2026-06-23", Status.IN_PROGRESS, 0, True),
    ("Quý II/2026", [p("2026-05-01", 40)], "2026-06-22", Status.IN_PROGRESS, 0, False),
    ("Quý II/2026", [p("2026-05-01", 40)], "2026-07-10", Status.OVERDUE, 10, False),
    ("Quý II/2026", [], "2026-07-01", Status.OVERDUE, 1, False),
    ("Quý II/2026", [p("2026-06-30", 100)], "2026-07-10", Status.DONE_ON_TIME, 0, False),
    ("Quý II/2026", [p("2026-07-15", 100)], "2026-08-01", Status.DONE_LATE, 15, False),
    # A completion reported after the day asked about does not count yet.
    ("Quý II/2026", [p("2026-07-15", 100)], "2026-07-10", Status.OVERDUE, 10, False),
    ("Tháng 01/2026", [p("2026-01-20", 100)], "2026-01-25", Status.DONE_ON_TIME, 0, False),
    # Recurring: each year is its own period.
    ("Hằng năm", [], "2026-03-01", Status.NOT_STARTED, 0, False),
    ("Hằng năm", [p("2026-11-30", 100)], "2026-12-01", Status.DONE_ON_TIME, 0, False),
    ("Hằng năm", [p("2026-11-30", 100)], "2027-02-01", Status.NOT_STARTED, 0, False),
    ("Hằng năm", [], "2027-02-01", Status.OVERDUE, 32, False),
    ("Hằng năm", [p("2027-01-10", 100, "2026-12-31")], "2027-02-01", Status.NOT_STARTED, 0, False),
    # Once a period is over and done (even late), the status is that of the next period.
    (
        "trước ngày 15/8 hằng năm",
        [p("2026-08-16", 100, "2026-08-15")],
        "2026-09-01",
        Status.NOT_STARTED,
        0,
        False,
    ),
    ("trước ngày 15/8 hằng năm", [], "2026-08-10", Status.NOT_STARTED, 0, True),
    # Continuous work has no deadline: never overdue.
    ("Thường xuyên", [], "2026-05-05", Status.NOT_STARTED, 0, False),
    ("Thường xuyên", [p("2026-05-02", 50)], "2026-05-05", Status.IN_PROGRESS, 0, False),
    ("Thường xuyên", [p("2026-04-02", 50)], "2026-05-05", Status.NOT_STARTED, 0, False),
    ("Từ Quý III/2026 và thực hiện thường xuyên", [], "2026-05-05", Status.NOT_STARTED, 0, False),
    # A first milestone, then yearly: the milestone decides until it is met.
    (
        "Hoàn thành trong Quý I/2026; tiếp tục theo dõi, kiểm tra định kỳ hằng năm",
        [],
        "2026-04-10",
        Status.OVERDUE,
        10,
        False,
    ),
    (
        "Hoàn thành trong Quý I/2026; tiếp tục theo dõi, kiểm tra định kỳ hằng năm",
        [p("2026-03-20", 100, "2026-03-31")],
        "2026-04-10",
        Status.NOT_STARTED,
        0,
        False,
    ),
    (
        "Hoàn thành trong Quý I/2026; tiếp tục theo dõi, kiểm tra định kỳ hằng năm",
        [p("2026-03-20", 100, "2026-03-31")],
        "2027-01-05",
        Status.OVERDUE,
        5,
        False,
    ),
    # Not understood: no deadline to be late against.
    ("Theo lộ trình TP", [], "2027-01-01", Status.NOT_STARTED, 0, False),
    ("Theo lộ trình TP", [p("2026-05-01", 100)], "2027-01-01", Status.DONE_ON_TIME, 0, False),
]


@pytest.mark.parametrize(("deadline", "progress", "at", "status", "days_late", "due_soon"), CASES)
def test_it_gives_the_status_at_a_date(deadline, progress, at, status, days_late, due_soon):
    result = status_at(parse_deadline(deadline), progress, D(at), since=PLAN_START)
    assert result.status == status
    assert result.days_late == days_late
    assert result.due_soon is due_soon


def test_it_gives_recurring_tasks_a_status_per_period():
    schedule = parse_deadline("Hằng quý")
    progress = [p("2026-03-20", 100, "2026-03-31"), p("2026-07-05", 100, "2026-06-30"), p("2026-08-01", 30)]
    statuses = period_statuses(schedule, progress, 2026, D("2026-11-23"))
    assert [s.due for s in statuses] == [D("2026-03-31"), D("2026-06-30"), D("2026-09-30"), D("2026-12-31")]
    assert [s.status for s in statuses] == [
        Status.DONE_ON_TIME,
        Status.DONE_LATE,
        Status.OVERDUE,
        Status.NOT_STARTED,
    ]
    assert statuses[2].percent == 30
    assert statuses[2].days_late == 54


def test_it_never_counts_occurrences_before_the_plan_began_as_missed():
    yearly = parse_deadline("Hằng năm")
    assert status_at(yearly, [], D("2026-03-01"), since=PLAN_START).status == Status.NOT_STARTED
    assert status_at(yearly, [], D("2026-03-01"), since=None).status == Status.NOT_STARTED
    late = period_statuses(
        parse_deadline("trước ngày 15/8 hằng năm"),
        [p("2026-08-16", 100, "2026-08-15")],
        2026,
        D("2026-09-01"),
    )
    assert [(s.status, s.days_late) for s in late] == [(Status.DONE_LATE, 1)]


def test_it_reads_a_tasks_own_progress_records(plan):
    task = TaskFactory(plan=plan, deadline_text="Quý I/2026")
    TaskProgressFactory(task=task, reported_on=D("2026-02-01"), percent=60)
    assert task_status(task, D("2026-03-01")).status == Status.IN_PROGRESS
    TaskProgressFactory(task=task, reported_on=D("2026-03-30"), percent=100)
    result = task_status(task, D("2026-04-02"))
    assert (result.status, result.completed_on, result.label) == (
        Status.DONE_ON_TIME,
        D("2026-03-30"),
        "Hoàn thành đúng hạn",
    )
