from django.contrib import admin

from plans.access import scope_root
from plans.admin_scope import ScopedAdmin, ScopedChoices
from plans.models import (
    CollectiveAlias,
    DocumentProfile,
    Indicator,
    IndicatorValue,
    OrgUnit,
    Plan,
    UnitAlias,
    UserProfile,
)


class UnitAliasInline(ScopedChoices, admin.TabularInline):
    model = UnitAlias
    extra = 1
    fields = ["text"]


@admin.register(OrgUnit)
class OrgUnitAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = ""  # the unit itself
    list_display = ["name", "short_name", "code", "kind", "parent", "ward", "is_demo"]
    list_filter = ["kind", "is_demo", "ward"]
    search_fields = ["name", "short_name", "code", "aliases__text"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "ward"]
    inlines = [UnitAliasInline]
    list_select_related = ["parent", "ward"]
    change_list_template = "admin/plans/orgunit/change_list.html"

    def in_edit_scope(self, request, obj) -> bool:
        if request.user.is_superuser:
            return True
        # A unit is placed by its parent: a new or moved unit must hang below a unit in scope. The scope's
        # own root stays as it is (moving it would move the whole ward out of its city).
        root = scope_root(request.user)
        if obj.pk and root is not None and obj.pk == root.pk:
            return False
        return obj.parent is not None and super().in_edit_scope(request, obj.parent)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if not request.user.is_superuser and "parent" in form.base_fields:
            form.base_fields["parent"].required = True  # no new roots outside every ward
        return form

    def get_urls(self):
        from django.urls import path

        from plans.admin_tables import table_download_view, tables_view

        wrap = self.admin_site.admin_view
        return [
            path("data/", wrap(lambda request: tables_view(self, request)), name="plans_tables"),
            path(
                "data/<slug:identifier>.xlsx",
                wrap(lambda request, identifier: table_download_view(self, request, identifier)),
                name="plans_table_download",
            ),
            *super().get_urls(),
        ]


@admin.register(CollectiveAlias)
class CollectiveAliasAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = None  # shared by every ward's imports: read-only below superusers
    list_display = ["text", "kinds", "school_level"]
    search_fields = ["text"]


class IndicatorInline(ScopedChoices, admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ["code", "text", "comparator", "target_value", "unit", "target_year", "responsible_unit"]
    autocomplete_fields = ["responsible_unit"]


@admin.register(Plan)
class PlanAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = "issuer"
    list_display = ["display_number", "code", "issuer", "issued_on", "status", "is_loaded_in_full"]
    list_filter = ["status", "issuer", "is_loaded_in_full"]
    search_fields = ["number", "code", "title"]
    autocomplete_fields = ["issuer"]
    filter_horizontal = ["basis"]
    date_hierarchy = "issued_on"
    inlines = [IndicatorInline]

    @admin.display(description="Số, ký hiệu", ordering="number")
    def display_number(self, obj):
        return obj.display_number


class IndicatorValueInline(ScopedChoices, admin.TabularInline):
    model = IndicatorValue
    extra = 1
    fields = ["measured_on", "value", "note"]


@admin.register(Indicator)
class IndicatorAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = "plan__issuer"
    inlines = [IndicatorValueInline]
    list_display = ["code", "plan", "short_text", "comparator", "target_value", "unit", "target_year"]
    list_filter = ["plan", "comparator", "target_year"]
    search_fields = ["code", "text"]
    autocomplete_fields = ["plan", "responsible_unit"]

    @admin.display(description="Chỉ tiêu")
    def short_text(self, obj):
        return obj.text[:100]


@admin.register(UserProfile)
class UserProfileAdmin(ScopedAdmin, admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "unit__name"]
    autocomplete_fields = ["unit"]


@admin.register(UnitAlias)
class UnitAliasAdmin(ScopedAdmin, admin.ModelAdmin):
    list_display = ["text", "unit"]
    search_fields = ["text", "unit__name"]
    autocomplete_fields = ["unit"]


@admin.register(DocumentProfile)
class DocumentProfileAdmin(ScopedAdmin, admin.ModelAdmin):
    list_display = ["name_line", "unit", "doc_format", "place", "symbol", "signer_title", "issues_reports"]
    list_filter = ["doc_format", "issues_reports"]
    search_fields = ["name_line", "unit__name"]
    autocomplete_fields = ["unit"]
    raw_id_fields = ["signer_user"]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = "indicator__plan__issuer"
    list_display = ["indicator", "value", "measured_on"]
    list_filter = ["indicator__plan"]
    search_fields = ["indicator__code", "indicator__text"]
    autocomplete_fields = ["indicator"]


# Registered from here so that autodiscovery (plans comes after auth and axes) picks them up in this order.
import plans.admin_audit  # noqa: E402
import plans.admin_auth  # noqa: E402, F401
