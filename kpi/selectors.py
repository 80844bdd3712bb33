"""Reads of scorecards: their score, a month's summary per unit, a ward's completeness and timeliness."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kpi.models import Rubric, RubricGroup, Scorecard, ScoreEntry
from kpi.scoring import Item, Result, Score, score


def ordered_entries(card: Scorecard, *, with_evidence: bool = False) -> list[ScoreEntry]:
    entries = card.entries.select_related("criterion", "group")
    if with_evidence:  # pages that list each entry's evidence: one query, not one per entry
        entries = entries.prefetch_related("evidence")
    return sorted(
        entries,
        key=lambda e: (e.group.order, e.criterion is None, e.criterion.order if e.criterion else 0, e.pk),
    )


def entry_item(entry: ScoreEntry) -> Item:
    return Item(
        key=str(entry.pk),
        group=entry.group.code,
        points=entry.points,
        result=entry.result,
        ratio=entry.ratio,
        manual_points=entry.reviewed_points,
        adhoc=entry.is_adhoc,
    )


def score_entries(
    rubric: Rubric, entries: list[ScoreEntry], group_max: dict[str, Decimal] | None = None
) -> Score:
    if group_max is None:
        group_max = {g.code: g.max_points for g in rubric.groups.all()}
    return score([entry_item(e) for e in entries], group_max, rubric.policy)


def scorecard_score(card: Scorecard) -> Score:
    """The engine's score of the card as it stands (the approved snapshot is on the card itself)."""
    return score_entries(card.rubric, ordered_entries(card))


@dataclass
class SummaryRow:
    unit: object
    card: Scorecard | None
    score: Score | None

    @property
    def state(self) -> str | None:
        return self.card.state if self.card else None

    @property
    def official_total(self) -> Decimal | None:
        """What the leader approved (the snapshot) once approved; the engine's figure before that."""
        if self.card is not None and self.card.is_locked:
            return self.card.approved_total
        return self.score.total if self.score else None

    @property
    def official_rank(self) -> str | None:
        if self.card is not None and self.card.is_locked:
            return self.card.approved_rank or None
        return self.score.rank if self.score else None


def month_summary(rubric: Rubric, month: date, units=None) -> list[SummaryRow]:
    """One row per unit expected by the rubric (or the units given), with its card and score, in a fixed
    number of queries. A card scored on an older version of the plan's rubric is scored with that version."""
    units = list(units if units is not None else rubric.units.order_by("path"))
    cards: dict[int, Scorecard] = {}
    for card in (
        Scorecard.objects.filter(rubric__plan_id=rubric.plan_id, month=month, unit__in=units)
        .select_related("unit", "rubric")
        .order_by("rubric__version")
    ):
        cards[card.unit_id] = card  # the newest version wins if a unit has two
    entries: dict[int, list[ScoreEntry]] = defaultdict(list)
    for entry in (
        ScoreEntry.objects.filter(scorecard__in=cards.values())
        .select_related("criterion", "group")
        .order_by("id")
    ):
        entries[entry.scorecard_id].append(entry)
    group_max: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for group in RubricGroup.objects.filter(rubric__in={c.rubric_id for c in cards.values()}):
        group_max[group.rubric_id][group.code] = group.max_points
    rows = []
    for unit in units:
        card = cards.get(unit.pk)
        card_score = score_entries(card.rubric, entries[card.pk], group_max[card.rubric_id]) if card else None
        rows.append(SummaryRow(unit, card, card_score))
    return rows


@dataclass
class Rates:
    expected: int  # units the rubric expects a card from
    submitted: int  # cards past "Nháp" (submitted, reviewed, approved or imported)
    timed: int  # of those, cards whose submission time is known (imported months have none)
    on_time: int

    @property
    def completeness(self) -> Decimal | None:
        return Decimal(self.submitted) / self.expected * 100 if self.expected else None

    @property
    def timeliness(self) -> Decimal | None:
        return Decimal(self.on_time) / self.timed * 100 if self.timed else None


def month_rates(rubric: Rubric, month: date) -> Rates:
    from django.db.models import Count, Q

    cards = Scorecard.objects.filter(rubric__plan_id=rubric.plan_id, month=month, unit__in=rubric.units.all())
    counts = cards.exclude(state=Scorecard.State.DRAFT).aggregate(
        submitted=Count("id"),
        timed=Count("id", filter=Q(submitted_on_time__isnull=False)),
        on_time=Count("id", filter=Q(submitted_on_time=True)),
    )
    return Rates(rubric.units.count(), counts["submitted"], counts["timed"], counts["on_time"])


