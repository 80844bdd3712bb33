"""Every write to rubrics and scorecards. Admin, pages, commands and imports all come through here.

`by` is the user acting; None means the system itself (a management command run by an administrator).
Each transition is stored with who, when, from, to and why; entries keep their history (simple-history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.utils import OperationalError
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from kpi.access import check_card_action
from kpi.errors import ConflictError, PermissionDenied, WorkflowError
from kpi.models import Criterion, LockedError, Rubric, RubricGroup, Scorecard, ScoreEntry, Transition
from kpi.months import next_month
from kpi.scoring import Result, Score, group_percents, round2
from kpi.selectors import ordered_entries, score_entries, scorecard_score
from plans.audit import Action, audit_record
from plans.formatting import vn_decimal
from plans.models import OrgUnit, Plan

State = Scorecard.State
TIMELINESS_CRITERION = "7.1"  # "Báo cáo định kỳ tháng đúng hạn": proposed by the system on submission


__all__ = ["ConflictError", "PermissionDenied", "WorkflowError"]  # re-exported: callers import them from here


# --- rubric ----------------------------------------------------------------------------------------------------


def rubric_errors(rubric: Rubric) -> list[str]:
    """What keeps the rubric's points from adding up: criteria to their group's max, groups to the total."""
    errors = []
    groups = list(rubric.groups.prefetch_related("criteria"))
    for group in groups:
        criteria_sum = sum((c.points for c in group.criteria.all()), Decimal("0"))
        if criteria_sum != group.max_points:
            errors.append(
                f"Nhóm {group.code}: tổng điểm các tiêu chí là {vn_decimal(criteria_sum)}, phải bằng điểm tối đa "
                f"của nhóm {vn_decimal(group.max_points)}."
            )
    group_sum = sum((g.max_points for g in groups), Decimal("0"))
    if group_sum != rubric.total:
        errors.append(
            f"Tổng điểm các nhóm là {vn_decimal(group_sum)}, phải bằng tổng điểm của bộ tiêu chí "
            f"{vn_decimal(rubric.total)}."
        )
    return errors


def split_points(total: Decimal, count: int) -> list[Decimal]:
    """Equal shares in hundredths, the remainder on the last: 10 / 3 -> 3.33, 3.33, 3.34."""
    share = (total / count).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    return [share] * (count - 1) + [total - share * (count - 1)]


@transaction.atomic
def rubric_create(
    *, plan: Plan, name: str, groups: list[dict], version: int | None = None, **policy
) -> Rubric:
    """groups: [{code, name, max_points, criteria: [{code, name, achievement, evidence, frequency, points?,
    tasks?}]}]. Criteria without points share their group's max equally. Refused unless the points add up."""
    if version is None:
        version = (plan.rubrics.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    rubric = Rubric(plan=plan, name=name, version=version, **policy)
    rubric.full_clean()
    rubric.save()
    for g_order, group_data in enumerate(groups, start=1):
        group = RubricGroup(
            rubric=rubric,
            code=group_data["code"],
            name=group_data["name"],
            max_points=Decimal(str(group_data["max_points"])),
            order=g_order,
        )
        group.full_clean()
        group.save()
        criteria = group_data.get("criteria", [])
        defaults = split_points(group.max_points, len(criteria)) if criteria else []
        for c_order, (data, default) in enumerate(zip(criteria, defaults, strict=True), start=1):
            criterion = Criterion(
                group=group,
                code=data["code"],
                name=data["name"],
                achievement=data.get("achievement", ""),
                evidence=data.get("evidence", ""),
                frequency=data.get("frequency", Criterion.Frequency.MONTH),
                points=Decimal(str(data["points"])) if data.get("points") is not None else default,
                order=c_order,
            )
            criterion.full_clean()
            criterion.save()
            if data.get("tasks"):
                criterion.tasks.set(data["tasks"])
    errors = rubric_errors(rubric)
    if errors:
        raise ValidationError(errors)
    return rubric


@transaction.atomic
def rubric_set_points(*, rubric: Rubric, points: dict[str, Decimal]) -> Rubric:
    """Change criterion points in place — only while no month has been scored on this version."""
    if rubric.scorecards.exists():
        raise WorkflowError(
            "Bộ tiêu chí này đã được dùng để chấm điểm: không sửa điểm trực tiếp, hãy tạo phiên bản mới "
            "(các tháng đã chấm giữ nguyên điểm cũ)."
        )
    _apply_points(rubric, points)
    return rubric


@transaction.atomic
def rubric_new_version(*, rubric: Rubric, points: dict[str, Decimal] | None = None) -> Rubric:
    """A copy of the rubric with a new version number and, optionally, new criterion points."""
    groups = []
    for group in rubric.groups.prefetch_related("criteria__tasks"):
        groups.append(
            {
                "code": group.code,
                "name": group.name,
                "max_points": group.max_points,
                "criteria": [
                    {
                        "code": c.code,
                        "name": c.name,
                        "achievement": c.achievement,
                        "evidence": c.evidence,
                        "frequency": c.frequency,
                        "points": c.points,
                        "tasks": list(c.tasks.all()),
                    }
                    for c in group.criteria.all()
                ],
            }
        )
    policy = {
        field: getattr(rubric, field)
        for field in ("total", "late_factor", "excellent_from", "good_from", "pass_from", "submission_day")
    }
    # Build with the old points (which add up), then apply the new ones and check again.
    new = rubric_create(plan=rubric.plan, name=rubric.name, groups=groups, **policy)
    new.units.set(rubric.units.all())
    if points:
        _apply_points(new, points)
    return new


def _apply_points(rubric: Rubric, points: dict[str, Decimal]):
    criteria = {c.code: c for c in Criterion.objects.filter(group__rubric=rubric)}
    unknown = set(points) - set(criteria)
    if unknown:
        raise ValidationError(f"Không có tiêu chí: {', '.join(sorted(unknown))}.")
    for code, value in points.items():
        criteria[code].points = Decimal(str(value))
        criteria[code].full_clean()
        criteria[code].save(update_fields=["points"])
    errors = rubric_errors(rubric)
    if errors:
        raise ValidationError(errors)


# --- scorecards --------------------------------------------------------------------------------------------


def submission_deadline(rubric: Rubric, month: date) -> date:
    following = next_month(month)
    return following.replace(day=rubric.submission_day)


def new_entries(card: Scorecard, rubric: Rubric) -> list[ScoreEntry]:
    """A card's entries for a rubric: "Chưa chấm", except criteria that do not apply to the unit's kind,
    which the rubric sets "Không áp dụng" with its reason (and the unit is not offered)."""
    entries = []
    for c in Criterion.objects.filter(group__rubric=rubric).select_related("group"):
        entry = ScoreEntry(scorecard=card, criterion=c, group=c.group, result=Result.NOT_ASSESSED)
        if not c.applies_to_kind(card.unit.kind):
            entry.result, entry.na_reason, entry.na_by_rubric = (
                Result.NOT_APPLICABLE,
                c.rubric_na_reason,
                True,
            )
        entries.append(entry)
    return entries


@transaction.atomic
def scorecard_get_or_create(*, unit: OrgUnit, rubric: Rubric, month: date) -> Scorecard:
    """The unit's card for the plan's month, whatever rubric version it was made on; a new one is made on
    `rubric`, with one entry per criterion ("Chưa chấm" until the unit chooses)."""
    month = month.replace(day=1)
    card = Scorecard.objects.filter(unit=unit, plan_id=rubric.plan_id, month=month).first()
    if card is not None:
        return card
    card = Scorecard(unit=unit, rubric=rubric, plan_id=rubric.plan_id, month=month)
    card.full_clean(exclude=["plan"], validate_unique=False)
    card.save()
    # With history, so an entry's story starts at its first state.
    bulk_create_with_history(new_entries(card, rubric), ScoreEntry)
    _store_score(card)
    Scorecard.objects.filter(pk=card.pk).update(
        total=card.total, rank=card.rank, group_percents=card.group_percents
    )
    return card


def _lock(scorecard: Scorecard, *, nowait: bool = False) -> Scorecard:
    """The card's row, locked until the transaction ends (PostgreSQL; SQLite serialises writes anyway)."""
    try:
        return (
            Scorecard.objects.select_for_update(nowait=nowait)
            .select_related("rubric", "unit")
            .get(pk=scorecard.pk)
        )
    except OperationalError as exc:
        raise ConflictError("Phiếu đang được người khác xử lý. Vui lòng thử lại sau giây lát.") from exc


def _check_version(card: Scorecard, version: int | None):
    if version is not None and version != card.version:
        raise ConflictError(
            f"Phiếu đã được người khác lưu lúc {timezone.localtime(card.updated_at):%H:%M %d/%m/%Y}. "
            "Nội dung của bạn chưa được ghi: hãy tải lại phiếu rồi nhập lại."
        )


def _move(card: Scorecard, to: str, by, reason: str = "", **fields):
    transition = Transition(scorecard=card, from_state=card.state, to_state=to, by=by, reason=reason)
    try:
        transition.clean_fields(exclude=["scorecard", "from_state", "to_state", "by"])
    except ValidationError as exc:
        raise WorkflowError("Lý do: " + " ".join(exc.message_dict["reason"])) from exc
    transition.save()
    card.state = to
    card.version += 1
    for key, value in fields.items():
        setattr(card, key, value)
    card.save()


def _store_score(card: Scorecard, entries: list[ScoreEntry] | None = None) -> Score:
    """Keep the card's stored score (total, rank, % per group) equal to the engine's; called by every
    service that changes entries, before it saves the card."""
    result = score_entries(card.rubric, entries if entries is not None else ordered_entries(card))
    card.total = result.total
    card.rank = result.rank or ""
    card.group_percents = group_percents(result)
    return result


def scorecard_refresh_score(*, scorecard: Scorecard) -> Scorecard:
    """Re-store the card's score after its entries were changed outside the services (the admin's forms)."""
    _store_score(scorecard)
    Scorecard.objects.filter(pk=scorecard.pk).update(
        total=scorecard.total, rank=scorecard.rank, group_percents=scorecard.group_percents
    )
    return scorecard


@dataclass
class EntryInput:
    result: str
    ratio: Decimal | None = None
    comment: str | None = None
    evidence_note: str | None = None
    reviewed_points: Decimal | None = None
    review_reason: str | None = None
    evidence_ids: list[int] | None = None  # the unit's own evidence to attach (replaces what was attached)
    na_reason: str | None = None  # the unit's reason for "Không áp dụng" (None: keep the stored one)
    na_accepted: bool | None = None  # the reviewer's acceptance of that reason (None: keep)


@transaction.atomic
def scorecard_update_entries(
    *, scorecard: Scorecard, by, entries: dict[str, EntryInput], version: int | None, review: bool = False
) -> Scorecard:
    """Save results of criteria (by code). `version` is the one the editor loaded: a stale one is refused.
    On a submitted card (the reviewer's turn) every criterion whose points end up different from the unit's
    own claim needs a reason, so the unit can see why."""
    card = _lock(scorecard)
    if card.is_locked:
        raise LockedError("Phiếu đã được phê duyệt: không thể sửa. Lãnh đạo cần mở lại phiếu trước.")
    _check_version(card, version)
    # The unit saves its draft; once sent, the reviewer's edits are the review.
    check_card_action(by, card, "review" if card.state == State.SUBMITTED else "save")
    # Read once, change in memory, write only what changed: a 25-criterion save costs a fixed handful of
    # queries, not a dozen per criterion (every officer saves on the morning of the deadline).
    saved = ordered_entries(card, with_evidence=True)
    by_code = {e.criterion.code: e for e in saved if e.criterion_id}
    unknown = set(entries) - set(by_code)
    if unknown:
        raise WorkflowError(f"Không có tiêu chí: {', '.join(sorted(unknown))}.")
    changed, evidence = [], []
    for code, data in entries.items():
        entry = by_code[code]
        before = [getattr(entry, name) for name in EDITED_FIELDS]
        _apply(card, entry, code, data, review)
        _validate(entry, code)
        if [getattr(entry, name) for name in EDITED_FIELDS] != before:
            changed.append(entry)
        if data.evidence_ids is not None:
            current = {ev.pk for ev in entry.evidence.all()}
            if set(data.evidence_ids) != current:
                evidence.append((entry, code, set(data.evidence_ids), current))
    if changed:
        bulk_update_with_history(changed, ScoreEntry, EDITED_FIELDS, default_user=_user(by))
    if evidence:
        _set_evidence(card, evidence, by)
    card.version += 1
    result = _store_score(card, saved)
    if card.state == State.SUBMITTED:
        _require_review_reasons(saved, result)
    card.save()
    return card


# What a save may change on an entry (and so what its history records).
EDITED_FIELDS = [
    "result", "ratio", "comment", "evidence_note", "na_reason", "na_accepted", "reviewed_points", "review_reason",
]  # fmt: skip


def _user(by):
    return by if by is not None and getattr(by, "is_authenticated", False) else None


def _apply(card: Scorecard, entry: ScoreEntry, code: str, data: EntryInput, review: bool):
    if data.result not in Result.values:
        raise WorkflowError(f"Tiêu chí {code}: kết quả “{data.result}” không hợp lệ.")
    if entry.na_by_rubric and data.result != Result.NOT_APPLICABLE:
        raise WorkflowError(
            f"Tiêu chí {code} không áp dụng cho {card.unit.get_kind_display().lower()} theo bộ tiêu chí: "
            "không chấm được."
        )
    entry.result = data.result
    entry.ratio = data.ratio if data.result in (Result.PARTIAL, Result.LATE_PARTIAL) else None
    for name in ("comment", "evidence_note"):
        if getattr(data, name) is not None:
            setattr(entry, name, getattr(data, name))
    if entry.na_by_rubric:
        pass  # the rubric's reason stands, and needs nobody's acceptance
    elif data.result != Result.NOT_APPLICABLE:
        entry.na_reason, entry.na_accepted = "", False
    elif card.state == State.DRAFT:
        if data.na_reason is not None:
            entry.na_reason = data.na_reason.strip()
    elif data.na_accepted is not None:
        entry.na_accepted = data.na_accepted
    if card.state == State.SUBMITTED and (
        review or data.reviewed_points is not None or data.review_reason is not None
    ):
        # A review form sends every field, so an emptied box clears the manual points.
        entry.reviewed_points = data.reviewed_points
        entry.review_reason = (data.review_reason or "").strip()


def _set_evidence(card: Scorecard, changes: list[tuple[ScoreEntry, str, set[int], set[int]]], by):
    """Attach exactly the wanted evidence to each entry (only the unit's own, not deleted); each addition and
    removal is recorded on the card's history (the Nhật ký)."""
    check_card_action(by, card, "attach_evidence")
    wanted_all = set().union(*(wanted for _, _, wanted, _ in changes))
    names = {
        pk: name or url
        for pk, name, url in card.unit.evidence.filter(
            pk__in=wanted_all, deleted_at__isnull=True
        ).values_list("pk", "original_name", "url")
    }
    for _entry, code, wanted, _current in changes:
        if not wanted <= set(names):
            raise WorkflowError(f"Tiêu chí {code}: chỉ đính kèm được minh chứng của chính đơn vị.")
    Link = ScoreEntry.evidence.through
    for entry, code, wanted, current in changes:
        removed = current - wanted
        if removed:
            Link.objects.filter(scoreentry_id=entry.pk, evidence_id__in=removed).delete()
        Link.objects.bulk_create(
            [Link(scoreentry_id=entry.pk, evidence_id=pk) for pk in sorted(wanted - current)]
        )
        known = {ev.pk: ev.original_name or ev.url for ev in entry.evidence.all()}
        for pk in sorted(wanted - current):
            audit_record(
                action=Action.EVIDENCE_ADD, by=by, obj=card, unit=card.unit,
                summary=f"Gắn minh chứng “{names[pk]}” vào tiêu chí {code}.", details={"evidence": pk},
            )  # fmt: skip
        for pk in sorted(removed):
            audit_record(
                action=Action.EVIDENCE_REMOVE, by=by, obj=card, unit=card.unit,
                summary=f"Gỡ minh chứng “{known.get(pk, pk)}” khỏi tiêu chí {code}.", details={"evidence": pk},
            )  # fmt: skip


def _require_review_reasons(entries: list[ScoreEntry], result: Score):
    achieved = {item.key: round2(item.achieved) if item.applicable else None for item in result.items}
    unexplained = [
        entry.key
        for entry in entries
        if not entry.review_reason.strip()
        and not (entry.is_adhoc and entry.self_points is None)  # added by the reviewer: its title says why
        and (entry.reviewed_points is not None or achieved[str(entry.pk)] != entry.self_points)
    ]
    if unexplained:
        raise WorkflowError(
            "Điểm thẩm định khác điểm tự chấm ở các tiêu chí sau, cần ghi lý do: "
            + ", ".join(unexplained)
            + "."
        )


def _validate(entry: ScoreEntry, code: str):
    # Fields and the entry's own rules, in Python; the named constraints are the database's to enforce (checking
    # them here would cost a query per constraint per entry).
    try:
        entry.clean_fields(exclude=["scorecard", "criterion", "group"])
        entry.clean()
    except ValidationError as exc:
        messages = "; ".join(" ".join(v) for v in exc.message_dict.values())
        raise WorkflowError(f"Tiêu chí {code}: {messages}") from exc


@transaction.atomic
def scorecard_add_adhoc(
    *, scorecard: Scorecard, by, group_code: str, title: str, weight: Decimal | None = None,
    result: str = Result.NOT_DONE, ratio: Decimal | None = None, version: int | None = None,
) -> ScoreEntry:  # fmt: skip
    """Add an ad-hoc task (nhiệm vụ đột xuất) to a group of the unit's month. Its weight defaults to the
    average points of the group's criteria; the group's points are then shared by weight."""
    card = _lock(scorecard)
    _check_version(card, version)
    check_card_action(by, card, "add_adhoc")
    group = card.rubric.groups.filter(code=group_code).first()
    if group is None:
        raise WorkflowError(f"Không có nhóm “{group_code}” trong bộ tiêu chí.")
    if weight is None:
        criteria = list(group.criteria.all())
        weight = group.max_points / len(criteria) if criteria else group.max_points
    entry = ScoreEntry(
        scorecard=card,
        group=group,
        adhoc_title=title.strip(),
        weight=Decimal(weight),
        result=result,
        ratio=ratio,
    )
    if not entry.adhoc_title:
        raise WorkflowError("Nhiệm vụ đột xuất cần có tên.")
    _validate(entry, entry.adhoc_title)
    entry.save()
    card.version += 1
    _store_score(card)
    card.save()
    return entry


@dataclass(frozen=True)
class SubmissionLine:
    """One line of a card as it would be sent: as stored (the service) or as typed (the page's confirmation)."""

    key: str
    result: str
    na_reason: str = ""
    has_ratio: bool = False
    has_evidence: bool = False  # an attached file or link, or a written reference
    by_rubric: bool = False  # "Không áp dụng" set by the rubric: nothing for the unit to do


# What keeps a line from being sent, in the words the page shows beside the criterion.
GAPS = {
    "unassessed": "chưa chấm",
    "na_reason": "thiếu lý do không áp dụng",
    "ratio": "thiếu tỷ lệ đạt",
    "evidence": "chưa có minh chứng",
}


def submission_gaps(lines) -> list[tuple[str, str]]:
    """(key, gap) for every line that keeps the card from being sent, in the card's order: the one rule both
    scorecard_submit and the self-assessment page's confirmation apply."""
    gaps = []
    for line in lines:
        if line.by_rubric:
            continue
        if line.result == Result.NOT_ASSESSED:
            if line.key != TIMELINESS_CRITERION:  # proposed by the system from the submission itself
                gaps.append((line.key, "unassessed"))
        elif line.result == Result.NOT_APPLICABLE:
            if not line.na_reason.strip():
                gaps.append((line.key, "na_reason"))
        else:
            if line.result in (Result.PARTIAL, Result.LATE_PARTIAL) and not line.has_ratio:
                gaps.append((line.key, "ratio"))
            if not line.has_evidence:
                gaps.append((line.key, "evidence"))
    return gaps


def card_gaps(card: Scorecard) -> list[tuple[str, str]]:
    """The submission gaps of the card as stored (two queries: the entries and their evidence)."""
    return submission_gaps(
        SubmissionLine(
            key=e.key, result=e.result, na_reason=e.na_reason, has_ratio=e.ratio is not None,
            has_evidence=bool(e.evidence_note.strip()) or bool(e.evidence.all()), by_rubric=e.na_by_rubric,
        )
        for e in ordered_entries(card, with_evidence=True)
    )  # fmt: skip


def missing_evidence(card: Scorecard) -> list[str]:
    """Criteria scored this month (not "Không áp dụng") with neither an attached file/link nor a written
    reference: a card cannot be submitted while any remain."""
    return [key for key, gap in card_gaps(card) if gap == "evidence"]


def submission_opens(rubric: Rubric, month: date) -> date:
    """The first day a month's card can be sent: the rubric's day (1–28) of that month itself, when the
    month is nearly over and its work known."""
    return month.replace(day=rubric.submission_opens_day)


def months_offered(rubric: Rubric, today: date) -> list[date]:
    """The months a unit may open a card for, newest first: from the rubric's first month (else the plan's
    issue month, else January of its first year) to the current month; never a future month."""
    current = today.replace(day=1)
    plan = rubric.plan
    start = (
        rubric.first_month
        or plan.issued_on
        or (date(plan.period_start, 1, 1) if plan.period_start else None)
        or timezone.localtime(rubric.created_at).date()
    )
    month, months = start.replace(day=1), []
    while month <= current:
        months.append(month)
        month = next_month(month)
    return months[::-1]


@transaction.atomic
def scorecard_submit(*, scorecard: Scorecard, by, at: datetime | None = None) -> Scorecard:
    card = _lock(scorecard)
    check_card_action(by, card, "submit")
    at = at or timezone.now()
    opens = submission_opens(card.rubric, card.month)
    if timezone.localtime(at).date() < opens:
        raise WorkflowError(
            f"Tháng {card.month:%m/%Y} chưa đến lúc nộp: phiếu nộp được từ ngày {opens:%d/%m/%Y}. "
            "Phiếu vẫn lưu nháp được."
        )
    gaps = card_gaps(card)
    blank = [key for key, gap in gaps if gap == "unassessed"]
    if blank:
        raise WorkflowError(
            "Chưa nộp được: các tiêu chí sau chưa chấm (chọn kết quả, hoặc “Không áp dụng” kèm lý do): "
            + ", ".join(blank)
            + "."
        )
    missing = [key for key, gap in gaps if gap == "evidence"]
    if missing:
        raise WorkflowError(
            "Chưa nộp được: các tiêu chí sau đã chấm nhưng chưa có minh chứng: " + ", ".join(missing) + "."
        )
    on_time = timezone.localtime(at).date() <= submission_deadline(card.rubric, card.month)
    _propose_timeliness(card, on_time, at)
    # The unit's claim, kept beside whatever the reviewer decides.
    entries = ordered_entries(card)
    items = {item.key: item for item in score_entries(card.rubric, entries).items}
    for entry in entries:
        item = items[str(entry.pk)]
        entry.self_points = round2(item.achieved) if item.applicable else None
        entry.save(update_fields=["self_points"])
    _store_score(card, entries)  # with 7.1 as just proposed
    _move(card, State.SUBMITTED, by, submitted_at=at, submitted_on_time=on_time)
    return card


def _propose_timeliness(card: Scorecard, on_time: bool, at: datetime):
    """Criterion 7.1 ("Báo cáo định kỳ tháng đúng hạn") is proposed from the submission itself; the reviewer
    may override it with a reason."""
    entry = card.entries.filter(criterion__code=TIMELINESS_CRITERION).first()
    if entry is not None and entry.result == Result.NOT_ASSESSED:
        entry.result = Result.DONE if on_time else Result.LATE
        entry.comment = entry.comment or ("Nộp đúng hạn (tự động)" if on_time else "Nộp muộn (tự động)")
        # The evidence of timeliness is the submission itself, as the system recorded it.
        entry.evidence_note = (
            entry.evidence_note or f"Phiếu nộp lúc {timezone.localtime(at):%H:%M %d/%m/%Y} (hệ thống ghi)"
        )
        entry.save()


@transaction.atomic
def scorecard_return(*, scorecard: Scorecard, by, reason: str) -> Scorecard:
    card = _lock(scorecard)
    check_card_action(by, card, "return")
    if not (reason or "").strip():
        raise WorkflowError("Trả lại phiếu cần ghi lý do.")
    _move(card, State.DRAFT, by, reason.strip(), reviewed_by=None, reviewed_at=None)
    return card


@transaction.atomic
def scorecard_review(*, scorecard: Scorecard, by, reason: str = "") -> Scorecard:
    card = _lock(scorecard)
    check_card_action(by, card, "review")
    undecided = [
        e.key
        for e in ordered_entries(card)
        if e.result == Result.NOT_APPLICABLE and not e.na_by_rubric and not e.na_accepted
    ]
    if undecided:
        raise WorkflowError(
            "Chưa xác nhận được: đơn vị ghi “Không áp dụng” ở các tiêu chí sau, cần chấp nhận lý do hoặc chấm "
            "lại kết quả: " + ", ".join(undecided) + "."
        )
    _move(card, State.REVIEWED, by, reason, reviewed_by=by, reviewed_at=timezone.now())
    return card


@transaction.atomic
def scorecard_approve(*, scorecard: Scorecard, by) -> Scorecard:
    # nowait: a second leader approving the same card at the same moment is told so at once.
    card = _lock(scorecard, nowait=True)
    check_card_action(by, card, "approve")
    score: Score = scorecard_score(card)
    _move(
        card, State.APPROVED, by, approved_by=by, approved_at=timezone.now(),
        approved_total=score.total, approved_rank=score.rank or "",
    )  # fmt: skip
    audit_record(
        action=Action.APPROVE, by=by, obj=card, unit=card.unit,
        summary=f"Phê duyệt: {vn_decimal(score.total) if score.total is not None else '—'} điểm, {score.rank_label}.",
    )  # fmt: skip
    return card


@transaction.atomic
def scorecard_reopen(*, scorecard: Scorecard, by, reason: str) -> Scorecard:
    card = _lock(scorecard)
    check_card_action(by, card, "reopen")
    if not (reason or "").strip():
        raise WorkflowError("Mở lại phiếu cần ghi lý do.")
    card._unlocking = True
    _move(
        card, State.REVIEWED, by, reason.strip(), approved_by=None, approved_at=None, approved_total=None,
        approved_rank="",
    )  # fmt: skip
    audit_record(action=Action.REOPEN, by=by, obj=card, unit=card.unit, summary=f"Mở lại: {reason.strip()}")
    return card


@transaction.atomic
def scorecard_move_to_rubric(
    *, scorecard: Scorecard, by, rubric: Rubric, version: int | None = None
) -> Scorecard:
    """Move a draft to another version of its plan's rubric (a new version applies by itself only to months
    with no card yet). Results, comments and evidence carry over by criterion code; criteria new to the
    version start "Chưa chấm"; ad-hoc tasks keep their group by code."""
    card = _lock(scorecard)
    _check_version(card, version)
    check_card_action(by, card, "move_rubric")
    if rubric.plan_id != card.plan_id:
        raise WorkflowError("Chỉ chuyển được sang một phiên bản bộ tiêu chí của cùng kế hoạch.")
    if rubric.pk == card.rubric_id:
        raise WorkflowError(f"Phiếu đã dùng {rubric}.")
    old_rubric = card.rubric
    old = {
        e.criterion.code: e
        for e in card.entries.select_related("criterion").prefetch_related("evidence")
        if e.criterion_id
    }
    adhoc = list(card.entries.filter(criterion__isnull=True).select_related("group"))
    groups = {g.code: g for g in rubric.groups.all()}
    lost = [e.adhoc_title for e in adhoc if e.group.code not in groups]
    if lost:
        raise WorkflowError("Phiên bản mới không có nhóm của các nhiệm vụ đột xuất: " + "; ".join(lost) + ".")
    card.entries.filter(criterion__isnull=False).delete()
    card.rubric = rubric
    fresh = new_entries(card, rubric)
    carried = {}
    for entry in fresh:
        before = old.get(entry.criterion.code)
        if before is not None and not entry.na_by_rubric and not before.na_by_rubric:
            for name in ("result", "ratio", "comment", "evidence_note", "na_reason"):
                setattr(entry, name, getattr(before, name))
            carried[entry.criterion.code] = [ev.pk for ev in before.evidence.all()]
    bulk_create_with_history(fresh, ScoreEntry)
    for entry in card.entries.filter(criterion__isnull=False).select_related("criterion"):
        if carried.get(entry.criterion.code):
            entry.evidence.set(carried[entry.criterion.code])
    for entry in adhoc:
        entry.group = groups[entry.group.code]
        entry.save(update_fields=["group"])
    card.version += 1
    _store_score(card)
    card.save()
    audit_record(
        action=Action.MOVE_RUBRIC, by=by, obj=card, unit=card.unit,
        summary=f"Chuyển từ phiên bản {old_rubric.version} sang phiên bản {rubric.version} của bộ tiêu chí.",
    )  # fmt: skip
    return card
