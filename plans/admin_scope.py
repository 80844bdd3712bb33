"""The admin sees what the pages see: one mixin scopes every list, form, choice, filter and autocomplete.

A non-superuser staff member works in the admin inside the same part of the org tree as on the pages, decided
by the same helpers (plans.access.units_in_scope / unit_in_scope, kpi.access.visible_scorecards,
tasks.access.visible_tasks). Every registered ModelAdmin mixes in `ScopedAdmin` and declares where its model
sits in the tree:

* `scope_field`: the path from the model to an OrgUnit ("unit", "plan__issuer", "" for OrgUnit itself);
  or `scope_queryset()` overridden where a page helper already decides (cards, tasks, evidence).
* `edit_scope_field`: the path that must be in scope to change or delete a row, when seeing it is wider than
  owning it (a ward leader sees a city plan's task its units lead, but edits only its own ward's plans).
* `scope_field = None`: shared reference data (collective phrases such as "các trường"): every staff member
  may read it, only superusers change it, because one ward's edit would change every ward's imports.
* `superuser_only = True`: site-wide machinery (permission groups, sign-in attempts): a ward's admin could
  grant itself anything through a group, and sign-in logs name people of every ward.

Where things belong: plans, their indicators, task groups and KPI rubrics (with groups and criteria) belong
to the plan's issuer; aliases, document profiles and user profiles to their unit; cards, entries and
transitions to the card's unit; progress to the reporting unit; the Nhật ký to the unit it was recorded for.

What is outside the scope is never shown: not in lists (get_queryset), 404 on change, delete and history
(get_object), never offered as a choice in a form (formfield_for_foreignkey / manytomany: the remote model's
own scoped admin queryset, nothing for a model without one), in a list filter (ScopedRelatedFilter) or in
autocomplete results (Django asks the remote model's admin for its queryset, which is scoped).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Q
from django.http import Http404

from plans.access import unit_in_scope, units_in_scope


def _is_superuser(request) -> bool:
    return request.user.is_active and request.user.is_superuser


def _unit_at(obj, path: str):
    """The OrgUnit reached from `obj` along a field path ("plan__issuer"), or None if a link is empty."""
    for name in path.split("__") if path else []:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


class ScopedChoices:
    """Form choices limited to what the user may see; for ModelAdmins and their inlines alike."""

    def _scoped_remote(self, request, model, queryset):
        if _is_superuser(request):
            return queryset
        remote_admin = self.admin_site._registry.get(model)
        if not isinstance(remote_admin, ScopedAdmin):
            return queryset.none()  # nothing we cannot scope is ever offered
        return queryset.filter(pk__in=remote_admin.get_queryset(request).values("pk"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = self._scoped_remote(request, db_field.remote_field.model, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = self._scoped_remote(request, db_field.remote_field.model, field.queryset)
        return field


class ScopedRelatedFilter(admin.RelatedOnlyFieldListFilter):
    """A related-field filter that offers only values used by the rows the user sees, and only those the
    related model's own admin would show them (a task's lead units may lie in another ward)."""

    def field_choices(self, field, request, model_admin):
        used = model_admin.get_queryset(request).distinct().values_list(f"{self.field_path}__pk", flat=True)
        limit = Q(pk__in=used)
        if not _is_superuser(request):
            remote_admin = model_admin.admin_site._registry.get(field.remote_field.model)
            if isinstance(remote_admin, ScopedAdmin):
                limit &= Q(pk__in=remote_admin.get_queryset(request).values("pk"))
            else:
                limit &= Q(pk__in=[])
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to=limit, ordering=ordering)


class ScopedAdmin(ScopedChoices):
    scope_field: str | None = "unit"
    edit_scope_field: str | None = None  # None: the same as scope_field
    superuser_only = False

    # --- what may be seen ---

    def scope_queryset(self, request, queryset):
        """The rows the user may see; overridden where a page helper decides (cards, tasks, evidence)."""
        if self.scope_field is None:
            return queryset
        units = units_in_scope(request.user)
        if self.scope_field == "":
            return queryset.filter(pk__in=units.values("pk"))
        return queryset.filter(**{f"{self.scope_field}__in": units.values("pk")})

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if _is_superuser(request):
            return queryset
        if self.superuser_only:
            return queryset.none()
        return self.scope_queryset(request, queryset)

    def get_object(self, request, object_id, from_field=None):
        # 404, never the admin's "does not exist" redirect: the same answer as the pages, whether the object
        # is elsewhere in the tree or nowhere at all.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def get_list_filter(self, request):
        filters = []
        for item in super().get_list_filter(request):
            if isinstance(item, str) and self._is_relation(item):
                item = (item, ScopedRelatedFilter)
            filters.append(item)
        return filters

    def _is_relation(self, path: str) -> bool:
        try:
            return get_fields_from_path(self.model, path)[-1].is_relation
        except (FieldDoesNotExist, NotRelationField):
            return False

    # --- what may be changed ---

    def in_edit_scope(self, request, obj) -> bool:
        if _is_superuser(request):
            return True
        if self.superuser_only or self.scope_field is None:
            return False
        path = self.edit_scope_field if self.edit_scope_field is not None else self.scope_field
        unit = obj if path == "" else _unit_at(obj, path)
        return unit is not None and unit_in_scope(request.user, unit)

    def has_module_permission(self, request):
        return super().has_module_permission(request) and (_is_superuser(request) or not self.superuser_only)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (
            _is_superuser(request) or not self.superuser_only
        )

    def has_add_permission(self, request, *args):
        if not _is_superuser(request) and (self.superuser_only or self.scope_field is None):
            return False
        return super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        if not _is_superuser(request) and (self.superuser_only or self.scope_field is None):
            return False
        return super().has_change_permission(request, obj) and (
            obj is None or self.in_edit_scope(request, obj)
        )

    def has_delete_permission(self, request, obj=None):
        if not _is_superuser(request) and (self.superuser_only or self.scope_field is None):
            return False
        return super().has_delete_permission(request, obj) and (
            obj is None or self.in_edit_scope(request, obj)
        )

    def save_model(self, request, obj, form, change):
        # The choices are already scoped; this stops what a choice cannot, an emptied link (a unit with no
        # parent would be a new root, outside every ward).
        if not self.in_edit_scope(request, obj):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(ScopedAdmin):
    """Seen in the admin, never written there — not even by a superuser: the workflow services and the
    pages are the only way these rows change."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ScopedChoices, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
