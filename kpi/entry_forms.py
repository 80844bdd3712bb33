"""Reading the criteria rows of a card's page (self-assessment or review) into the services' inputs.

The pages post one set of fields per entry (`result-<pk>`, `ratio-<pk>`, …). Both the save and the live preview
read them here, so the preview shows exactly what a save would store. Whatever arrives is treated as typed by
anyone: a tampered form (NaN, 1e9999, an id that is not a number, a NUL byte) gets a message, never a 500.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from kpi.models import ScoreEntry
from kpi.scoring import PARTIAL_RESULTS, Item, Result, Score, score
from kpi.services import EntryInput
from plans.formatting import vn_decimal

_ID = re.compile(r"[0-9]{1,18}")


def form_id(value) -> int | None:
    """A database id as posted, or None if it is not one (ASCII digits only: "²" and "١" are not ids)."""
    text = (value or "").strip() if isinstance(value, str) else ""
    return int(text) if _ID.fullmatch(text) else None


def form_version(data) -> int | None:
    """The card version the form was loaded with; None if missing or not a number (refused by the caller)."""
    return form_id(data.get("version"))


def _decimal(text: str) -> Decimal:
    value = Decimal(text.strip().replace(" ", "").replace(",", "."))
    if not value.is_finite():
        raise InvalidOperation  # NaN and Infinity are not numbers anyone typed on purpose
    return value


def _text(data, name: str, key: str, label: str, problems: list[str]) -> str | None:
    """A text field as posted; None when the form did not send it (the stored text stays)."""
    value = data.get(name)
    if value is None:
        return None
    if "\x00" in value:
        problems.append(f"Tiêu chí {key}: “{label}” có ký tự không hợp lệ.")
        return ""
    return value


def read_inputs(entries: list[ScoreEntry], data, *, review: bool) -> tuple[dict[str, EntryInput], list[str]]:
    """The inputs per criterion code, and what is wrong with them (Vietnamese, naming the criterion)."""
    inputs: dict[str, EntryInput] = {}
    problems: list[str] = []
    for entry in entries:
        if entry.is_adhoc:
            continue
        key = entry.key
        result = data.get(f"result-{entry.pk}", entry.result)
        if result not in Result.values:
            problems.append(f"Tiêu chí {key}: kết quả không hợp lệ.")
            continue
        ratio = None
        if result in PARTIAL_RESULTS:
            try:
                ratio = _decimal(data.get(f"ratio-{entry.pk}", "")) / 100
            except InvalidOperation:
                problems.append(f"Tiêu chí {key}: nhập tỷ lệ đạt (0–100%).")
            else:
                if not Decimal(0) <= ratio <= 1:
                    problems.append(f"Tiêu chí {key}: tỷ lệ đạt phải từ 0 đến 100%.")
                    ratio = None
        if not review:
            evidence = [form_id(v) for v in data.getlist(f"ev-{entry.pk}")]
            if None in evidence:
                problems.append(f"Tiêu chí {key}: minh chứng chọn không hợp lệ.")
            inputs[entry.criterion.code] = EntryInput(
                result,
                ratio=ratio,
                comment=_text(data, f"comment-{entry.pk}", key, "Nhận xét", problems),
                evidence_note=_text(data, f"note-{entry.pk}", key, "Minh chứng", problems),
                na_reason=_text(data, f"na-{entry.pk}", key, "Lý do không áp dụng", problems),
                evidence_ids=[v for v in evidence if v is not None],
            )
            continue
        manual = None
        typed = data.get(f"points-{entry.pk}", "").strip()
        if typed:
            try:
                manual = _decimal(typed)
            except InvalidOperation:
                problems.append(f"Tiêu chí {key}: điểm thẩm định “{typed[:20]}” không phải là số.")
            else:
                if not Decimal(0) <= manual <= entry.points:
                    problems.append(
                        f"Tiêu chí {key}: điểm thẩm định phải từ 0 đến {vn_decimal(entry.points)}."
                    )
                    manual = None
        inputs[entry.criterion.code] = EntryInput(
            result,
            ratio=ratio,
            reviewed_points=manual,
            review_reason=_text(data, f"reason-{entry.pk}", key, "Lý do", problems),
            na_accepted=f"na-ok-{entry.pk}" in data if result == Result.NOT_APPLICABLE else None,
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
