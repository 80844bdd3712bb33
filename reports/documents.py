"""The contents of each report, as plain data: what PDF and Excel both render. No formatting here."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from kpi.models import Scorecard, ScoreEntry
from kpi.months import previous_month
from kpi.scoring import Rank, Result, round2
from kpi.selectors import latest_rubrics, month_rates, month_summary, score_entries
from plans.formatting import vn_decimal
from plans.models import DocumentProfile, IndicatorValue, OrgUnit, Plan
from plans.units import UnitDirectory
from reports.explanation import Explanation, explain
from reports.rounding import PrintedPoints, printed_points
from tasks.deadlines import quarter_end
from tasks.models import Evidence
from tasks.selectors import plan_tasks
from tasks.status import Status, plan_start, status_at

RANKS = [Rank.EXCELLENT, Rank.GOOD, Rank.PASS, Rank.FAIL]
NO_CARD = "Chưa có phiếu"


STATE, PARTY = DocumentProfile.Format.STATE, DocumentProfile.Format.PARTY
BLANK_NUMBER = "\u00a0" * 7  # the văn thư writes the number in by hand when the document is registered


def official_date(day: date | None) -> str:
    """ "ngày 05 tháng 4 năm 2026": both NĐ 30/2020 (Phụ lục I, mục II.5) and HD 36-HD/VPTW put a zero before
    a day below 10 and before months 1 and 2 only, so that a date cannot be altered by hand."""
    if day is None:
        return "ngày … tháng … năm …"
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


@dataclass
class Issuer:
    """The header and signature of an official document, from the issuing body's DocumentProfile, in the
    body's format: a State body's (NĐ 30/2020) or a Party body's (HD 36-HD/VPTW); docs/reports.md."""

    parent_line: str
    name_line: str
    place: str
    symbol: str
    signer_authority: str
    signer_title: str
    signer_name: str
    recipients: list[str]
    doc_format: str = STATE
    number: str = ""  # given when the document is registered; blank leaves the space for the văn thư
    unit: OrgUnit | None = None

    @classmethod
    def for_ward(cls, ward: OrgUnit | None) -> Issuer:
        """The body that issues the ward's KPI reports (the profile marked so, usually Phòng VH-XH)."""
        profiles = DocumentProfile.objects.select_related("unit", "signer_user")
        profile = profiles.filter(unit__ward=ward, issues_reports=True).first() if ward else None
        profile = profile or (profiles.filter(unit__ward=ward).first() if ward else None)
        if profile is None:
            # No profile yet: the ward's own name, and a blank signature block to fill by hand.
            name = (ward.name if ward else "").upper()
            place = ward.name.removeprefix("Phường ").removeprefix("phường ") if ward else ""
            return cls("", name, place, "BC", "", "", "", ["Lưu: VT."], unit=ward)
        return cls.from_profile(profile)

    @classmethod
    def for_body(cls, unit: OrgUnit) -> Issuer:
        """The profile of a body or, failing that, of the nearest body above it that has one: a plan of the
        Ban Thường vụ Đảng ủy is reported on in the Đảng ủy's name. Without any, the ward's report issuer."""
        ancestors = [unit.path.rsplit("/", depth)[0] for depth in range(unit.path.count("/") + 1)]
        profiles = {
            p.unit.path: p
            for p in DocumentProfile.objects.select_related("unit", "signer_user").filter(
                unit__path__in=ancestors
            )
        }
        for path in ancestors:
            if path in profiles:
                return cls.from_profile(profiles[path])
        return cls.for_ward(unit.ward or unit)

    @classmethod
    def from_profile(cls, profile: DocumentProfile) -> Issuer:
        return cls(
            profile.parent_line, profile.name_line, profile.place, profile.symbol, profile.signer_authority,
            profile.signer_title, profile.signer_full_name, profile.recipient_lines, profile.doc_format,
            unit=profile.unit,
        )  # fmt: skip

    @property
    def is_party(self) -> bool:
        return self.doc_format == PARTY

    @property
    def number_line(self) -> str:
        """NĐ 30/2020: "Số: 12/BC-VHXH". HD 36-HD/VPTW: "Số 12-BC/ĐU", no colon and a hyphen before the type."""
        number = self.number.strip() or BLANK_NUMBER
        return f"Số {number}-{self.symbol}" if self.is_party else f"Số: {number}/{self.symbol}"

    def dated_line(self, day: date | None) -> str:
        return f"{self.place}, {official_date(day)}"