def latest_rubrics(*, ward=None) -> list[Rubric]:
    """The newest version of each plan's rubric (of plans issued in `ward`, if given)."""
    rubrics = Rubric.objects.select_related("plan__issuer").order_by("plan_id", "-version")
    if ward is not None:
        rubrics = rubrics.filter(plan__issuer__ward=ward)
    latest = {}
    for rubric in rubrics:
        latest.setdefault(rubric.plan_id, rubric)
    return list(latest.values())


@dataclass
class DueWork:
    """A task linked to a criterion, as it stands for one unit in one month."""

    task: object
    role: str  # "chủ trì" or "phối hợp"
    due_in_month: list[date]  # occurrences of the task falling in the month
    status: object  # tasks.status.TaskStatus at the end of the month (or today, if earlier)
    unit_percent: int  # the unit's own latest reported progress this month

    @property
    def period_ends(self) -> bool:
        """A period of the task ends this month: its deliverable, not just progress, decides the score."""
        return bool(self.due_in_month)


def criterion_work(
    rubric: Rubric, unit, month: date, *, today: date | None = None
) -> dict[int, list[DueWork]]:
    """For each criterion (by id), the linked tasks the unit leads or coordinates, with what is due in the
    month and how far the unit has got — what a quarterly or yearly task asks of this month. Fixed queries."""
    from django.db.models import Prefetch, Q

    from kpi.months import next_month
    from tasks.deadlines import due_dates
    from tasks.models import Task
    from tasks.status import plan_start, status_at

    month_end = next_month(month).toordinal() - 1
    at = date.fromordinal(month_end)
    if today is not None and today < at:
        at = today
    from plans.models import OrgUnit

    # The unit and the units below it: a department does not lead what its parent leads.
    own = set(
        OrgUnit.objects.filter(Q(pk=unit.pk) | Q(path__startswith=unit.path + "/")).values_list(
            "pk", flat=True
        )
    )
    tasks = (
        Task.objects.filter(criteria__group__rubric=rubric)
        .filter(Q(lead_units__in=own) | Q(coordinating_units__in=own))
        .select_related("plan")
        .prefetch_related("lead_units", "progress", Prefetch("criteria", to_attr="linked_criteria"))
        .distinct()
    )
    result: dict[int, list[DueWork]] = defaultdict(list)
    for task in tasks:
        schedule = task.parsed_schedule()
        records = list(task.progress.all())
        reported = [r for r in records if r.unit_id == unit.pk and month <= r.reported_on <= at]
        role = "chủ trì" if any(u.pk in own for u in task.lead_units.all()) else "phối hợp"
        work = DueWork(
            task=task,
            role=role,
            due_in_month=due_dates(schedule, month, date.fromordinal(month_end)),
            status=status_at(schedule, records, at, since=plan_start(task.plan)),
            unit_percent=max((r.percent for r in reported), default=0),
        )
        for criterion in task.linked_criteria:
            result[criterion.pk].append(work)
    return dict(result)


# --- Review ----------------------------------------------------------------------------------------------------


@dataclass
class QueueRow:
    unit: object
    rubric: Rubric
    card: Scorecard | None
    deadline: date
    today: date

    @property
    def state(self) -> str:
        return self.card.state if self.card else "missing"

    @property
    def late(self) -> bool:
        """Sent after the deadline, or not sent and the deadline has passed."""
        if self.card is not None and self.card.submitted_on_time is not None:
            return not self.card.submitted_on_time
        unsent = self.card is None or self.card.state == Scorecard.State.DRAFT
        return unsent and self.today > self.deadline

    @property
    def total(self) -> Decimal | None:
        return self.card.official_total if self.card else None


