"""Which tasks a user may see: the one place views and downloads ask (plans.access for units)."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from plans.access import Role, has_role, scope_root
from tasks.models import Task


def visible_tasks(user):
    """Officers: tasks their unit (or a unit below it) leads or coordinates. Reviewers and leaders: also every
    task of the plans issued in their ward. Administrators: everything."""
    if user.is_superuser:
        return Task.objects.all()
    root = scope_root(user)
    if root is None:
        return Task.objects.none()
    in_scope = Q(pk=root.pk) | Q(path__startswith=root.path + "/")
    from plans.models import OrgUnit

    units = OrgUnit.objects.filter(in_scope).values("pk")
    condition = Q(lead_units__in=units) | Q(coordinating_units__in=units)
    if has_role(user, Role.REVIEWER, Role.LEADER, Role.ADMIN):
        condition |= Q(plan__issuer__in=units)
    return Task.objects.filter(condition).distinct()


def get_task_or_404(user, pk: int) -> Task:
    task = visible_tasks(user).select_related("plan__issuer", "group", "parent").filter(pk=pk).first()
    if task is None:
        raise Http404  # never a hint that it exists
    return task


def acting_unit(user, task: Task):
    """The unit named on the task that the user reports for: a lead unit first, else a coordinating one."""
    root = scope_root(user)
    if root is None:
        return None, None
    for units, role in ((task.lead_units.all(), "lead"), (task.coordinating_units.all(), "coordinating")):
        for unit in units:
            if unit.path == root.path or unit.path.startswith(root.path + "/"):
                return unit, role
    return None, None


def get_evidence_or_404(user, pk: int):
    """Evidence the user may see: of a unit in the user's scope, or of a task the user may see."""
    from plans.access import unit_in_scope
    from tasks.models import Evidence

    evidence = Evidence.objects.select_related("unit", "task").filter(pk=pk, deleted_at__isnull=True).first()
    if evidence is None:
        raise Http404
    if unit_in_scope(user, evidence.unit):
        return evidence
    if evidence.task_id and visible_tasks(user).filter(pk=evidence.task_id).exists():
        return evidence
    raise Http404
