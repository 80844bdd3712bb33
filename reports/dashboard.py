"""The leaders' dashboard: a ward's month at a glance, and the city's wards side by side.

Everything here is a read, in a fixed number of queries whatever the number of units, wards or months: the
card's stored score (kpi.services keeps it equal to the engine's) is aggregated by the database; only the
plan's tasks (tens, not thousands) are evaluated in Python, by the same status rules as everywhere else.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Case, CharField, Count, DecimalField, F, Q, Sum, When

from kpi.models import Rubric, RubricGroup, Scorecard
from kpi.months import previous_month
from kpi.scoring import Rank, round2
from kpi.selectors import Rates
from plans.models import Indicator, OrgUnit, Plan
from tasks.status import Status, plan_start, status_at

State = Scorecard.State
APPROVED = Q(state=State.APPROVED)
# What a card counts for: the leader's snapshot once approved, the engine's current figure before.
OFFICIAL_TOTAL = Case(
    When(APPROVED, then=F("approved_total")), default=F("total"), output_field=DecimalField()
)
OFFICIAL_RANK = Case(When(APPROVED, then=F("approved_rank")), default=F("rank"), output_field=CharField())
RANKS = [*Rank.choices, ("", "Chưa xếp loại")]
STATES = [*State.choices, ("missing", "Chưa có phiếu")]


def months_back(month: date, count: int) -> list[date]:
    months = [month]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months[::-1]


# --- Ward -----------------------------------------------------------------------------------------------------


@dataclass
class UnitRow:
    unit: OrgUnit
    card_id: int | None
    state: str  # a Scorecard.State or "missing"
    total: Decimal | None
    rank: str  # Rank value or ""
    on_time: bool | None
    groups: dict[str, str | None]
    previous_total: Decimal | None = None
    position: int | None = None
    previous_position: int | None = None

    @property
    def change(self) -> Decimal | None:
        if self.total is None or self.previous_total is None:
            return None
        return self.total - self.previous_total

    @property
    def position_change(self) -> int | None:
        """Places gained since last month (positive: up the table)."""
        if self.position is None or self.previous_position is None:
            return None
        return self.previous_position - self.position

    @property
    def places_down(self) -> int:
        return -(self.position_change or 0)

    @property
    def rank_label(self) -> str:
        return Rank(self.rank).label if self.rank else "Chưa xếp loại"

    @property
    def state_label(self) -> str:
        return dict(STATES)[self.state]


@dataclass
class TrendPoint:
    month: date
    average: Decimal | None
    ranks: dict[str, int]
    cards: int


@dataclass
class OverdueRow:
    task: object
    days_late: int
    due: date
    lead: list
    coordinating: list
    last_update: object | None


@dataclass
class IndicatorRow:
    indicator: Indicator
    latest: object | None  # IndicatorValue
    progress: Decimal | None  # percent of the way from the baseline to the target
    at_risk: bool | None  # None: cannot tell (qualitative, or no figure yet)


@dataclass
class WardDashboard:
    ward: OrgUnit
    month: date
    plans: list[Plan]
    plan: Plan | None
    rubric: Rubric | None
    kind: str
    kinds: list[tuple[str, str]]
    rows: list[UnitRow] = field(default_factory=list)
    groups: list[RubricGroup] = field(default_factory=list)
    rank_counts: list[tuple[str, str, int]] = field(default_factory=list)
    state_counts: list[tuple[str, str, int]] = field(default_factory=list)
    rates: Rates | None = None
    trend: list[TrendPoint] = field(default_factory=list)
    task_counts: list[tuple[str, str, int]] = field(default_factory=list)
    tasks_by_group: list[tuple[object, dict[str, int]]] = field(default_factory=list)
    tasks_by_lead: list[tuple[UnitRef, dict[str, int]]] = field(default_factory=list)
    overdue: list[OverdueRow] = field(default_factory=list)
    indicators: list[IndicatorRow] = field(default_factory=list)
    today: date | None = None

    @property
    def average(self) -> Decimal | None:
        totals = [row.total for row in self.rows if row.total is not None]
        return round2(sum(totals) / len(totals)) if totals else None


def ward_rubrics(ward: OrgUnit) -> list[Rubric]:
    """The newest rubric of each plan issued in the ward, with its plan (one query)."""
    latest: dict[int, Rubric] = {}
    for rubric in (
        Rubric.objects.filter(plan__issuer__ward=ward).select_related("plan").order_by("plan_id", "-version")
    ):
        latest.setdefault(rubric.plan_id, rubric)
    return list(latest.values())


def _positions(rows: list[UnitRow], total_of) -> dict[int, int]:
    """Standard competition ranking (1, 2, 2, 4) by total, highest first; units without a total get none."""
    scored = sorted((total_of(r), r.unit.pk) for r in rows if total_of(r) is not None)
    scored.sort(key=lambda pair: -pair[0])
    positions, last, place = {}, None, 0
    for index, (total, unit_id) in enumerate(scored, start=1):
        if total != last:
            place, last = index, total
        positions[unit_id] = place
    return positions


def ward_dashboard(
    ward: OrgUnit, *, month: date, today: date, plan_id: int | None = None, kind: str = ""
) -> WardDashboard:
    rubrics = ward_rubrics(ward)
    rubric = next((r for r in rubrics if r.plan_id == plan_id), None) if plan_id else None
    rubric = rubric or (rubrics[0] if rubrics else None)
    board = WardDashboard(
        ward, month, [r.plan for r in rubrics], rubric.plan if rubric else None, rubric, kind,
        OrgUnit.Kind.choices, today=today,
    )  # fmt: skip
    if rubric is None:
        return board
    plan = rubric.plan
    board.groups = list(rubric.groups.order_by("order"))
    units = rubric.units.order_by("path")
    if kind:
        units = units.filter(kind=kind)
    units = list(units)
    previous = previous_month(month)

    # Cards of this month and the last (one query), by the official figures.
    cards: dict[tuple[date, int], dict] = {}
    for card in (
        Scorecard.objects.filter(rubric__plan=plan, month__in=[month, previous], unit__in=units)
        .annotate(official_total=OFFICIAL_TOTAL, official_rank=OFFICIAL_RANK)
        .order_by("rubric__version")
        .values("id", "unit_id", "month", "state", "official_total", "official_rank", "submitted_on_time",
                "group_percents")
    ):  # fmt: skip
        cards[(card["month"], card["unit_id"])] = card  # the newest version wins
    rows = []
    for unit in units:
        card = cards.get((month, unit.pk))
        before = cards.get((previous, unit.pk))
        rows.append(
            UnitRow(
                unit, card["id"] if card else None, card["state"] if card else "missing",
                card["official_total"] if card else None, (card["official_rank"] or "") if card else "",
                card["submitted_on_time"] if card else None, (card["group_percents"] or {}) if card else {},
                previous_total=before["official_total"] if before else None,
            )
        )  # fmt: skip
    now = _positions(rows, lambda r: r.total)
    then = _positions(rows, lambda r: r.previous_total)
    for row in rows:
        row.position, row.previous_position = now.get(row.unit.pk), then.get(row.unit.pk)
    rows.sort(key=lambda r: (r.position is None, r.position or 0, r.unit.path))
    board.rows = rows

    # Ranks of the cards the units have sent; a draft's figure is still moving.
    ranks = Counter(row.rank for row in rows if row.state not in ("missing", State.DRAFT))
    board.rank_counts = [(value, label, ranks[value]) for value, label in RANKS]
    states = Counter(row.state for row in rows)
    board.state_counts = [(value, label, states[value]) for value, label in STATES]
    sent = [row for row in rows if row.state not in ("missing", State.DRAFT)]
    timed = [row for row in sent if row.on_time is not None]
    board.rates = Rates(len(rows), len(sent), len(timed), sum(1 for row in timed if row.on_time))
    board.trend = _trend(Q(rubric__plan=plan, unit__in=units), month)
    _tasks(board, plan, today)
    board.indicators = _indicators(plan, today)
    return board


def _trend(where: Q, month: date, count: int = 12) -> list[TrendPoint]:
    """Average official total and cards per rank for each of the last `count` months (one query)."""
    months = months_back(month, count)
    rank_counts = {
        f"rank_{value or 'none'}": Count("id", filter=Q(official_rank=value) & ~Q(state=State.DRAFT))
        for value, _ in RANKS
    }
    found = {
        item["month"]: item
        for item in Scorecard.objects.filter(where, month__in=months)
        .annotate(official_total=OFFICIAL_TOTAL, official_rank=OFFICIAL_RANK)
        .values("month")
        .annotate(average=Avg("official_total"), cards=Count("id"), **rank_counts)
        .order_by("month")
    }
    points = []
    for each in months:
        item = found.get(each)
        points.append(
            TrendPoint(
                each,
                round2(Decimal(item["average"])) if item and item["average"] is not None else None,
                {value: item[f"rank_{value or 'none'}"] for value, _ in RANKS} if item else {},
                item["cards"] if item else 0,
            )
        )
    return points


TASK_STATUSES = Status.choices
DONE = {Status.DONE_ON_TIME, Status.DONE_LATE}  # "Xong" in the dashboard's tables counts both


@dataclass(frozen=True)
class UnitRef:
    pk: int
    name: str


@dataclass(frozen=True)
class Update:
    """A progress report as the status rules and the overdue list need it (tasks.status.ProgressPoint)."""

    reported_on: date
    percent: int
    period_due: date | None
    note: str
    pk: int


def task_statuses(plan: Plan, today: date) -> list[tuple[object, object]]:
    """Each task of the plan (sub-tasks included) with its status today, by the shared status rules.

    A plan's tasks name hundreds of units ("các trường" is every school) and carry hundreds of progress
    reports; they are read as plain rows (four queries) and hung on the tasks as `leads`, `partners` and
    `updates`, rather than as model instances, which costs ten times more for the same page."""
    from tasks.models import Task, TaskProgress

    tasks = list(Task.objects.filter(plan=plan).select_related("group").order_by("order", "id"))
    leads, partners, updates = defaultdict(list), defaultdict(list), defaultdict(list)
    for target, through in ((leads, Task.lead_units.through), (partners, Task.coordinating_units.through)):
        for task_id, unit_id, name in through.objects.filter(task__plan=plan).values_list(
            "task_id", "orgunit_id", "orgunit__name"
        ):
            target[task_id].append(UnitRef(unit_id, name))
    for task_id, *fields in (
        TaskProgress.objects.filter(task__plan=plan)
        .values_list("task_id", "reported_on", "percent", "period_due", "note", "pk")
        .order_by("reported_on", "pk")
    ):
        updates[task_id].append(Update(*fields))
    since = plan_start(plan)
    result = []
    for task in tasks:
        task.leads = sorted(leads[task.pk], key=lambda u: u.name)
        task.partners = sorted(partners[task.pk], key=lambda u: u.name)
        task.updates = updates[task.pk]
        result.append((task, status_at(task.parsed_schedule(), task.updates, today, since=since)))
    return result


def _tasks(board: WardDashboard, plan: Plan, today: date):
    statuses = task_statuses(plan, today)
    overall = Counter(status.status for _, status in statuses)
    board.task_counts = [(value, label, overall[value]) for value, label in TASK_STATUSES]
    by_group: dict[object, Counter] = defaultdict(Counter)
    by_lead: dict[UnitRef, Counter] = defaultdict(Counter)
    for task, status in statuses:
        by_group[task.group][status.status] += 1
        for unit in task.leads:
            by_lead[unit][status.status] += 1
    for counts in [*by_group.values(), *by_lead.values()]:
        counts["done"] = sum(counts[status] for status in DONE)
    board.tasks_by_group = sorted(
        by_group.items(), key=lambda pair: (pair[0] is None, pair[0] and pair[0].order)
    )
    board.tasks_by_lead = sorted(by_lead.items(), key=lambda pair: (-pair[1][Status.OVERDUE], pair[0].name))
    board.overdue = sorted(
        (
            OverdueRow(task, status.days_late, status.due, task.leads, task.partners,
                       task.updates[-1] if task.updates else None)
            for task, status in statuses
            if status.status == Status.OVERDUE
        ),
        key=lambda row: (-row.days_late, row.task.order),
    )  # fmt: skip


def _indicators(plan: Plan, today: date) -> list[IndicatorRow]:
    from django.db.models import OuterRef, Subquery

    from plans.models import IndicatorValue

    newest = IndicatorValue.objects.filter(indicator=OuterRef("pk")).order_by("-measured_on", "-pk")
    rows = []
    for indicator in plan.indicators.annotate(
        latest_value=Subquery(newest.values("value")[:1]),
        latest_on=Subquery(newest.values("measured_on")[:1]),
    ).order_by("order", "id"):
        latest = None
        if indicator.latest_on is not None:
            latest = IndicatorValue(
                indicator=indicator, value=indicator.latest_value, measured_on=indicator.latest_on
            )
        rows.append(IndicatorRow(indicator, latest, *_progress(indicator, latest, today)))
    # At risk first, then those on track, then those that cannot be measured.
    return sorted(rows, key=lambda r: ({True: 0, False: 1, None: 2}[r.at_risk], r.indicator.order))


def _progress(indicator: Indicator, latest, today: date) -> tuple[Decimal | None, bool | None]:
    """How far the indicator has come from its baseline towards its target, in percent, and whether that is
    behind the share of the period already gone (a straight line from the baseline year to the target year)."""
    Comparator = Indicator.Comparator
    if latest is None or indicator.comparator == Comparator.QUALITATIVE:
        return None, None
    value = latest.value
    met = indicator.is_met(value)
    if met is None:
        return None, None
    target, base = indicator.target_value, indicator.baseline_value
    if indicator.comparator == Comparator.NONE_OCCURS or base is None or base == target:
        # No path from a baseline to follow: the target is reached or it is not.
        if met or indicator.comparator == Comparator.NONE_OCCURS or not target:
            return (Decimal(100) if met else Decimal(0)), not met
        return round2(min(value / target * 100, Decimal(100))), True
    progress = (value - base) / (target - base) * 100
    progress = max(Decimal(0), min(Decimal(100), progress))
    start, end = indicator.baseline_year, indicator.target_year
    if start and end and end > start:
        elapsed = Decimal(min(max(today.year - start, 0), end - start)) / (end - start) * 100
    else:
        elapsed = Decimal(100)
    return round2(progress), progress < elapsed


# --- City -----------------------------------------------------------------------------------------------------


@dataclass
class WardRow:
    ward: OrgUnit
    expected: int = 0
    cards: int = 0
    submitted: int = 0
    timed: int = 0
    on_time: int = 0
    average: Decimal | None = None
    previous_average: Decimal | None = None
    states: dict[str, int] = field(default_factory=dict)
    ranks: dict[str, int] = field(default_factory=dict)
    position: int | None = None

    @property
    def rates(self) -> Rates:
        return Rates(self.expected, self.submitted, self.timed, self.on_time)

    @property
    def change(self) -> Decimal | None:
        if self.average is None or self.previous_average is None:
            return None
        return self.average - self.previous_average


@dataclass
class CityOverview:
    root: OrgUnit
    month: date
    rows: list[WardRow]
    trend: list[TrendPoint]

    @property
    def totals(self) -> WardRow:
        total = WardRow(self.root)
        for row in self.rows:
            for name in ("expected", "cards", "submitted", "timed", "on_time"):
                setattr(total, name, getattr(total, name) + getattr(row, name))
        averages = [(row.average, row.cards) for row in self.rows if row.average is not None]
        weight = sum(cards for _, cards in averages)
        total.average = round2(sum(a * c for a, c in averages) / weight) if weight else None
        return total


def city_overview(root: OrgUnit, *, month: date) -> CityOverview:
    """One row per ward under `root`: expected cards, states, ranks, rates and the average official total of
    the newest rubric of each of the ward's plans, with last month's average and the city's 12-month trend
    (four queries in all)."""
    wards = list(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.WARD)
        .filter(Q(pk=root.pk) | Q(path__startswith=root.path + "/"))
        .order_by("path")
    )
    in_scope = Q(plan__issuer__ward__in=wards)
    latest: dict[int, int] = {}
    for rubric_id, plan_id in (
        Rubric.objects.filter(in_scope).order_by("plan_id", "-version").values_list("id", "plan_id")
    ):
        latest.setdefault(plan_id, rubric_id)
    rows = {ward.pk: WardRow(ward) for ward in wards}
    for item in (
        Rubric.units.through.objects.filter(rubric_id__in=latest.values())
        .values("orgunit__ward_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if item["orgunit__ward_id"] in rows:
            rows[item["orgunit__ward_id"]].expected = item["n"]
    rank_counts = {
        f"rank_{value or 'none'}": Count("id", filter=Q(official_rank=value) & ~Q(state=State.DRAFT))
        for value, _ in RANKS
    }
    state_counts = {f"state_{value}": Count("id", filter=Q(state=value)) for value in State.values}
    previous = previous_month(month)
    months = months_back(month, 12)
    # One pass over the twelve months, per ward and month: the rows (this month and last) and the city's
    # trend both come from it. Sums and counts, not averages, so that the city's figure is exact.
    by_month: dict[date, dict] = {each: defaultdict(int) for each in months}
    for item in (
        Scorecard.objects.filter(rubric__plan_id__in=latest, month__in=months, unit__ward__in=wards)
        .annotate(official_total=OFFICIAL_TOTAL, official_rank=OFFICIAL_RANK)
        .values("unit__ward_id", "month")
        .annotate(
            points=Sum("official_total"), scored=Count("official_total"), cards=Count("id"),
            timed=Count("id", filter=~Q(state=State.DRAFT) & Q(submitted_on_time__isnull=False)),
            on_time=Count("id", filter=~Q(state=State.DRAFT) & Q(submitted_on_time=True)),
            **rank_counts, **state_counts,
        )
        .order_by()
    ):  # fmt: skip
        total = by_month[item["month"]]
        for key in ("points", "scored", "cards", *rank_counts):
            total[key] += item[key] or 0
        row = rows[item["unit__ward_id"]]
        average = round2(item["points"] / item["scored"]) if item["scored"] else None
        if item["month"] == previous:
            row.previous_average = average
        if item["month"] != month:
            continue
        row.average, row.cards = average, item["cards"]
        row.timed, row.on_time = item["timed"], item["on_time"]
        row.states = {value: item[f"state_{value}"] for value in State.values}
        row.submitted = row.cards - row.states[State.DRAFT]
        row.ranks = {value: item[f"rank_{value or 'none'}"] for value, _ in RANKS}
    trend = [
        TrendPoint(
            each,
            round2(Decimal(total["points"]) / total["scored"]) if total["scored"] else None,
            {value: total[f"rank_{value or 'none'}"] for value, _ in RANKS} if total["cards"] else {},
            total["cards"],
        )
        for each, total in by_month.items()
    ]
    ordered = sorted(rows.values(), key=lambda r: (r.average is None, -(r.average or 0), r.ward.path))
    last, place = None, 0
    for index, row in enumerate(ordered, start=1):
        if row.average is None:
            break
        if row.average != last:
            place, last = index, row.average
        row.position = place
    return CityOverview(root, month, ordered, trend)
