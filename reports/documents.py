"""The contents of each report, as plain data: what PDF and Excel both render. No formatting here."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone

from kpi.models import Scorecard
from kpi.months import previous_month
from kpi.scoring import Rank, Result
from kpi.selectors import latest_rubrics, month_rates, month_summary, ordered_entries, score_entries
from plans.models import DocumentProfile, IndicatorValue, OrgUnit, Plan
from tasks.deadlines import quarter_end
from tasks.selectors import plan_tasks
from tasks.status import Status, plan_start, status_at

RANKS = [Rank.EXCELLENT, Rank.GOOD, Rank.PASS, Rank.FAIL]


@dataclass
class Issuer:
    """The header and signature of an official document (NĐ 30/2020), from a DocumentProfile."""

    parent_line: str
    name_line: str
    place: str
    symbol: str
    signer_authority: str
    signer_title: str
    signer_name: str
    recipients: list[str]

    @classmethod
    def for_ward(cls, ward: OrgUnit | None) -> Issuer:
        profiles = DocumentProfile.objects.select_related("unit")
        profile = profiles.filter(unit__ward=ward, issues_reports=True).first() if ward else None
        profile = profile or (profiles.filter(unit__ward=ward).first() if ward else None)
        if profile is None:
            # No profile yet: the ward's own name, and a blank signature block to fill by hand.
            name = (ward.name if ward else "").upper()
            place = ward.name.removeprefix("Phường ").removeprefix("phường ") if ward else ""
            return cls("", name, place, "BC", "", "", "", ["Lưu: VT."])
        return cls.from_profile(profile)

    @classmethod
    def from_profile(cls, profile: DocumentProfile) -> Issuer:
        return cls(
            profile.parent_line, profile.name_line, profile.place, profile.symbol, profile.signer_authority,
            profile.signer_title, profile.signer_name, profile.recipient_lines,
        )  # fmt: skip


@dataclass
class CriterionLine:
    code: str
    name: str
    achievement: str
    evidence_expected: str
    evidence: str  # what the unit attached
    frequency: str
    max_points: Decimal
    self_points: Decimal | None
    points: Decimal | None  # None: not applicable this month
    note: str


@dataclass
class GroupBlock:
    code: str
    name: str
    max_points: Decimal
    lines: list[CriterionLine] = field(default_factory=list)
    self_points: Decimal = Decimal("0")
    points: Decimal = Decimal("0")


@dataclass
class ScorecardDocument:
    card: Scorecard
    unit: OrgUnit
    month: date
    issuer: Issuer
    groups: list[GroupBlock]
    applicable: Decimal
    self_total: Decimal
    achieved: Decimal
    total: Decimal | None
    rank: str | None
    is_draft: bool
    dated: date

    @property
    def rank_label(self) -> str:
        return Rank(self.rank).label if self.rank else "Chưa xếp loại (không có tiêu chí áp dụng)"


def _result_note(entry) -> str:
    parts = []
    if entry.result != Result.NOT_APPLICABLE:
        label = Result(entry.result).label
        if entry.ratio is not None:
            label += f" ({entry.ratio * 100:.0f}%)".replace(".", ",")
        parts.append(label)
    if entry.comment:
        parts.append(entry.comment)
    if entry.reviewed_points is not None:
        parts.append(f"Điểm thẩm định nhập tay: {entry.review_reason}")
    return ". ".join(parts)


def scorecard_document(card: Scorecard) -> ScorecardDocument:
    entries = ordered_entries(card)
    score = score_entries(card.rubric, entries)
    items = {item.key: item for item in score.items}
    groups: dict[str, GroupBlock] = {}
    for group in card.rubric.groups.order_by("order"):
        groups[group.code] = GroupBlock(group.code, group.name, group.max_points)
    is_draft = card.state == Scorecard.State.DRAFT
    for entry in entries:
        block = groups[entry.group.code]
        item = items[str(entry.pk)]
        criterion = entry.criterion
        # Self points are frozen when the unit submits; a draft shows what the unit claims as it stands.
        claimed = (item.achieved if item.applicable else None) if is_draft else entry.self_points
        line = CriterionLine(
            code=criterion.code if criterion else "Đột xuất",
            name=criterion.name if criterion else entry.adhoc_title,
            achievement=criterion.achievement if criterion else "",
            evidence_expected=criterion.evidence if criterion else "",
            evidence=entry.evidence_note,
            frequency=criterion.frequency if criterion else "",
            max_points=item.possible if item.applicable else entry.points,
            self_points=claimed,
            points=item.achieved if item.applicable else None,
            note=_result_note(entry),
        )
        block.lines.append(line)
        block.self_points += claimed or 0
        block.points += item.achieved
    approved = card.is_locked
    return ScorecardDocument(
        card=card,
        unit=card.unit,
        month=card.month,
        issuer=Issuer.for_ward(card.unit.ward),
        groups=list(groups.values()),
        applicable=score.applicable,
        self_total=sum((line.self_points or 0 for g in groups.values() for line in g.lines), Decimal("0")),
        achieved=score.achieved,
        total=card.approved_total if approved else score.total,
        rank=(card.approved_rank or None) if approved else score.rank,
        is_draft=is_draft,
        dated=timezone.localtime(card.approved_at).date()
        if approved and card.approved_at
        else timezone.localdate(),
    )


@dataclass
class SummaryLine:
    unit: OrgUnit
    state: str
    total: Decimal | None
    rank: str | None
    groups: dict[str, Decimal]
    on_time: bool | None
    previous: Decimal | None

    @property
    def change(self) -> Decimal | None:
        return None if self.total is None or self.previous is None else self.total - self.previous

    @property
    def rank_label(self) -> str:
        return Rank(self.rank).label if self.rank else ""


@dataclass
class WardSummary:
    ward: OrgUnit
    month: date
    issuer: Issuer
    blocks: list[tuple[object, list[SummaryLine], object, list]]  # (rubric, lines, rates, group codes)
    dated: date

    @property
    def rank_counts(self) -> dict[str, int]:
        counts = Counter(line.rank for _, lines, _, _ in self.blocks for line in lines if line.rank)
        return {Rank(rank).label: counts.get(rank, 0) for rank in RANKS}


def _lines(rubric, month: date, units=None) -> list[SummaryLine]:
    rows = month_summary(rubric, month, units)
    previous = {r.unit.pk: r for r in month_summary(rubric, previous_month(month), [r.unit for r in rows])}
    lines = []
    for row in rows:
        before = previous.get(row.unit.pk)
        lines.append(
            SummaryLine(
                unit=row.unit,
                state=row.card.get_state_display() if row.card else "Chưa có phiếu",
                total=row.official_total,
                rank=row.official_rank,
                groups=row.score.groups if row.score else {},
                on_time=row.card.submitted_on_time if row.card else None,
                previous=before.official_total if before else None,
            )
        )
    return lines


def ward_summary(ward: OrgUnit, month: date) -> WardSummary:
    blocks = []
    for rubric in latest_rubrics(ward=ward):
        groups = list(rubric.groups.order_by("order").values_list("code", flat=True))
        blocks.append((rubric, _lines(rubric, month), month_rates(rubric, month), groups))
    return WardSummary(ward, month, Issuer.for_ward(ward), blocks, timezone.localdate())


@dataclass
class TaskLine:
    code: str
    title: str
    group: str
    leads: list[str]
    deadline: str
    due: date | None
    status: str
    status_label: str
    percent: int
    days_late: int
    deliverable: str
    delivered: str  # the last progress note: what was reported done or delivered


@dataclass
class IndicatorLine:
    code: str
    text: str
    target: str
    value: Decimal | None
    measured_on: date | None
    met: bool | None
    progress: Decimal | None


@dataclass
class QuarterReport:
    plan: Plan
    year: int
    quarter: int
    at: date
    issuer: Issuer
    tasks: list[TaskLine]
    indicators: list[IndicatorLine]
    kpi_months: list[date]
    kpi: list[tuple[OrgUnit, list[SummaryLine | None]]]
    dated: date

    @property
    def label(self) -> str:
        return f"Quý {['I', 'II', 'III', 'IV'][self.quarter - 1]}/{self.year}"

    @property
    def status_counts(self) -> dict[str, int]:
        counts = Counter(t.status for t in self.tasks)
        return {Status(s).label: counts.get(s, 0) for s in Status.values}

    def counts_by(self, key) -> list[tuple[str, dict[str, int]]]:
        grouped: dict[str, Counter] = defaultdict(Counter)
        for task in self.tasks:
            for name in key(task):
                grouped[name][task.status] += 1
        return [(name, {Status(s).label: c.get(s, 0) for s in Status.values}) for name, c in grouped.items()]

    @property
    def by_group(self):
        return self.counts_by(lambda t: [t.group or "(không nhóm)"])

    @property
    def by_lead(self):
        return sorted(self.counts_by(lambda t: t.leads or ["(chưa xác định)"]), key=lambda item: item[0])

    @property
    def overdue(self) -> list[TaskLine]:
        return sorted((t for t in self.tasks if t.status == Status.OVERDUE), key=lambda t: -t.days_late)


def indicator_line(indicator, value: IndicatorValue | None) -> IndicatorLine:
    met = indicator.is_met(value.value if value is not None else None)
    progress = None
    if value is not None and indicator.comparator == "gte" and indicator.target_value:
        progress = min(value.value / indicator.target_value * 100, Decimal("100"))
    return IndicatorLine(
        indicator.code, indicator.text, indicator.target_display, value.value if value else None,
        value.measured_on if value else None, met, progress,
    )  # fmt: skip


def quarter_report(plan: Plan, year: int, quarter: int, *, today: date | None = None) -> QuarterReport:
    today = today or timezone.localdate()
    end = quarter_end(year, quarter)
    at = min(end, today)
    since = plan_start(plan)
    lines = []
    for task in plan_tasks(plan):
        schedule = task.parsed_schedule()
        records = list(task.progress.all())
        status = status_at(schedule, records, at, since=since)
        done = [r for r in records if r.reported_on <= at and r.note]
        lines.append(
            TaskLine(
                code=task.code,
                title=task.title,
                group=task.group.code if task.group else "",
                leads=[u.name for u in task.lead_units.all()],
                deadline=task.deadline_text,
                due=status.due,
                status=status.status,
                status_label=status.label,
                percent=status.percent,
                days_late=status.days_late,
                deliverable=task.deliverable,
                delivered=done[-1].note if done else "",
            )
        )
    values = IndicatorValue.objects.filter(indicator__plan=plan, measured_on__lte=at).order_by("measured_on")
    latest = {v.indicator_id: v for v in values}
    indicators = [indicator_line(i, latest.get(i.pk)) for i in plan.indicators.order_by("order")]

    months = [date(year, 3 * quarter - 2 + i, 1) for i in range(3)]
    kpi_rows: dict[int, tuple[OrgUnit, list]] = {}
    ward = plan.issuer.ward
    for rubric in latest_rubrics(ward=ward) if ward else []:
        for index, month in enumerate(months):
            for line in _lines(rubric, month):
                kpi_rows.setdefault(line.unit.pk, (line.unit, [None, None, None]))[1][index] = line
    return QuarterReport(
        plan, year, quarter, at, Issuer.for_ward(ward), lines, indicators, months,
        sorted(kpi_rows.values(), key=lambda item: item[0].path), today,
    )  # fmt: skip
