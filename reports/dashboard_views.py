"""The leaders' dashboards: /dashboard/ (a ward's month) and /dashboard/thanh-pho/ (the wards side by side),
and the task list their numbers link to. Reviewers, leaders and administrators only; scoped like every page."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from kpi.review_views import month_from
from plans.access import Role, profile_of, role_required, unit_in_scope
from plans.models import OrgUnit, Plan
from reports.charts import legend, trend_chart
from reports.dashboard import DONE, TASK_STATUSES, city_overview, task_statuses, ward_dashboard
from reports.dashboard_html import heatmap_rows, lead_rows, ranking_rows

READERS = (Role.REVIEWER, Role.LEADER, Role.ADMIN)


def _own_ward(user) -> OrgUnit | None:
    profile = profile_of(user)
    return profile.unit.ward if profile and profile.unit.ward_id else None


def _ward_or_404(request) -> OrgUnit | None:
    """The ward asked for (?ward=CODE) if the user may see it, else the user's own ward; None for a city-level
    user who asked for no ward (they start from the city overview)."""
    code = request.GET.get("ward")
    if code:
        ward = OrgUnit.objects.filter(code=code, kind=OrgUnit.Kind.WARD).first()
        if ward is None or not unit_in_scope(request.user, ward):
            raise Http404
        return ward
    return _own_ward(request.user)


@role_required(*READERS)
def ward(request):
    month = month_from(request)
    ward = _ward_or_404(request)
    if ward is None:
        return redirect("city_dashboard")
    plan = request.GET.get("plan")
    kind = request.GET.get("kind", "")
    if kind and kind not in OrgUnit.Kind.values:
        raise Http404
    board = ward_dashboard(
        ward, month=month, today=timezone.localdate(), plan_id=int(plan) if plan and plan.isdigit() else None,
        kind=kind,
    )  # fmt: skip
    tasks_url = reverse("dashboard_tasks", args=[board.plan.pk]) if board.plan else ""
    return TemplateResponse(
        request,
        "reports/dashboard.html",
        {
            "board": board, "chart": trend_chart(board.trend), "legend": legend(),
            "ranking": ranking_rows(board.rows), "heatmap": heatmap_rows(board.rows, board.groups),
            "leads": lead_rows(board.tasks_by_lead, tasks_url) if board.plan else "",
            "city_reader": _own_ward(request.user) is None,
        },
    )  # fmt: skip


@role_required(*READERS)
def city(request):
    month = month_from(request)
    profile = profile_of(request.user)
    root = profile.unit if profile else None
    if root is None:  # a superuser without a unit: every city
        root = OrgUnit.objects.filter(parent__isnull=True, kind=OrgUnit.Kind.CITY).order_by("path").first()
    if root is None:
        raise Http404
    overview = city_overview(root, month=month)
    return TemplateResponse(
        request,
        "reports/city.html",
        {"overview": overview, "chart": trend_chart(overview.trend), "legend": legend()},
    )


@role_required(*READERS)
def tasks(request, pk: int):
    """The plan's tasks with their status today, filtered the way the dashboard's numbers were counted."""
    plan = Plan.objects.select_related("issuer__ward").filter(pk=pk).first()
    if plan is None or plan.issuer.ward is None or not unit_in_scope(request.user, plan.issuer.ward):
        raise Http404
    status = request.GET.get("status", "")
    wanted = DONE if status == "done" else {status}
    if status and status != "done" and status not in dict(TASK_STATUSES):
        raise Http404
    group, lead = request.GET.get("group", ""), request.GET.get("lead", "")
    today = timezone.localdate()
    rows = []
    for task, task_status in task_statuses(plan, today):
        if status and task_status.status not in wanted:
            continue
        if group and str(task.group_id) != group:
            continue
        if lead and lead not in {str(unit.pk) for unit in task.leads}:
            continue
        rows.append((task, task_status))
    return TemplateResponse(
        request,
        "reports/task_list.html",
        {"plan": plan, "rows": rows, "status": status,
         "status_label": "Đã hoàn thành" if status == "done" else dict(TASK_STATUSES).get(status, ""),
         "today": today},
    )  # fmt: skip
