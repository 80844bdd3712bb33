from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.utils import timezone

from kpi.models import Scorecard
from kpi.months import previous_month
from kpi.services import submission_deadline
from plans.access import profile_of
from tasks.selectors import BUCKETS, my_work


@login_required
def home(request):
    """Việc của tôi: the tasks of the user's unit by urgency, and the unit's KPI cards to send."""
    profile = profile_of(request.user)
    today = timezone.localdate()
    if profile is None:
        return TemplateResponse(request, "kpi/home.html", {"profile": None})
    unit = profile.unit
    buckets = my_work(unit, today)
    months = [previous_month(today.replace(day=1)), today.replace(day=1)]
    cards = []
    for rubric in unit.rubrics.select_related("plan").order_by("plan_id", "-version"):
        if any(r.plan_id == rubric.plan_id for r, _, _ in cards):
            continue  # the newest version of each plan's rubric
        for month in months:
            card = Scorecard.objects.filter(unit=unit, month=month, rubric__plan=rubric.plan).first()
            cards.append((rubric, month, card))
    return TemplateResponse(
        request,
        "kpi/home.html",
        {
            "profile": profile, "unit": unit, "today": today,
            "buckets": [(key, label, buckets[key]) for key, label in BUCKETS],
            "cards": [(r, m, c, submission_deadline(r, m)) for r, m, c in cards],
        },
    )  # fmt: skip