def review_queue(user, month: date, *, today: date) -> list[QueueRow]:
    """Every unit in the user's scope that the newest rubric of a plan expects a card from, with its card for
    the month (or none yet), ward by ward. Fixed queries, whatever the number of units."""
    from kpi.services import submission_deadline  # services import this module: imported when called
    from plans.access import units_in_scope

    scope = units_in_scope(user)
    latest: dict[int, Rubric] = {}
    for rubric in Rubric.objects.filter(plan__issuer__in=scope).order_by("plan_id", "-version"):
        latest.setdefault(rubric.plan_id, rubric)
    expected = (
        Rubric.units.through.objects.filter(rubric__in=latest.values(), orgunit__in=scope)
        .select_related("orgunit__ward")
        .order_by("orgunit__path")
    )
    cards = {
        (card.rubric.plan_id, card.unit_id): card
        for card in Scorecard.objects.filter(rubric__plan_id__in=latest, month=month, unit__in=scope)
        .select_related("rubric", "unit__ward")
        .order_by("rubric__version")
    }
    deadline_of = {plan_id: submission_deadline(rubric, month) for plan_id, rubric in latest.items()}
    rows, seen = [], set()
    rubric_of = {rubric.pk: rubric for rubric in latest.values()}
    for link in expected:
        rubric = rubric_of[link.rubric_id]
        key = (rubric.plan_id, link.orgunit_id)
        seen.add(key)
        rows.append(QueueRow(link.orgunit, rubric, cards.get(key), deadline_of[rubric.plan_id], today))
    for key, card in cards.items():
        if key not in seen:  # a card from a unit the rubric no longer lists: still shown, never hidden
            rows.append(QueueRow(card.unit, latest[key[0]], card, deadline_of[key[0]], today))
    return sorted(rows, key=lambda r: (r.unit.path, r.rubric.plan_id))


def claimed_entries(card: Scorecard) -> dict[int, object]:
    """Each entry as the unit sent it (its history record at the last submission), keyed by entry id."""
    sent = card.transitions.filter(to_state=Scorecard.State.SUBMITTED).order_by("-at").first()
    if sent is None:
        return {}
    claimed = {}
    for record in ScoreEntry.history.filter(scorecard_id=card.pk, history_date__lte=sent.at).order_by(
        "history_date", "history_id"
    ):
        claimed[record.id] = record
    return claimed


@dataclass
class HistoryEvent:
    at: object
    who: object
    title: str
    changes: list[tuple[str, str, str]]  # (field, before, after)
    reason: str = ""


TRACKED_FIELDS = [
    "result",
    "ratio",
    "self_points",
    "reviewed_points",
    "review_reason",
    "comment",
    "evidence_note",
]


def _shown(field: str, value) -> str:
    from plans.formatting import vn_decimal

    if value is None or value == "":
        return "—"
    if field == "result":
        return Result(value).label
    if field == "ratio":
        return f"{vn_decimal(value * 100, 0)}%"
    if isinstance(value, Decimal):
        return vn_decimal(value)
    return str(value)


def card_history(card: Scorecard) -> list[HistoryEvent]:
    """Everything that happened to the card, oldest first: its state changes (who, when, why) and every
    change to an entry's result, points, reasons, comments and evidence notes (django-simple-history)."""
    labels = {name: ScoreEntry._meta.get_field(name).verbose_name for name in TRACKED_FIELDS}
    events = [
        HistoryEvent(t.at, t.by, f"{t.get_from_state_display()} → {t.get_to_state_display()}", [], t.reason)
        for t in card.transitions.select_related("by")
    ]
    codes = dict(
        card.entries.filter(criterion__isnull=False).values_list("pk", "criterion__code").order_by("pk")
    )
    previous = {}
    for record in (
        ScoreEntry.history.filter(scorecard_id=card.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        name = codes.get(record.id) or f"Nhiệm vụ đột xuất “{record.adhoc_title}”"
        before = previous.get(record.id)
        previous[record.id] = record
        if record.history_type == "-":
            events.append(HistoryEvent(record.history_date, record.history_user, f"Xóa {name}", []))
            continue
        if before is None:
            # Criteria start "Không áp dụng" with the card, which says nothing; an ad-hoc task is news.
            if record.criterion_id is None:
                events.append(HistoryEvent(record.history_date, record.history_user, f"Thêm {name}", []))
            continue
        changes = [
            (labels[f], _shown(f, getattr(before, f)), _shown(f, getattr(record, f)))
            for f in TRACKED_FIELDS
            if getattr(before, f) != getattr(record, f)
        ]
        if changes:
            events.append(HistoryEvent(record.history_date, record.history_user, f"Tiêu chí {name}", changes))
    return sorted(events, key=lambda e: e.at)
