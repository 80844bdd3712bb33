"""The scoring policy: pure arithmetic on Decimals, no database.

A leader signs these numbers and a unit head is judged by them, so: Decimal throughout, no rounding until the
very end (the total, half-up to two decimals, once), and every number comes from the policy so a ward can
configure it per rubric.

Rules (issue "KPI engine", from PHỤ LỤC II of 29-KH/ĐU and the product's defaults):
- done → full points; late → × late_factor; partial (ratio r) → × r; late and partial → × r × late_factor;
  not done → 0; not applicable → left out of both what was achieved and what was possible.
- a reviewer may set points by hand within [0, points], with a reason.
- total = achieved ÷ applicable points × 100; rank from the rounded total.
- a group with ad-hoc items shares its max points among its applicable items by weight, so the total stays
  out of 100; groups without ad-hoc items keep their criteria's own points.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import models

from plans.formatting import vn_decimal

ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")


class Result(models.TextChoices):
    # Every entry starts here: a number nobody chose never scores, and a card with one left cannot be sent.
    NOT_ASSESSED = "not_assessed", "Chưa chấm"
    DONE = "done", "Hoàn thành"
    LATE = "late", "Hoàn thành chậm"
    PARTIAL = "partial", "Hoàn thành một phần"
    LATE_PARTIAL = "late_partial", "Hoàn thành chậm, một phần"
    NOT_DONE = "not_done", "Không hoàn thành"
    NOT_APPLICABLE = "not_applicable", "Không áp dụng"


PARTIAL_RESULTS = {Result.PARTIAL, Result.LATE_PARTIAL}
LATE_RESULTS = {Result.LATE, Result.LATE_PARTIAL}


class Rank(models.TextChoices):
    EXCELLENT = "excellent", "Hoàn thành xuất sắc"
    GOOD = "good", "Hoàn thành tốt"
    PASS = "pass", "Hoàn thành"
    FAIL = "fail", "Không hoàn thành"


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Policy:
    late_factor: Decimal = Decimal("0.75")
    excellent_from: Decimal = Decimal("90")
    good_from: Decimal = Decimal("80")
    pass_from: Decimal = Decimal("65")
    # Below this share (%) of the rubric's points applying, no rank is given automatically (docs/kpi.md).
    min_applicable_percent: Decimal = Decimal("50")

    def rank(self, total: Decimal | None) -> str | None:
        if total is None:
            return None
        if total >= self.excellent_from:
            return Rank.EXCELLENT
        if total >= self.good_from:
            return Rank.GOOD
        if total >= self.pass_from:
            return Rank.PASS
        return Rank.FAIL


@dataclass(frozen=True)
class Item:
    """One line of a unit's month: a criterion, or an ad-hoc task inside a group."""

    key: str  # criterion code ("2.3") or an ad-hoc item's key
    group: str  # group code
    points: Decimal  # the criterion's points (for ad-hoc items: their weight)
    result: str
    ratio: Decimal | None = None
    manual_points: Decimal | None = None  # set by a reviewer, with a reason
    adhoc: bool = False


@dataclass(frozen=True)
class ItemScore:
    key: str
    group: str
    applicable: bool
    possible: Decimal  # the points this item is worth this month (after ad-hoc sharing)
    achieved: Decimal


@dataclass
class Score:
    items: list[ItemScore]
    applicable: Decimal  # sum of the points of the applicable items
    achieved: Decimal
    total: Decimal | None  # rounded, or None when nothing applies
    rank: str | None
    groups: dict[str, Decimal] = field(default_factory=dict)  # group code -> points achieved (unrounded)
    group_possible: dict[str, Decimal] = field(default_factory=dict)
    unassessed: list[str] = field(default_factory=list)  # keys of items still "Chưa chấm"
    low_applicability: bool = False  # fewer applicable points than the policy's minimum share

    @property
    def complete(self) -> bool:
        return not self.unassessed

    @property
    def rank_label(self) -> str:
        if self.rank:
            return Rank(self.rank).label
        if self.unassessed:
            return f"Chưa xếp loại (còn {len(self.unassessed)} tiêu chí chưa chấm)"
        if self.total is None:
            return "Chưa xếp loại (không có tiêu chí áp dụng)"
        return f"Chưa xếp loại (chỉ {vn_decimal(self.applicable)} điểm áp dụng: lãnh đạo xem xét)"


