from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from plans.access import units_in_scope
from plans.admin_scope import ReadOnlyAdmin, ScopedAdmin, ScopedChoices
from plans.models import Plan
from tasks.access import visible_tasks
from tasks.models import Evidence, Task, TaskGroup, TaskProgress


class TaskInline(ScopedChoices, admin.TabularInline):
    model = Task
    extra = 0
    fields = ["code", "content", "deadline_text", "deliverable"]
    show_change_link = True
    fk_name = "parent"
    verbose_name = "Nhiệm vụ con"
    verbose_name_plural = "Nhiệm vụ con"


class ProgressInline(ScopedChoices, admin.TabularInline):
    model = TaskProgress
    extra = 0
    fields = ["reported_on", "period_due", "percent", "unit", "note", "created_by"]
    autocomplete_fields = ["unit"]


class DuplicateFilter(admin.SimpleListFilter):
    title = "nghi trùng"
    parameter_name = "duplicate"

    def lookups(self, request, model_admin):
        return [("yes", "Nghi trùng"), ("no", "Không trùng")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(duplicate_of__isnull=False)
        if self.value() == "no":
            return queryset.filter(duplicate_of__isnull=True)
        return queryset


class ScheduleKindFilter(admin.SimpleListFilter):
    title = "loại thời hạn"
    parameter_name = "schedule_kind"

    def lookups(self, request, model_admin):
        from tasks.deadlines import Kind

        return list(Kind.LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(schedule__kind=self.value()) if self.value() else queryset


@admin.register(Task)
class TaskAdmin(ScopedAdmin, admin.ModelAdmin):
    # Seen as on the pages (tasks.access: led or coordinated by a unit in scope, or of a plan issued in it);
    # changed only within one's own plans.
    edit_scope_field = "plan__issuer"
    list_display = ["code", "short_content", "plan", "group", "lead_text", "deadline_text", "schedule_label"]
    list_filter = ["plan", "group", ScheduleKindFilter, DuplicateFilter, "lead_units"]
    search_fields = ["code", "content", "lead_text", "coordinating_text", "deliverable"]
    autocomplete_fields = ["plan", "group", "parent", "duplicate_of", "lead_units", "coordinating_units"]
    readonly_fields = ["schedule_label", "unresolved_units"]
    list_select_related = ["plan", "group"]
    inlines = [TaskInline, ProgressInline]

    def scope_queryset(self, request, queryset):
        return queryset.filter(pk__in=visible_tasks(request.user).values("pk"))

    @admin.display(description="Nội dung")
    def short_content(self, obj):
        return obj.title[:100]

    @admin.display(description="Thời hạn hiểu là")
    def schedule_label(self, obj):
        schedule = obj.parsed_schedule()
        return schedule.label + (" — cần xác định thời hạn" if schedule.needs_date else "")


@admin.register(TaskGroup)
class TaskGroupAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = "plan__issuer"
    list_display = ["code", "title", "plan", "order"]
    list_filter = ["plan"]
    search_fields = ["code", "title"]


@admin.register(TaskProgress)
class TaskProgressAdmin(ScopedAdmin, admin.ModelAdmin):
    # Seen with the task; changed by the reporting unit's side of the tree.
    edit_scope_field = "unit"
    list_display = ["task", "reported_on", "period_due", "percent", "unit", "created_by"]
    list_filter = ["task__plan", "reported_on"]
    search_fields = ["task__code", "task__content", "note"]
    autocomplete_fields = ["task", "unit"]
    date_hierarchy = "reported_on"

    def scope_queryset(self, request, queryset):
        return queryset.filter(task__in=visible_tasks(request.user).values("pk"))


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Evidence is uploaded, attached and removed on the pages (checked by content, removal recorded), so
    the admin only shows it."""

    list_display = ["label", "unit", "task", "original_name", "uploaded_by", "uploaded_at", "deleted_at"]
    list_filter = ["unit", "uploaded_at"]
    search_fields = ["original_name", "doc_number", "summary", "sha256"]
    list_select_related = ["unit", "task", "uploaded_by"]
    exclude = ["file"]
    readonly_fields = ["download"]

    def scope_queryset(self, request, queryset):
        # As tasks.access.get_evidence_or_404: of a unit in scope, or of a task the user may see.
        units = units_in_scope(request.user).values("pk")
        return queryset.filter(Q(unit__in=units) | Q(task__in=visible_tasks(request.user).values("pk")))

    @admin.display(description="Tải về")
    def download(self, obj):
        if obj.pk is None or obj.deleted_at or not obj.file:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("evidence_download", args=[obj.pk]), obj.label)


class PlanTaskInline(ScopedChoices, admin.TabularInline):
    model = Task
    extra = 0
    fields = ["code", "group", "content", "lead_text", "deadline_text", "deliverable"]
    show_change_link = True
    fk_name = "plan"
    verbose_name_plural = "Nhiệm vụ của kế hoạch (mở từng dòng để sửa nhiệm vụ con, đơn vị, tiến độ)"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(parent__isnull=True).select_related("group")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if (
            db_field.name == "group"
            and request.resolver_match
            and request.resolver_match.kwargs.get("object_id")
        ):
            kwargs["queryset"] = TaskGroup.objects.filter(plan_id=request.resolver_match.kwargs["object_id"])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# Plans know nothing of tasks (dependencies point plans ← tasks), so the tasks app adds its inline here.
_plan_admin = type(admin.site._registry[Plan])
admin.site.unregister(Plan)


@admin.register(Plan)
class PlanWithTasksAdmin(_plan_admin):
    inlines = [*_plan_admin.inlines, PlanTaskInline]
    change_list_template = "admin/plans/plan/change_list.html"

    def get_urls(self):
        from django.urls import path

        from tasks.admin_import import plan_import_view, plan_template_view

        own = [
            path(
                "import/",
                self.admin_site.admin_view(lambda r: plan_import_view(self, r)),
                name="plans_plan_import",
            ),
            path(
                "import/template/",
                self.admin_site.admin_view(lambda r: plan_template_view(self, r)),
                name="plans_plan_import_template",
            ),
        ]
        return own + super().get_urls()
