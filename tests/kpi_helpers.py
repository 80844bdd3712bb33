"""Test helpers for scorecards now that every result is explicit: a card's untouched criteria are "Chưa chấm"
and block submission, and the reviewer must accept each "Không áp dụng" the unit claimed."""

from __future__ import annotations

from kpi.models import Scorecard
from kpi.scoring import Result
from kpi.services import TIMELINESS_CRITERION, EntryInput, scorecard_update_entries

NA_REASON = "Trong tháng không phát sinh nhiệm vụ này."


def settle(
    card: Scorecard, *, by=None, reason: str = NA_REASON, timeliness: bool = False, keep=()
) -> Scorecard:
    """Mark every criterion still "Chưa chấm" "Không áp dụng" with a reason, as a unit does for work that did
    not arise this month; 7.1 too if `timeliness` (else the system proposes it on submission). Hand-computed
    totals of the old default (untouched meant "Không áp dụng") are unchanged by it. `keep`: codes left alone."""
    card.refresh_from_db()
    rest = {
        e.criterion.code: EntryInput(Result.NOT_APPLICABLE, na_reason=reason)
        for e in card.entries.select_related("criterion").filter(result=Result.NOT_ASSESSED)
        if e.criterion_id
        and e.criterion.code not in keep
        and (timeliness or e.criterion.code != TIMELINESS_CRITERION)
    }
    if rest:
        card = scorecard_update_entries(scorecard=card, by=by, version=card.version, entries=rest)
    return card


def accept_not_applicable(card: Scorecard, *, by=None) -> Scorecard:
    """The reviewer accepts every "Không áp dụng" the unit claimed (a submitted card)."""
    card.refresh_from_db()
    claims = {
        e.criterion.code: EntryInput(Result.NOT_APPLICABLE, na_accepted=True)
        for e in card.entries.select_related("criterion").filter(
            result=Result.NOT_APPLICABLE, na_by_rubric=False
        )
        if e.criterion_id and not e.na_accepted
    }
    if claims:
        card = scorecard_update_entries(scorecard=card, by=by, version=card.version, entries=claims)
    return card
