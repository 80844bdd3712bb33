"""The "Giải trình điểm" of a scorecard: the engine's own numbers, written out so that a unit head can check
every point with a pencil. Plain text lines only; the template lays them out.

Every figure comes from kpi.scoring (the ItemScore of each entry, the Score's sums, the rubric's Policy), never
from a second calculation: what is printed is what was scored. Points are shown as the engine keeps them
(unrounded, up to four decimals) where rounding would hide a hundredth, and the one rounding of the total is
shown as such (docs/kpi.md, "Làm tròn").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from kpi.scoring import (
    HUNDRED,
    LATE_RESULTS,
    PARTIAL_RESULTS,
    Item,
    ItemScore,
    Policy,
    Result,
    Score,
    item_fraction,
    round2,
)
from plans.formatting import vn_decimal


def exact(value: Decimal) -> str:
    """A number as the engine keeps it: 2,8125 stays 2,8125 and 3,75 prints 3,75 (two to four decimals); a
    value with more decimals than four (a third) ends in "…" so that nobody takes it for exact."""
    value = Decimal(value)
    four = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    exponent = four.normalize().as_tuple().exponent
    places = min(4, max(2, -exponent if isinstance(exponent, int) else 2))
    return vn_decimal(four, places) + ("…" if four != value else "")


def percent(ratio: Decimal) -> str:
    return f"{vn_decimal(ratio * 100, 0 if (ratio * 100) == (ratio * 100).to_integral() else 1)}%"


@dataclass
class ExplainLine:
    key: str  # the entry's key in the engine (its pk)
    code: str
    rule: str  # how the result becomes points, with the factor, ratio or date that decided it
    points: Decimal | None  # the points achieved (unrounded); None when the criterion did not apply
    possible: Decimal  # the points it is worth this month (zero when it did not apply)
    effects: list[str] = field(default_factory=list)  # on the denominator, from ad-hoc sharing, the review

    @property
    def points_text(self) -> str:
        return "—" if self.points is None else exact(self.points)


@dataclass
class ExplainGroup:
    code: str
    name: str
    lines: list[ExplainLine]
    achieved: Decimal  # unrounded, as the engine sums it
    possible: Decimal
    printed: Decimal  # what the report prints for the group (reports.rounding)

    @property
    def sum_line(self) -> str:
        """ "3,75 + 3,75 + 0,00 + 2,00 = 9,50 trên 15,00 điểm áp dụng": the group from its lines."""
        parts = [exact(line.points) for line in self.lines if line.points is not None]
        if not parts:
            return "không có tiêu chí áp dụng"
        return f"{' + '.join(parts)} = {exact(self.achieved)} trên {exact(self.possible)} điểm áp dụng"


@dataclass
class Explanation:
    groups: list[ExplainGroup]
    rubric_total: Decimal
    not_applicable: list[tuple[str, Decimal]]  # (code, points left out of the denominator)
    applicable: Decimal
    achieved: Decimal
    total: Decimal | None
    total_exact: Decimal | None
    rank_rule: str
    approved_note: str

    @property
    def applicable_sum(self) -> str:
        """ "100,00 − 5,00 (2.1) − 3,75 (3.4) = 91,25": how the N/A criteria changed the denominator."""
        text = vn_decimal(self.rubric_total)
        for code, points in self.not_applicable:
            text += f" − {exact(points)} ({code})"
        return f"{text} = {exact(self.applicable)}" if self.not_applicable else text

    @property
    def achieved_sum(self) -> str:
        parts = " + ".join(exact(g.achieved) for g in self.groups)
        return f"{parts} = {exact(self.achieved)}"

    @property
    def total_sum(self) -> str:
        if self.total is None:
            return "không có tiêu chí nào áp dụng: không có tổng điểm"
        return (
            f"{exact(self.achieved)} ÷ {exact(self.applicable)} × 100 = {exact(self.total_exact)}, "
            f"làm tròn một lần đến hai chữ số thập phân: {vn_decimal(self.total)}"
        )


def _as_item(entry) -> Item:
    return Item(str(entry.pk), entry.group.code, entry.points, entry.result, entry.ratio)


def _rule(entry, item: ItemScore, policy: Policy, submitted: tuple[date, date] | None) -> str:
    """How this entry's result became its points, with the factor, ratio or date that decided it."""
    result = entry.result
    worth = exact(item.possible)
    late = f"× {exact(policy.late_factor)} (hoàn thành chậm: hệ số của bộ tiêu chí)"
    if result == Result.NOT_APPLICABLE:
        return "Không tính vào điểm đạt và không tính vào điểm áp dụng."
    if result == Result.NOT_ASSESSED:
        return f"Chưa chấm: 0 trên {worth} điểm (vẫn tính vào điểm áp dụng)."
    when = ""
    if result in LATE_RESULTS and submitted is not None:
        when = f" Phiếu nộp ngày {submitted[0]:%d/%m/%Y}, hạn nộp ngày {submitted[1]:%d/%m/%Y}."
    if entry.reviewed_points is not None:
        # What the chosen result alone would have given, so that the hand-set figure reads as a change.
        by_result = item.possible * item_fraction(_as_item(entry), policy.late_factor)
        shared = (
            f" = {exact(item.achieved)} trên {worth} điểm của tháng" if item.possible != entry.points else ""
        )
        return (
            f"Thẩm định nhập tay {exact(entry.reviewed_points)} trên {exact(entry.points)} điểm của tiêu chí"
            f"{shared} (theo kết quả đã chọn: {exact(by_result)})."
        )
    if result == Result.DONE:
        return f"Hoàn thành: đủ {worth} điểm."
    if result == Result.NOT_DONE:
        return f"Không hoàn thành: 0 trên {worth} điểm."
    ratio = (
        f"× {percent(entry.ratio)} (tỷ lệ đạt)"
        if result in PARTIAL_RESULTS and entry.ratio is not None
        else ""
    )
    factors = " ".join(part for part in (ratio, late if result in LATE_RESULTS else "") if part)
    return f"{worth} {factors} = {exact(item.achieved)}.{when}"


