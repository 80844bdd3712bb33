"""Which scorecards a user may see and what the user may do with them: the one place pages, downloads and
exports ask (plans.access for units, tasks.access for tasks and evidence)."""

from __future__ import annotations

from django.http import Http404

from kpi.models import Scorecard
from plans.access import Role, has_role, units_in_scope

State = Scorecard.State


def visible_scorecards(user):
    return Scorecard.objects.filter(unit__in=units_in_scope(user))


def get_scorecard_or_404(user, pk: int) -> Scorecard:
    card = visible_scorecards(user).select_related("unit", "rubric__plan").filter(pk=pk).first()
    if card is None:
        raise Http404  # never a hint that it exists
    return card


def card_actions(user, card: Scorecard) -> set[str]:
    """What the user may do with a card they can see, by role and state (the services check again)."""
    actions = set()
    if card.state == State.DRAFT and has_role(user, Role.OFFICER, Role.ADMIN):
        actions.add("edit")
    if card.state == State.SUBMITTED and has_role(user, Role.REVIEWER, Role.ADMIN):
        actions.add("review")
    if card.state in (State.SUBMITTED, State.REVIEWED) and has_role(
        user, Role.REVIEWER, Role.LEADER, Role.ADMIN
    ):
        actions.add("return")
    if card.state == State.REVIEWED and has_role(user, Role.LEADER, Role.ADMIN):
        actions.add("approve")
    if card.state == State.APPROVED and has_role(user, Role.LEADER, Role.ADMIN):
        actions.add("reopen")
    return actions
