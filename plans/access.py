"""The one place that decides who may see and do what, by role and by position in the org tree.

A user belongs to a unit; everything the user may see lies in that unit's subtree (a city user sees every
ward). Views, downloads, exports and services all ask here.
"""

from __future__ import annotations

from django.db.models import Q

from plans.models import OrgUnit, UserProfile

Role = UserProfile.Role

# The role sets, defined once: views declare them with @role_required, services and the card-action table
# (kpi.access.CARD_ACTIONS) use them. An administrator may do what any role may.
EVERYONE = (Role.OFFICER, Role.REVIEWER, Role.LEADER, Role.ADMIN)
UNIT_STAFF = (Role.OFFICER, Role.ADMIN)  # a unit's own officers: its self-assessment
REVIEWERS = (Role.REVIEWER, Role.ADMIN)  # Phòng VH-XH: the review
LEADERS = (Role.LEADER, Role.ADMIN)  # approval and reopening
WARD_READERS = (Role.REVIEWER, Role.LEADER, Role.ADMIN)  # who read the whole ward: queue, dashboards


def profile_of(user) -> UserProfile | None:
    if user is None or not user.is_authenticated:
        return None
    # One query for the profile, its unit and the unit's ward, kept on the user for the rest of the request:
    # every access decision of a page needs all three.
    if not hasattr(user, "_scoped_profile"):
        user._scoped_profile = UserProfile.objects.select_related("unit__ward").filter(user=user).first()
    return user._scoped_profile


def role_of(user) -> str | None:
    if user is not None and user.is_authenticated and user.is_superuser:
        return Role.ADMIN
    profile = profile_of(user)
    return profile.role if profile else None


def scope_root(user) -> OrgUnit | None:
    """Where the user's view of the tree starts. Officers see their unit and below; reviewers and leaders work
    for the whole ward their unit belongs to (the Phòng VH-XH reviewer reviews every unit of the ward); a
    city-level user, whose unit is in no ward, sees everything under that unit."""
    profile = profile_of(user)
    if profile is None:
        return None
    if profile.role in (Role.REVIEWER, Role.LEADER) and profile.unit.ward_id:
        return profile.unit.ward
    return profile.unit


def unit_in_scope(user, unit: OrgUnit) -> bool:
    if user is not None and user.is_authenticated and user.is_superuser:
        return True
    root = scope_root(user)
    return root is not None and (unit.path == root.path or unit.path.startswith(root.path + "/"))


def units_in_scope(user):
    """A queryset of every unit the user may see."""
    if user is not None and user.is_authenticated and user.is_superuser:
        return OrgUnit.objects.all()
    root = scope_root(user)
    if root is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(Q(pk=root.pk) | Q(path__startswith=root.path + "/"))


def has_role(user, *roles: str) -> bool:
    return role_of(user) in roles


def role_required(*roles: str):
    """Declares which roles may use a view at all (403 for the others, after sign-in); which objects they
    may see is still decided per object by the helpers above (404 outside their scope)."""
    from functools import wraps

    from django.contrib.auth.decorators import login_required
    from django.core.exceptions import PermissionDenied

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator
