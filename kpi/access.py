"""Which scorecards a user may see and what the user may do with them: the one place pages, downloads,
exports and services ask (plans.access for units and role sets, tasks.access for tasks and evidence).

CARD_ACTIONS is the one table of who may do what to a card: buttons (card_actions), services
(check_card_action) and views all read it, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from kpi.errors import PermissionDenied, WorkflowError
from kpi.models import Scorecard
from plans.access import (
    LEADERS,
    REVIEWERS,
    UNIT_STAFF,
    WARD_READERS,
    Role,
    has_role,
    unit_in_scope,
    units_in_scope,
)

State = Scorecard.State


@dataclass(frozen=True)
class CardAction:
    verb: str  # "nộp": for "Bạn không có quyền nộp phiếu của …"
    states: tuple[str, ...]  # the card states it is allowed in
    roles: tuple[str, ...]  # the roles that may do it (within their part of the org tree)
    wrong_state: str  # the refusal in any other state; {state} is the card's state label
    # Narrower roles in some states, where the default would give a unit a say after sending.
    roles_in: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def roles_for(self, state: str) -> tuple[str, ...]:
        return dict(self.roles_in).get(state, self.roles)


CARD_ACTIONS: dict[str, CardAction] = {
    # The unit writes its own month while it is a draft.
    "save": CardAction(
        "sửa", (State.DRAFT,), UNIT_STAFF, "Phiếu đang ở trạng thái “{state}”: không sửa được."
    ),
    "attach_evidence": CardAction(
        "gắn minh chứng vào",
        (State.DRAFT,),
        UNIT_STAFF,
        "Phiếu đang “{state}”: minh chứng chỉ gắn hoặc gỡ được khi phiếu còn là nháp (trả lại hoặc mở lại phiếu trước).",
    ),
    "submit": CardAction(
        "nộp", (State.DRAFT,), UNIT_STAFF, "Chỉ nộp được phiếu “Nháp”; phiếu đang “{state}”."
    ),
    # A draft made on an older rubric version may be moved to the newest; a sent month keeps its version.
    "move_rubric": CardAction(
        "chuyển phiên bản bộ tiêu chí của",
        (State.DRAFT,),
        (Role.OFFICER, Role.REVIEWER, Role.ADMIN),
        "Phiếu đang “{state}”: chỉ phiếu nháp mới chuyển được sang phiên bản bộ tiêu chí mới.",
    ),
    # Phòng VH-XH reviews a sent card (its points, reasons, acceptance of N/A claims) and confirms it.
    "review": CardAction(
        "thẩm định", (State.SUBMITTED,), REVIEWERS, "Chỉ thẩm định được phiếu đã nộp; phiếu đang “{state}”."
    ),
    "add_adhoc": CardAction(
        "thêm nhiệm vụ đột xuất vào",
        (State.DRAFT, State.SUBMITTED),
        (Role.OFFICER, Role.REVIEWER, Role.ADMIN),
        "Phiếu đang ở trạng thái “{state}”: không thêm được nhiệm vụ.",
        roles_in=((State.SUBMITTED, REVIEWERS),),
    ),
    "return": CardAction(
        "trả lại",
        (State.SUBMITTED, State.REVIEWED),
        WARD_READERS,
        "Chỉ trả lại được phiếu đã nộp hoặc đã thẩm định; phiếu đang “{state}”.",
    ),
    "approve": CardAction(
        "phê duyệt",
        (State.REVIEWED,),
        LEADERS,
        "Chỉ phê duyệt được phiếu đã thẩm định; phiếu đang “{state}”.",
    ),
    "reopen": CardAction("mở lại", (State.APPROVED,), LEADERS, "Chỉ mở lại được phiếu đã phê duyệt."),
}


def card_refusal(user, card: Scorecard, action: str) -> WorkflowError | None:
    """Why `user` may not do `action` to `card` now, or None if they may. `user` None is the system itself
    (a command run by an administrator): only the state is checked."""
    rule = CARD_ACTIONS[action]
    if user is not None and (not has_role(user, *rule.roles) or not unit_in_scope(user, card.unit)):
        return PermissionDenied(f"Bạn không có quyền {rule.verb} phiếu của {card.unit.name}.")
    if card.state not in rule.states:
        return WorkflowError(rule.wrong_state.format(state=card.get_state_display()))
    if user is not None and not has_role(user, *rule.roles_for(card.state)):
        return PermissionDenied(
            f"Phiếu đang “{card.get_state_display()}”: bạn không {rule.verb} phiếu của {card.unit.name} được nữa."
        )
    return None


def check_card_action(user, card: Scorecard, action: str) -> None:
    refusal = card_refusal(user, card, action)
    if refusal is not None:
        raise refusal


def card_actions(user, card: Scorecard) -> set[str]:
    """Everything the user may do with a card they can see, now."""
    return {action for action in CARD_ACTIONS if card_refusal(user, card, action) is None}


def visible_scorecards(user):
    return Scorecard.objects.filter(unit__in=units_in_scope(user))


def get_scorecard_or_404(user, pk: int) -> Scorecard:
    card = visible_scorecards(user).select_related("unit", "rubric__plan").filter(pk=pk).first()
    if card is None:
        raise Http404  # never a hint that it exists
    return card
