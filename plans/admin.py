from django.contrib import admin

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


class UnitAliasInline(admin.TabularInline):
    model = UnitAlias
    extra = 1
    fields = ["text"]


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "code", "kind", "parent", "ward", "is_demo"]
    list_filter = ["kind", "is_demo", "ward"]
    search_fields = ["name", "short_name", "code", "aliases__text"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "ward"]
    inlines = [UnitAliasInline]
    list_select_related = ["parent", "ward"]
    change_list_template = "admin/plans/orgunit/change_list.html"

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
class CollectiveAliasAdmin(admin.ModelAdmin):
    list_display = ["text", "kinds", "school_level"]
    search_fields = ["text"]


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ["code", "text", "comparator", "target_value", "unit", "target_year", "responsible_unit"]
    autocomplete_fields = ["responsible_unit"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
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


class IndicatorValueInline(admin.TabularInline):
    model = IndicatorValue
    extra = 1
    fields = ["measured_on", "value", "note"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    inlines = [IndicatorValueInline]
    list_display = ["code", "plan", "short_text", "comparator", "target_value", "unit", "target_year"]
    list_filter = ["plan", "comparator", "target_year"]
    search_fields = ["code", "text"]
    autocomplete_fields = ["plan", "responsible_unit"]

    @admin.display(description="Chỉ tiêu")
    def short_text(self, obj):
        return obj.text[:100]


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "unit__name"]
    autocomplete_fields = ["unit"]


@admin.register(UnitAlias)
class UnitAliasAdmin(admin.ModelAdmin):
    list_display = ["text", "unit"]
    search_fields = ["text", "unit__name"]
    autocomplete_fields = ["unit"]


@admin.register(DocumentProfile)
class DocumentProfileAdmin(admin.ModelAdmin):
    list_display = ["name_line", "unit", "place", "symbol", "signer_title", "issues_reports"]
    list_filter = ["issues_reports"]
    search_fields = ["name_line", "unit__name"]
    autocomplete_fields = ["unit"]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(admin.ModelAdmin):
    list_display = ["indicator", "value", "measured_on"]
    list_filter = ["indicator__plan"]
    search_fields = ["indicator__code", "indicator__text"]
    autocomplete_fields = ["indicator"]
