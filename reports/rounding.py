"""How a card's points are printed: the one rounding rule of the reports (docs/kpi.md, "Làm tròn").

The engine (kpi.scoring) keeps every group's points unrounded and rounds only the total. A report prints
each group to hundredths, and a reader adds them up: rounded one by one (half-up), seven groups can sum to a
hundredth or two more or less than the points achieved as printed. So the groups are printed by the
largest-remainder method: each group rounded down to hundredths, then the hundredths still missing from the
points achieved (rounded half-up, once) given one each to the groups with the largest remainders, the
earlier group first on a tie. The printed groups then add up exactly to the printed points achieved, and no
group is printed more than a hundredth away from its exact points.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from kpi.scoring import CENT, HUNDRED, Score, round2


@dataclass(frozen=True)
class PrintedPoints:
    groups: dict[str, Decimal]  # group code -> points achieved as printed (hundredths), summing to achieved
    achieved: Decimal  # the points achieved, rounded half-up once
    applicable: Decimal  # the points of the criteria that applied, rounded the same way
    total: Decimal | None  # the engine's total: achieved ÷ applicable × 100, rounded once

    @property
    def is_percent_of_all(self) -> bool:
        """All of the 100 points applied: points achieved and the total are the same number."""
        return self.applicable == HUNDRED


def largest_remainder(values: dict[str, Decimal], target: Decimal) -> dict[str, Decimal]:
    """Each value to hundredths so that they sum to `target` (itself in hundredths, within a hundredth per
    value of their exact sum): floors first, then one hundredth more to the largest remainders."""
    floors = {key: value.quantize(CENT, rounding=ROUND_DOWN) for key, value in values.items()}
    missing = int((target - sum(floors.values(), Decimal("0"))) / CENT)
    if not 0 <= missing <= len(values):
        raise ValueError(f"{target} is not the rounded sum of {values}")
    order = list(values)
    by_remainder = sorted(order, key=lambda key: (-(values[key] - floors[key]), order.index(key)))
    for key in by_remainder[:missing]:
        floors[key] += CENT
    return floors


def printed_points(score: Score) -> PrintedPoints:
    achieved = round2(score.achieved)
    return PrintedPoints(
        groups=largest_remainder(score.groups, achieved),
        achieved=achieved,
        applicable=round2(score.applicable),
        total=score.total,
    )
