"""What `send_reminders` finds as of one day, and the daily job that runs it.

Every rule yields Messages (reports.notify); `send_reminders` records each once per recipient, subject and
day and then sends the day's digest. The rules, as of `today`:

* tasks due in 7, 3 and 1 days, to the officers of the lead units (the coordinating units' officers are told of
  the same dates); overdue tasks the day after the deadline and then every 7 days;
* cards not yet sent 3 days and 1 day before the rubric's submission deadline (to the unit's officers), with the
  scored criteria still lacking evidence; the day after the deadline, the units without a sent card, to the
  ward's reviewers;
* returned cards (also told at once, reports.apps), cards waiting for review more than
  REMINDER_REVIEW_AFTER_DAYS days (reviewers) and for approval more than REMINDER_APPROVAL_AFTER_DAYS days
  (leaders), again every 7 days while they wait.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from kpi.models import Scorecard, Transition
from kpi.months import previous_month
from kpi.selectors import latest_rubrics
from kpi.services import missing_evidence, submission_deadline
from plans.access import Role, unit_in_scope
from plans.models import OrgUnit, UserProfile
from reports.notify import Kind, Message, ward_staff
from tasks.models import Task
from tasks.status import Status, plan_start, status_at

State = Scorecard.State
DUE_IN_DAYS = (7, 3, 1)
CARD_DUE_IN_DAYS = (3, 1)
REPEAT_EVERY_DAYS = 7
RETURN_LOOKBACK_DAYS = 7


def _officers_by_unit() -> dict[int, list]:
    """Every active officer, by unit: one query for the whole run."""
    result = defaultdict(list)
    for profile in (
        UserProfile.objects.filter(role=Role.OFFICER, user__is_active=True)
        .select_related("user", "unit__ward")
        .order_by("user__username")
    ):
        profile.user._scoped_profile = profile
        result[profile.unit_id].append(profile.user)
    return result


def _repeats_today(days: int, first: int) -> bool:
    """On day `first` and then once a week while it lasts."""
    return days >= first and (days - first) % REPEAT_EVERY_DAYS == 0


def task_messages(today: date, officers: dict[int, list]) -> Iterator[Message]:
    tasks = (
        Task.objects.select_related("plan")
        .prefetch_related("lead_units", "coordinating_units", "progress")
        .order_by("plan_id", "order", "id")
    )
    for task in tasks:
        status = status_at(task.parsed_schedule(), task.progress.all(), today, since=plan_start(task.plan))
        if status.due is None or status.status in (Status.DONE_ON_TIME, Status.DONE_LATE):
            continue
        if status.status == Status.OVERDUE:
            if not _repeats_today(status.days_late, 1):
                continue
            kind = Kind.TASK_OVERDUE
            title = f"Nhiệm vụ {task.code} đã quá hạn {status.days_late} ngày (hạn {status.due:%d/%m/%Y})"
        else:
            days = (status.due - today).days
            if days not in DUE_IN_DAYS:
                continue
            kind = Kind.TASK_DUE
            title = f"Nhiệm vụ {task.code} đến hạn sau {days} ngày ({status.due:%d/%m/%Y})"
        for role, units in (("chủ trì", task.lead_units.all()), ("phối hợp", task.coordinating_units.all())):
            for unit in units:
                for user in officers.get(unit.pk, []):
                    yield Message(
                        user, kind, f"task:{task.pk}:{status.due.isoformat()}", today, title,
                        f"{task.title}\n{unit.name} {role} · Kế hoạch {task.plan.display_number}"
                        + (f" · đã báo {status.percent}%" if status.percent else ""),
                        reverse("task", args=[task.pk]), unit, ("task", task),
                    )  # fmt: skip


def card_messages(today: date, officers: dict[int, list]) -> Iterator[Message]:
    for rubric in latest_rubrics():
        units = list(rubric.units.select_related("ward").order_by("path"))
        # Before the deadline: the month whose deadline is 3 or 1 days away.
        for days in CARD_DUE_IN_DAYS:
            target = today + timedelta(days=days)
            month = previous_month(target.replace(day=1))
            if submission_deadline(rubric, month) != target:
                continue
            cards = {c.unit_id: c for c in Scorecard.objects.filter(plan_id=rubric.plan_id, month=month)}
            link = reverse("self_assessment", args=[f"{month:%Y-%m}"])
            for unit in units:
                card = cards.get(unit.pk)
                if card is not None and card.state != State.DRAFT:
                    continue
                missing = missing_evidence(card) if card is not None else []
                for user in officers.get(unit.pk, []):
                    yield Message(
                        user, Kind.CARD_DUE, f"card:{rubric.plan_id}:{unit.pk}:{month.isoformat()}", today,
                        f"Phiếu KPI tháng {month:%m/%Y} chưa nộp: còn {days} ngày (hạn {target:%d/%m/%Y})",
                        f"{unit.name} · {'phiếu đang là nháp' if card else 'chưa lập phiếu'}", link, unit,
                        ("unit", unit),
                    )  # fmt: skip
                    if missing:
                        yield Message(
                            user, Kind.EVIDENCE_MISSING, f"evidence:{card.pk}", today,
                            f"Phiếu KPI tháng {month:%m/%Y}: {len(missing)} tiêu chí đã chấm chưa có minh chứng",
                            "Tiêu chí: " + ", ".join(missing) + ". Phiếu chỉ nộp được khi đủ minh chứng.",
                            reverse("scorecard", args=[card.pk]), unit, ("card", card),
                        )  # fmt: skip
        # The day after the deadline: the ward's reviewers get the list of units with no card sent.
        month = previous_month(today.replace(day=1))
        if submission_deadline(rubric, month) + timedelta(days=1) == today:
            yield from _missing_cards(rubric, month, units, today)


def _missing_cards(rubric, month: date, units: list[OrgUnit], today: date) -> Iterator[Message]:
    sent = set(
        Scorecard.objects.filter(plan_id=rubric.plan_id, month=month)
        .exclude(state=State.DRAFT)
        .values_list("unit_id", flat=True)
    )
    by_ward = defaultdict(list)
    for unit in units:
        if unit.pk not in sent and unit.ward_id:
            by_ward[unit.ward].append(unit)
    link = reverse("review_queue") + f"?month={month:%Y-%m}"
    for ward, missing in by_ward.items():
        for user in ward_staff(ward, Role.REVIEWER):
            # Only the units this reviewer can see are named, whatever the rubric lists.
            seen = [u for u in missing if unit_in_scope(user, u)]
            if not seen:
                continue
            yield Message(
                user, Kind.CARDS_MISSING, f"missing:{rubric.plan_id}:{ward.pk}:{month.isoformat()}", today,
                f"{len(seen)} đơn vị chưa nộp phiếu KPI tháng {month:%m/%Y} (đã quá hạn)",
                "; ".join(u.name for u in seen), link, ward, ("unit", ward),
            )  # fmt: skip


def returned_messages(transition: Transition, officers: dict[int, list] | None = None) -> list[Message]:
    """The unit's officers are told a card came back, with the reviewer's reason, on the day it did."""
    card = transition.scorecard
    users = officers.get(card.unit_id, []) if officers is not None else _officers_of(card.unit)
    day = timezone.localtime(transition.at).date() if transition.at else timezone.localdate()
    by = transition.by.get_full_name() or transition.by.username if transition.by else "Người thẩm định"
    return [
        Message(
            user,
            Kind.CARD_RETURNED,
            f"returned:{transition.pk}",
            day,
            f"Phiếu KPI tháng {card.month:%m/%Y} bị trả lại",
            f"{by} trả lại phiếu của {card.unit.name}. Lý do: {transition.reason}",
            reverse("scorecard", args=[card.pk]),
            card.unit,
            ("card", card),
        )
        for user in users
    ]


def _officers_of(unit: OrgUnit) -> list:
    from reports.notify import officers_of

    return officers_of(unit)


def is_return(transition: Transition) -> bool:
    return transition.to_state == State.DRAFT and transition.from_state in (State.SUBMITTED, State.REVIEWED)


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def returned_card_messages(today: date, officers: dict[int, list]) -> Iterator[Message]:
    """Returns of the last week whose card is still a draft: a return told at once is not told again (same
    subject and day), one the signal missed (a worker down) is told on the next run."""
    since, until = (
        _midnight(today - timedelta(days=RETURN_LOOKBACK_DAYS)),
        _midnight(today + timedelta(days=1)),
    )
    returns = (
        Transition.objects.filter(at__gte=since, at__lt=until, to_state=State.DRAFT)
        .filter(from_state__in=[State.SUBMITTED, State.REVIEWED], scorecard__state=State.DRAFT)
        .select_related("scorecard__unit__ward", "by")
        .order_by("scorecard_id", "-at", "-id")
    )
    latest = {}
    for transition in returns:
        latest.setdefault(transition.scorecard_id, transition)
    for transition in latest.values():
        if transition.scorecard.transitions.order_by("-at", "-id").first() == transition:
            yield from returned_messages(transition, officers)


def waiting_messages(today: date) -> Iterator[Message]:
    rules = [
        (State.SUBMITTED, "submitted_at", settings.REMINDER_REVIEW_AFTER_DAYS, Role.REVIEWER, Kind.REVIEW_WAITING,
         "chờ thẩm định", "review"),
        (State.REVIEWED, "reviewed_at", settings.REMINDER_APPROVAL_AFTER_DAYS, Role.LEADER,
         Kind.APPROVAL_WAITING, "chờ phê duyệt", "scorecard"),
    ]  # fmt: skip
    for state, since_field, after, role, kind, waiting, page in rules:
        cards = Scorecard.objects.filter(state=state, **{f"{since_field}__isnull": False}).select_related(
            "unit__ward"
        )
        staff = {}
        for card in cards.order_by("unit__path"):
            days = (today - timezone.localtime(getattr(card, since_field)).date()).days
            if not _repeats_today(days, after):
                continue
            if card.unit.ward_id not in staff:
                staff[card.unit.ward_id] = ward_staff(card.unit.ward, role)
            for user in staff[card.unit.ward_id]:
                yield Message(
                    user, kind, f"{kind}:{card.pk}", today,
                    f"Phiếu KPI tháng {card.month:%m/%Y} của {card.unit.name} {waiting} {days} ngày",
                    "", reverse(page, args=[card.pk]), card.unit, ("card", card),
                )  # fmt: skip


def reminders_for(today: date) -> list[Message]:
    """Everything that is due to be said on `today`, before the access check and the once-a-day record."""
    officers = _officers_by_unit()
    return [
        *task_messages(today, officers),
        *card_messages(today, officers),
        *returned_card_messages(today, officers),
        *waiting_messages(today),
    ]


def daily() -> None:
    """The scheduled run (django-q2's Schedule "send_reminders", made by `schedule_reminders`)."""
    from django.core.management import call_command

    call_command("send_reminders")


def first_run_after(now, time_text: str):
    """The next moment at REMINDER_TIME, local time, from `now`."""
    hour, minute = (int(part) for part in time_text.split(":"))
    local = timezone.localtime(now)
    at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at if at > local else at + timedelta(days=1)
