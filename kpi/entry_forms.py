"""Reading the criteria rows of a card's page (self-assessment or review) into the services' inputs.

The pages post one set of fields per entry (`result-<pk>`, `ratio-<pk>`, …). Both the save and the live preview
read them here, so the preview shows exactly what a save would store.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from kpi.models import ScoreEntry
from kpi.scoring import PARTIAL_RESULTS, Item, Result, Score, score
from kpi.services import EntryInput
from plans.formatting import vn_decimal


def _decimal(text: str) -> Decimal:
    return Decimal(text.strip().replace(" ", "").replace(",", "."))


def read_inputs(entries: list[ScoreEntry], data, *, review: bool) -> tuple[dict[str, EntryInput], list[str]]:
    """The inputs per criterion code, and what is wrong with them (Vietnamese, naming the criterion)."""
    inputs: dict[str, EntryInput] = {}
    problems: list[str] = []
    for entry in entries:
        if entry.is_adhoc:
            continue
        result = data.get(f"result-{entry.pk}", entry.result)
        if result not in Result.values:
            problems.append(f"Tiêu chí {entry.key}: kết quả không hợp lệ.")
            continue
        ratio = None
        if result in PARTIAL_RESULTS:
            try:
                ratio = _decimal(data.get(f"ratio-{entry.pk}", "")) / 100
            except InvalidOperation:
                problems.append(f"Tiêu chí {entry.key}: nhập tỷ lệ đạt (0–100%).")
            else:
                if not Decimal(0) <= ratio <= 1:
                    problems.append(f"Tiêu chí {entry.key}: tỷ lệ đạt phải từ 0 đến 100%.")
                    ratio = None
        if not review:
            inputs[entry.criterion.code] = EntryInput(
                result, ratio=ratio, comment=data.get(f"comment-{entry.pk}", ""),
                evidence_note=data.get(f"note-{entry.pk}", ""),
                evidence_ids=[int(v) for v in data.getlist(f"ev-{entry.pk}") if v.isdigit()],
            )  # fmt: skip
            continue
        manual = None
        typed = data.get(f"points-{entry.pk}", "").strip()
        if typed:
            try:
                manual = _decimal(typed)
            except InvalidOperation:
                problems.append(f"Tiêu chí {entry.key}: điểm thẩm định “{typed}” không phải là số.")
            else:
                if not Decimal(0) <= manual <= entry.points:
                    problems.append(
                        f"Tiêu chí {entry.key}: điểm thẩm định phải từ 0 đến {vn_decimal(entry.points)}."
                    )
                    manual = None
        inputs[entry.criterion.code] = EntryInput(
            result, ratio=ratio, reviewed_points=manual, review_reason=data.get(f"reason-{entry.pk}", "")
        )
    return inputs, problems


def preview(card, entries: list[ScoreEntry], inputs: dict[str, EntryInput], *, review: bool) -> Score:
    """The engine's score of the card as if the inputs were saved; nothing is written."""
    items = []
    for entry in entries:
        given = inputs.get(entry.criterion.code) if entry.criterion_id else None
        manual = entry.reviewed_points
        if given is not None and review:
            manual = given.reviewed_points
        items.append(
            Item(
                key=str(entry.pk),
                group=entry.group.code,
                points=entry.points,
                result=given.result if given else entry.result,
                ratio=(given.ratio if given else entry.ratio),
                manual_points=manual,
                adhoc=entry.is_adhoc,
            )
        )
    group_max = {g.code: g.max_points for g in card.rubric.groups.all()}
    return score(items, group_max, card.rubric.policy)
