"""Small pieces other apps' pages include with one line: the returned-card banner (a card's page, "Việc của
tôi") and the review queue's "Nhắc nộp" and ward bundle tools. Kept here so those pages' views need no change."""

from __future__ import annotations

from django import template

from kpi.models import Scorecard, Transition
from reports.models import Job
from reports.reminders import is_return

register = template.Library()
State = Scorecard.State


def _last_return(card) -> Transition | None:
    last = card.transitions.select_related("by").order_by("-at", "-id").first()
    return last if last is not None and is_return(last) else None


@register.inclusion_tag("notifications/returned_banner.html")
def returned_notice(card):
    """On a card's page: the reviewer's reason, at the top, while the returned card is still a draft."""
    returned = _last_return(card) if card is not None and card.state == State.DRAFT else None
    return {"returns": [(card, returned)] if returned else [], "link": False}


@register.inclusion_tag("notifications/returned_banner.html")
def returned_notices(unit):
    """On "Việc của tôi": every draft card of the unit that was sent back, with its reason."""
    returns = []
    if unit is not None:
        for card in Scorecard.objects.filter(unit=unit, state=State.DRAFT).order_by("-month"):
            returned = _last_return(card)
            if returned:
                returns.append((card, returned))
    return {"returns": returns, "link": True}


@register.inclusion_tag("notifications/queue_tools.html", takes_context=True)
def queue_tools(context):
    """The review queue's tools: remind the units of this page that have not sent ("Nhắc nộp"), and make the
    ward bundle in the background, with the progress of the one just started (?job=…)."""
    from plans.access import REVIEWERS, has_role

    request = context["request"]
    page = context.get("page") or []
    unsent = [row for row in page if row.card is None or row.card.state == State.DRAFT]
    job = None
    wanted = request.GET.get("job", "")
    if wanted:
        from reports.jobs import visible_to

        job = Job.objects.select_related("ward").filter(pk=wanted).first() if _is_uuid(wanted) else None
        if job is not None and not visible_to(request.user, job):
            job = None
    return {
        "request": request, "month": context.get("month"), "wards": context.get("wards") or [],
        "unsent": unsent, "can_nudge": has_role(request.user, *REVIEWERS), "job": job,
        "csrf_token": context.get("csrf_token"),
    }  # fmt: skip


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