class IssuerError(ValueError):
    """A body asked to issue a document that it cannot issue; the message is for the user, in Vietnamese."""


def issuer_of(unit: OrgUnit | None, number: str = "", *, default: Issuer) -> Issuer:
    """The issuer a report is printed for: the body asked for (it must have its own profile), or the
    report's default; with the number it was registered under, if any."""
    if unit is None:
        issuer = default
    else:
        profile = DocumentProfile.objects.select_related("unit", "signer_user").filter(unit=unit).first()
        if profile is None:
            raise IssuerError(
                f"{unit.name} chưa có “Thông tin ban hành văn bản” (trang quản trị), nên chưa ban hành được "
                "báo cáo."
            )
        issuer = Issuer.from_profile(profile)
    issuer.number = number or ""
    return issuer


NO_FULL_NAME = "(chưa khai báo họ tên)"


def person_label(user) -> str | None:
    """How a report names a person: "Nguyễn Văn A, Chuyên viên Phòng VH-XH" — the full name and the title on
    the profile (or the unit's name). Never the username: without a full name, only that it is missing."""
    if user is None:
        return None
    name = user.get_full_name().strip()
    if not name:
        return NO_FULL_NAME
    profile = getattr(user, "profile", None)  # superusers may have none
    title = (profile.title.strip() or profile.unit.name) if profile is not None else ""
    return f"{name}, {title}" if title else name


@dataclass
class EvidenceLine:
    """One attached file or link, as the reviewer saw it."""

    name: str  # the file's original name, or the link
    is_link: bool
    doc_number: str
    doc_date: date | None
    summary: str
    deleted_on: date | None  # hidden by the unit after it was attached (kept, never erased)

    @classmethod
    def of(cls, evidence) -> EvidenceLine:
        is_link = not evidence.file and bool(evidence.url)
        return cls(
            name=evidence.url if is_link else (evidence.original_name or evidence.file.name.rsplit("/")[-1]),
            is_link=is_link,
            doc_number=evidence.doc_number,
            doc_date=evidence.doc_date,
            summary=evidence.summary,
            deleted_on=timezone.localtime(evidence.deleted_at).date() if evidence.deleted_at else None,
        )

    @property
    def reference(self) -> str:
        """ "số 12/BC-VHXH, ngày 20/03/2026", what of it is known."""
        parts = []
        if self.doc_number:
            parts.append(f"số {self.doc_number}")
        if self.doc_date:
            parts.append(f"ngày {self.doc_date:%d/%m/%Y}")
        return ", ".join(parts)

    @property
    def text(self) -> str:
        """The whole line, for a spreadsheet cell."""
        text = ("Đường dẫn: " if self.is_link else "Tệp: ") + self.name
        for part in (self.reference, self.summary):
            if part:
                text += f"; {part}"
        if self.deleted_on:
            text += f" (đơn vị đã xóa ngày {self.deleted_on:%d/%m/%Y})"
        return text


