"""The admins Django and django-axes register themselves, re-registered with the scope of plans.admin_scope.

Accounts belong to the unit of their profile: a ward's admin sees and edits its ward's people, never a
superuser, and cannot hand out what it does not hold (superuser status, permission groups, permissions).
New accounts are made by a superuser, who decides the unit they start in.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from plans.access import units_in_scope
from plans.admin_scope import ScopedAdmin

ESCALATING_FIELDS = ["is_superuser", "groups", "user_permissions"]


class ScopedUserAdmin(ScopedAdmin, UserAdmin):
    scope_field = "profile__unit"

    def scope_queryset(self, request, queryset):
        units = units_in_scope(request.user).values("pk")
        return queryset.filter(profile__unit__in=units, is_superuser=False)

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else [*fields, *ESCALATING_FIELDS]


class SuperuserOnlyGroupAdmin(ScopedAdmin, GroupAdmin):
    superuser_only = True


class SuperuserOnlyAccessAttemptAdmin(ScopedAdmin, AccessAttemptAdmin):
    superuser_only = True


class SuperuserOnlyAccessLogAdmin(ScopedAdmin, AccessLogAdmin):
    superuser_only = True


class SuperuserOnlyAccessFailureLogAdmin(ScopedAdmin, AccessFailureLogAdmin):
    superuser_only = True


for model, model_admin in [
    (User, ScopedUserAdmin),
    (Group, SuperuserOnlyGroupAdmin),
    (AccessAttempt, SuperuserOnlyAccessAttemptAdmin),
    (AccessLog, SuperuserOnlyAccessLogAdmin),
    (AccessFailureLog, SuperuserOnlyAccessFailureLogAdmin),
]:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