class ScoringError(ValueError):
    """An item whose numbers break the policy's rules; the message is for the user, in Vietnamese."""


def item_fraction(item: Item, late_factor: Decimal) -> Decimal:
    """The share (0–1) of its points an item earns from its result."""
    if item.result in PARTIAL_RESULTS and (item.ratio is None or not (ZERO <= item.ratio <= ONE)):
        raise ScoringError(f"Tiêu chí {item.key}: tỷ lệ đạt phải từ 0 đến 1.")
    fraction = {
        Result.NOT_ASSESSED: ZERO,  # nothing claimed yet earns nothing; such a card cannot be sent
        Result.DONE: ONE,
        Result.LATE: late_factor,
        Result.PARTIAL: item.ratio,
        Result.LATE_PARTIAL: (item.ratio or ZERO) * late_factor,
        Result.NOT_DONE: ZERO,
    }.get(item.result)
    if fraction is None:
        raise ScoringError(f"Tiêu chí {item.key}: kết quả “{item.result}” không hợp lệ.")
    return fraction


def _fraction(item: Item, policy: Policy) -> Decimal:
    if item.manual_points is not None:
        if not (ZERO <= item.manual_points <= item.points):
            raise ScoringError(
                f"Tiêu chí {item.key}: điểm thẩm định {vn_decimal(item.manual_points)} phải từ 0 đến "
                f"{vn_decimal(item.points)}."
            )
        # A manual score is a share of the item's own points, so it stays fair after ad-hoc sharing.
        return item.manual_points / item.points if item.points else ZERO
    return item_fraction(item, policy.late_factor)


def score(items: list[Item], group_max: dict[str, Decimal], policy: Policy) -> Score:
    by_group: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_group[item.group].append(item)

    scored: list[ItemScore] = []
    groups: dict[str, Decimal] = {}
    group_possible: dict[str, Decimal] = {}
    for group, members in by_group.items():
        applicable = [i for i in members if i.result != Result.NOT_APPLICABLE]
        fractions = {id(i): _fraction(i, policy) for i in applicable}
        weight_sum = sum((i.points for i in applicable), ZERO)
        if any(i.adhoc for i in members):
            # The group's points are shared by its applicable items by weight. Summed at group level
            # (max × Σ weight·fraction ÷ Σ weight) so that thirds never leave a residue in the total.
            possible = group_max[group] if weight_sum else ZERO
            achieved = (
                group_max[group] * sum((i.points * fractions[id(i)] for i in applicable), ZERO) / weight_sum
                if weight_sum
                else ZERO
            )
            share = {id(i): group_max[group] * i.points / weight_sum for i in applicable}
        else:
            possible = weight_sum
            achieved = sum((i.points * fractions[id(i)] for i in applicable), ZERO)
            share = {id(i): i.points for i in applicable}
        groups[group], group_possible[group] = achieved, possible
        for item in members:
            if item.result == Result.NOT_APPLICABLE:
                scored.append(ItemScore(item.key, group, False, ZERO, ZERO))
            else:
                scored.append(
                    ItemScore(item.key, group, True, share[id(item)], share[id(item)] * fractions[id(item)])
                )

    applicable_total = sum(group_possible.values(), ZERO)
    achieved_total = sum(groups.values(), ZERO)
    total = round2(achieved_total / applicable_total * HUNDRED) if applicable_total > ZERO else None
    unassessed = [i.key for i in items if i.result == Result.NOT_ASSESSED]
    full = sum(group_max.values(), ZERO)
    low = total is not None and applicable_total < full * policy.min_applicable_percent / HUNDRED
    # A card with results still to choose, or too little of the rubric applying, is not ranked by arithmetic.
    rank = None if unassessed or low else policy.rank(total)
    return Score(
        scored, applicable_total, achieved_total, total, rank, groups, group_possible, unassessed, low
    )


def group_percents(result: Score) -> dict[str, str | None]:
    """Each group's achieved share of its applicable points, in percent (two decimals, as strings so they
    survive JSON unchanged); None for a group where nothing applied."""
    return {
        code: str(round2(result.groups[code] / possible * HUNDRED)) if possible > ZERO else None
        for code, possible in result.group_possible.items()
    }