@dataclass
class CriterionLine:
    code: str
    name: str
    achievement: str
    evidence_expected: str
    frequency: str
    result: str  # Result value
    ratio: Decimal | None
    evidence: list[EvidenceLine]  # what the unit attached
    evidence_note: str  # what the unit wrote about its evidence
    na_reason: str  # why "Không áp dụng": the rubric's or the unit's
    na_by_rubric: bool
    na_accepted: bool
    max_points: Decimal
    self_points: Decimal | None  # None: claimed "Không áp dụng" (or not assessed yet, on a draft)
    points: Decimal | None  # None: not applicable this month, or not assessed yet
    review_differs: bool  # the reviewed points are not the unit's own
    review_reason: str
    comment: str
    # From the "Giải trình điểm" (reports.explanation): how the result became the points, and what else the
    # line changed (the denominator, the unit's claim).
    rule: str = ""
    effects: list[str] = field(default_factory=list)

    @property
    def result_label(self) -> str:
        label = Result(self.result).label
        if self.ratio is not None:
            label += f" ({vn_decimal(self.ratio * 100, 0)}%)"
        return label

    @property
    def not_applicable(self) -> bool:
        return self.result == Result.NOT_APPLICABLE

    @property
    def not_assessed(self) -> bool:
        return self.result == Result.NOT_ASSESSED

    @property
    def na_source(self) -> str:
        return "theo bộ tiêu chí" if self.na_by_rubric else "đơn vị nêu"

    @property
    def na_status(self) -> str:
        """Whether the reason stands: the rubric's always does, the unit's once the reviewer accepts it."""
        if self.na_by_rubric:
            return ""
        return "thẩm định đã chấp nhận" if self.na_accepted else "thẩm định chưa chấp nhận"

    @property
    def notes(self) -> list[str]:
        """The remarks column: why not applicable, why the reviewer's points differ, the comment."""
        notes = []
        if self.not_applicable:
            status = f"; {self.na_status}" if self.na_status else ""
            notes.append(f"Lý do không áp dụng ({self.na_source}{status}): {self.na_reason}")
        if self.review_differs:
            notes.append(f"Lý do thẩm định: {self.review_reason or '(không ghi lý do)'}")
        if self.comment:
            notes.append(f"Nhận xét: {self.comment}")
        return notes


@dataclass
class GroupBlock:
    code: str
    name: str
    max_points: Decimal
    lines: list[CriterionLine] = field(default_factory=list)
    applicable: Decimal = Decimal("0")
    self_points: Decimal = Decimal("0")
    points: Decimal = Decimal("0")  # as printed: the groups add up to the printed points achieved
    sum_line: str = ""  # the group's points from its lines, as the engine adds them


@dataclass
class ScorecardDocument:
    card: Scorecard
    unit: OrgUnit
    month: date
    issuer: Issuer
    groups: list[GroupBlock]
    printed: PrintedPoints
    self_total: Decimal
    total: Decimal | None
    rank: str | None
    score_rank_label: str
    reviewer: str | None
    approver: str | None
    is_draft: bool
    dated: date
    explanation: Explanation | None = None

    @property
    def applicable(self) -> Decimal:
        return self.printed.applicable

    @property
    def achieved(self) -> Decimal:
        return self.printed.achieved

    @property
    def rank_label(self) -> str:
        return Rank(self.rank).label if self.rank else self.score_rank_label


def _card_entries(card: Scorecard) -> list[ScoreEntry]:
    """The card's entries in rubric order, each with its evidence (in the order attached): two queries."""
    evidence = Prefetch("evidence", queryset=Evidence.objects.order_by("uploaded_at", "pk"))
    entries = card.entries.select_related("criterion", "group").prefetch_related(evidence)
    return sorted(
        entries,
        key=lambda e: (e.group.order, e.criterion is None, e.criterion.order if e.criterion else 0, e.pk),
    )