def explain(card, entries, items: dict[str, ItemScore], score: Score, printed, rubric_groups, *,
            approved: bool) -> Explanation:  # fmt: skip
    policy = card.rubric.policy
    submitted = None
    if card.submitted_at:
        from kpi.services import submission_deadline

        submitted = (
            timezone.localtime(card.submitted_at).date(),
            submission_deadline(card.rubric, card.month),
        )
    groups = {g.code: ExplainGroup(g.code, g.name, [], score.groups.get(g.code, Decimal("0")),
                                   score.group_possible.get(g.code, Decimal("0")),
                                   printed.groups.get(g.code, Decimal("0"))) for g in rubric_groups}  # fmt: skip
    not_applicable = []
    adhoc_groups = {e.group_id for e in entries if e.is_adhoc}
    for entry in entries:
        item = items[str(entry.pk)]
        code = entry.criterion.code if entry.criterion else "Đột xuất"
        effects = []
        if entry.result == Result.NOT_APPLICABLE:
            not_applicable.append((code, entry.points))
            effects.append(f"Điểm áp dụng giảm {exact(entry.points)}.")
        if entry.group_id in adhoc_groups and item.applicable and item.possible != entry.points:
            effects.append(
                f"Nhóm có nhiệm vụ đột xuất: {vn_decimal(groups[entry.group.code].possible)} điểm của nhóm "
                f"chia theo trọng số, dòng này {exact(item.possible)} điểm."
            )
        if card.state != card.State.DRAFT and item.applicable:
            claimed = entry.self_points
            if claimed is not None and round2(item.achieved) != claimed:
                # The reason itself is in the remarks column beside it (CriterionLine.notes).
                effects.append(
                    f"Đơn vị tự chấm {vn_decimal(claimed)}; sau thẩm định {vn_decimal(round2(item.achieved))}."
                )
        groups[entry.group.code].lines.append(
            ExplainLine(
                key=str(entry.pk),
                code=code,
                rule=_rule(entry, item, policy, submitted),
                points=item.achieved if item.applicable else None,
                possible=item.possible,
                effects=effects,
            )
        )
    total_exact = score.achieved / score.applicable * HUNDRED if score.applicable else None
    return Explanation(
        groups=list(groups.values()),
        rubric_total=card.rubric.total,
        not_applicable=not_applicable,
        applicable=score.applicable,
        achieved=score.achieved,
        total=score.total,
        total_exact=total_exact,
        rank_rule=_rank_rule(score, policy),
        approved_note=_approved_note(card, score) if approved else "",
    )


def _rank_rule(score: Score, policy: Policy) -> str:
    bands = (
        f"Hoàn thành xuất sắc từ {vn_decimal(policy.excellent_from)}; Hoàn thành tốt từ "
        f"{vn_decimal(policy.good_from)}; Hoàn thành từ {vn_decimal(policy.pass_from)}; dưới "
        f"{vn_decimal(policy.pass_from)} là Không hoàn thành"
    )
    if score.rank:
        return f"theo tổng điểm đã làm tròn ({bands}): {score.rank_label}."
    if score.low_applicability:
        return (
            f"Điểm áp dụng {vn_decimal(score.applicable)} dưới {vn_decimal(policy.min_applicable_percent, 0)}% "
            f"điểm của bộ tiêu chí: không xếp loại tự động ({score.rank_label})."
        )
    return f"{score.rank_label}."


def _approved_note(card, score: Score) -> str:
    when = timezone.localtime(card.approved_at).date() if card.approved_at else None
    day = f" ngày {when:%d/%m/%Y}" if when else ""
    text = f"Lãnh đạo phê duyệt{day} với tổng điểm {vn_decimal(card.approved_total)}"
    if card.approved_total != score.total:
        # Approval freezes the figures; an engine figure that has moved since is shown beside it, not hidden.
        text += f" (tính lại theo các dòng hiện tại: {vn_decimal(score.total)})"
    return text + "."
