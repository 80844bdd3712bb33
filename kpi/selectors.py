"""Reads of scorecards: their score, a month's summary per unit, a ward's completeness and timeliness."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kpi.models import Rubric, RubricGroup, Scorecard, ScoreEntry
from kpi.scoring import Item, Score, score


def ordered_entries(card: Scorecard) -> list[ScoreEntry]:
    entries = card.entries.select_related("criterion", "group")
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
    expected: int
    submitted: int
    on_time: int

    @property
    def completeness(self) -> Decimal | None:
        return Decimal(self.submitted) / self.expected * 100 if self.expected else None

    @property
    def timeliness(self) -> Decimal | None:
        return Decimal(self.on_time) / self.submitted * 100 if self.submitted else None


def month_rates(rubric: Rubric, month: date) -> Rates:
    expected = rubric.units.count()
    cards = Scorecard.objects.filter(rubric=rubric, month=month, unit__in=rubric.units.all()).exclude(
        state=Scorecard.State.DRAFT
    )
    return Rates(expected, cards.count(), cards.filter(submitted_on_time=True).count())


def latest_rubrics(*, ward=None) -> list[Rubric]:
    """The newest version of each plan's rubric (of plans issued in `ward`, if given)."""
    rubrics = Rubric.objects.select_related("plan__issuer").order_by("plan_id", "-version")
    if ward is not None:
        rubrics = rubrics.filter(plan__issuer__ward=ward)
    latest = {}
    for rubric in rubrics:
        latest.setdefault(rubric.plan_id, rubric)
    return list(latest.values())