def scorecard_document(card: Scorecard, issuer: Issuer | None = None) -> ScorecardDocument:
    """Everything the card was judged on, in a fixed number of queries whatever its evidence."""
    card = Scorecard.objects.select_related(
        "unit__ward", "rubric__plan", "reviewed_by__profile__unit", "approved_by__profile__unit"
    ).get(pk=card.pk)
    entries = _card_entries(card)
    rubric_groups = list(card.rubric.groups.order_by("order"))
    score = score_entries(card.rubric, entries, {g.code: g.max_points for g in rubric_groups})
    printed = printed_points(score)
    items = {item.key: item for item in score.items}
    groups = {g.code: GroupBlock(g.code, g.name, g.max_points) for g in rubric_groups}
    is_draft = card.state == Scorecard.State.DRAFT
    for entry in entries:
        block = groups[entry.group.code]
        item = items[str(entry.pk)]
        criterion = entry.criterion
        assessed = item.applicable and entry.result != Result.NOT_ASSESSED
        points = round2(item.achieved) if assessed else None
        # Self points are frozen when the unit submits; a draft shows what the unit claims as it stands,
        # rounded as submitting would freeze it.
        claimed = points if is_draft else entry.self_points
        line = CriterionLine(
            code=criterion.code if criterion else "Đột xuất",
            name=criterion.name if criterion else entry.adhoc_title,
            achievement=criterion.achievement if criterion else "",
            evidence_expected=criterion.evidence if criterion else "",
            frequency=criterion.frequency if criterion else "",
            result=entry.result,
            ratio=entry.ratio,
            evidence=[EvidenceLine.of(e) for e in entry.evidence.all()],
            evidence_note=entry.evidence_note,
            na_reason=entry.na_reason,
            na_by_rubric=entry.na_by_rubric,
            na_accepted=entry.na_accepted,
            max_points=item.possible if item.applicable else entry.points,
            self_points=claimed,
            points=points,
            review_differs=not is_draft and (entry.reviewed_points is not None or points != claimed),
            review_reason=entry.review_reason,
            comment=entry.comment,
        )
        block.lines.append(line)
        block.self_points += claimed or 0
    for code, block in groups.items():
        block.points = printed.groups.get(code, Decimal("0.00"))
        block.applicable = score.group_possible.get(code, Decimal("0"))
        if is_draft:  # the claim is the card as it stands: printed by the same rule as the points achieved
            block.self_points = block.points
    approved = card.is_locked
    explanation = explain(card, entries, items, score, printed, rubric_groups, approved=approved)
    for group in explanation.groups:
        block = groups[group.code]
        block.sum_line = group.sum_line
        for line, explained in zip(block.lines, group.lines, strict=True):
            line.rule, line.effects = explained.rule, explained.effects
    # The leader's snapshot is the official figure; but a card the engine gives no rank (results still to
    # choose, too little applying) never prints one.
    rank = ((card.approved_rank or None) if approved else score.rank) if score.rank else None
    return ScorecardDocument(
        card=card,
        unit=card.unit,
        month=card.month,
        issuer=issuer or Issuer.for_ward(card.unit.ward),
        groups=list(groups.values()),
        printed=printed,
        self_total=sum((g.self_points for g in groups.values()), Decimal("0")),
        total=card.approved_total if approved else score.total,
        rank=rank,
        score_rank_label=score.rank_label,
        reviewer=person_label(card.reviewed_by),
        approver=person_label(card.approved_by),
        is_draft=is_draft,
        dated=timezone.localtime(card.approved_at).date()
        if approved and card.approved_at
        else timezone.localdate(),
        explanation=explanation,
    )


@dataclass
class SummaryLine:
    unit: OrgUnit
    state: str
    total: Decimal | None
    rank: str | None
    groups: dict[str, Decimal]  # as printed: they add up to `achieved` (reports.rounding)
    on_time: bool | None
    previous: Decimal | None
    achieved: Decimal | None = None
    applicable: Decimal | None = None
    score_rank_label: str = ""  # what a card the engine gives no rank prints instead
    place: int | None = None  # by total, ties sharing a place (1, 2, 2, 4) as on the dashboard

    @property
    def change(self) -> Decimal | None:
        return None if self.total is None or self.previous is None else self.total - self.previous

    @property
    def rank_label(self) -> str:
        return Rank(self.rank).label if self.rank else self.score_rank_label


