"""Report downloads. Each view starts with one access check (plans.access) and answers 404 to anyone outside
the scope: never data, never a hint that the thing exists."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from kpi.access import get_scorecard_or_404
from kpi.months import MonthError, parse_month
from plans.access import Role, has_role, unit_in_scope
from plans.models import OrgUnit, Plan
from reports.exports import REGISTRY

FORMATS = {"pdf", "xlsx"}


def _download(identifier: str, form_data: dict) -> HttpResponse:
    filename, mimetype, data = REGISTRY[identifier]().render(form_data)
    response = HttpResponse(data, content_type=mimetype)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Http404
    return fmt


def _ward_reader(user, ward: OrgUnit):
    # The ward's summaries are for the people who review and lead it; an officer sees only their own unit.
    if not (has_role(user, Role.REVIEWER, Role.LEADER, Role.ADMIN) and unit_in_scope(user, ward)):
        raise Http404


@login_required
def scorecard_download(request, pk: int, fmt: str):
    card = get_scorecard_or_404(request.user, pk)
    return _download(f"scorecard_{_format(fmt)}", {"scorecard": card})


@login_required
def ward_summary_download(request, code: str, month: str, fmt: str):
    ward = get_object_or_404(OrgUnit, code=code, kind=OrgUnit.Kind.WARD)
    _ward_reader(request.user, ward)
    try:
        first_day = parse_month(month)
    except MonthError as exc:
        raise Http404 from exc
    return _download(f"ward_summary_{_format(fmt)}", {"ward": ward, "month": first_day})


@login_required
def quarter_report_download(request, pk: int, year: int, quarter: int, fmt: str):
    plan = get_object_or_404(Plan.objects.select_related("issuer"), pk=pk)
    ward = plan.issuer.ward
    if ward is None or not 1 <= quarter <= 4:
        raise Http404
    _ward_reader(request.user, ward)
    return _download(f"quarter_report_{_format(fmt)}", {"plan": plan, "year": year, "quarter": quarter})