@dataclass
class WardSummary:
    ward: OrgUnit
    month: date
    issuer: Issuer
    blocks: list[tuple[object, list[SummaryLine], object, list]]  # (rubric, lines, rates, group codes)
    dated: date
    legend: dict[int, list[tuple[str, str, Decimal]]] = field(default_factory=dict)  # rubric pk -> groups

    @property
    def rank_counts(self) -> dict[str, int]:
        """Cards by rank, then the cards with no rank (results still to choose, too little applying) and the
        units with no card, so that the counts add up to the units listed."""
        lines = [line for _, lines, _, _ in self.blocks for line in lines]
        counts = Counter(line.rank for line in lines if line.rank)
        result = {Rank(rank).label: counts.get(rank, 0) for rank in RANKS}
        result["Chưa xếp loại"] = sum(1 for line in lines if line.state != NO_CARD and not line.rank)
        result[NO_CARD] = sum(1 for line in lines if line.state == NO_CARD)
        return result


def rank_places(lines: list[SummaryLine]) -> list[SummaryLine]:
    """The lines by total, highest first, with standard competition places (1, 2, 2, 4: the dashboard's
    rule, reports.dashboard._positions); lines without a total follow, unplaced, in the tree's order."""
    scored = sorted((line for line in lines if line.total is not None), key=lambda line: -line.total)
    last, place = None, 0
    for index, line in enumerate(scored, start=1):
        if line.total != last:
            place, last = index, line.total
        line.place = place
    return scored + [line for line in lines if line.total is None]


def _lines(rubric, month: date, units=None) -> list[SummaryLine]:
    rows = month_summary(rubric, month, units)
    previous = {r.unit.pk: r for r in month_summary(rubric, previous_month(month), [r.unit for r in rows])}
    lines = []
    for row in rows:
        before = previous.get(row.unit.pk)
        printed = printed_points(row.score) if row.score else None
        lines.append(
            SummaryLine(
                unit=row.unit,
                state=row.card.get_state_display() if row.card else NO_CARD,
                total=row.official_total,
                # Never a rank for a card the engine gives none (see scorecard_document).
                rank=row.official_rank if row.score and row.score.rank else None,
                groups=printed.groups if printed else {},
                on_time=row.card.submitted_on_time if row.card else None,
                previous=before.official_total if before else None,
                achieved=printed.achieved if printed else None,
                applicable=printed.applicable if printed else None,
                score_rank_label=row.score.rank_label if row.score else "",
            )
        )
    return lines


def ward_summary(ward: OrgUnit, month: date, issuer: Issuer | None = None) -> WardSummary:
    blocks, legend = [], {}
    for rubric in latest_rubrics(ward=ward):
        groups = list(rubric.groups.order_by("order"))
        legend[rubric.pk] = [(g.code, g.name, g.max_points) for g in groups]
        lines = rank_places(_lines(rubric, month))
        blocks.append((rubric, lines, month_rates(rubric, month), [g.code for g in groups]))
    return WardSummary(ward, month, issuer or Issuer.for_ward(ward), blocks, timezone.localdate(), legend)


def group_label(group) -> str:
    """ "Nhóm 1. Công tác lãnh đạo…" once, whether the plan codes its groups "1", "I" or "NHÓM 1"."""
    if group is None:
        return "(không nhóm)"
    code = re.sub(r"(?i)^nh[óo]m\s*", "", group.code.strip()).strip(" .")
    title = group.title.strip()
    return f"Nhóm {code}. {title[:1]}{title[1:].lower()}" if title.isupper() else f"Nhóm {code}. {title}"


FOLD_FROM = 4  # a cell names at most three units; beyond that, the first two and a count


def lead_names(text: str, units: list, directory) -> list[str]:
    """The lead units as a reader wants them in a table: a collective as its phrase with a count ("Các
    trường (6)"), each other unit by name. The phrase is the plan's own (`lead_text`), resolved as the import
    resolved it; units linked by hand beyond the text follow by name."""
    names, seen = [], set()
    if text:
        for match in directory.resolve(text).matches:
            if match.collective and len(match.units) > 1:
                names.append(f"{match.text[:1].upper()}{match.text[1:]} ({len(match.units)})")
            else:
                names += [u.name for u in match.units if u.pk not in seen]
            seen.update(u.pk for u in match.units)
    return names + [u.name for u in units if u.pk not in seen]


def folded(names: list[str]) -> str:
    """A long list folded: "UBND phường; Công an phường và 5 đơn vị khác"."""
    if len(names) >= FOLD_FROM:
        return f"{names[0]}; {names[1]} và {len(names) - 2} đơn vị khác"
    return "; ".join(names)


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
    lead_names: list[str] = field(default_factory=list)  # collectives as "Các trường (6)"

    @property
    def leads_folded(self) -> str:
        return folded(self.lead_names)


@dataclass
class IndicatorLine:
    code: str
    text: str
    target: str
    value: Decimal | None
    measured_on: date | None
    met: bool | None
    progress: Decimal | None
    milestone: str = ""  # "từ 85 (2025) đến ≥ 95% năm 2030": the path the target is measured on


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
    def task_groups(self) -> list[tuple[str, list[TaskLine]]]:
        """The tasks under their group's title, printed once, in the plan's order."""
        grouped: dict[str, list[TaskLine]] = {}
        for task in self.tasks:
            grouped.setdefault(task.group or "(không nhóm)", []).append(task)
        return list(grouped.items())

    @property
    def by_lead(self):
        # By the names the plan gives (a collective once, with its count), not by each school it covers.
        return sorted(self.counts_by(lambda t: t.lead_names or ["(chưa xác định)"]), key=lambda item: item[0])

    @property
    def overdue(self) -> list[TaskLine]:
        return sorted((t for t in self.tasks if t.status == Status.OVERDUE), key=lambda t: -t.days_late)


def indicator_line(indicator, value: IndicatorValue | None) -> IndicatorLine:
    met = indicator.is_met(value.value if value is not None else None)
    progress = None
    if value is not None and indicator.comparator == "gte" and indicator.target_value:
        progress = min(value.value / indicator.target_value * 100, Decimal("100"))
    milestone = f"năm {indicator.target_year}" if indicator.target_year else ""
    if indicator.baseline_value is not None:
        start = f"từ {vn_decimal(indicator.baseline_value, 1)}" + (
            f" (năm {indicator.baseline_year})" if indicator.baseline_year else ""
        )
        milestone = f"{start}; mục tiêu {milestone}".strip("; ") if milestone else start
    return IndicatorLine(
        indicator.code, indicator.text, indicator.target_display, value.value if value else None,
        value.measured_on if value else None, met, progress, milestone,
    )  # fmt: skip


def quarter_report(
    plan: Plan, year: int, quarter: int, *, today: date | None = None, issuer: Issuer | None = None
) -> QuarterReport:
    today = today or timezone.localdate()
    end = quarter_end(year, quarter)
    at = min(end, today)
    since = plan_start(plan)
    lines = []
    directory = UnitDirectory(plan.issuer.ward)
    for task in plan_tasks(plan):
        schedule = task.parsed_schedule()
        records = list(task.progress.all())
        status = status_at(schedule, records, at, since=since)
        done = [r for r in records if r.reported_on <= at and r.note]
        lines.append(
            TaskLine(
                code=task.code,
                title=task.title,
                group=group_label(task.group) if task.group else "",
                leads=[u.name for u in task.lead_units.all()],
                lead_names=lead_names(task.lead_text, list(task.lead_units.all()), directory),
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
        plan, year, quarter, at, issuer or Issuer.for_body(plan.issuer), lines, indicators, months,
        sorted(kpi_rows.values(), key=lambda item: item[0].path), today,
    )  # fmt: skip
