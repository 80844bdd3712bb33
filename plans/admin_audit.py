"""The Nhật ký in the admin: one read-only list of plans.AuditEntry, scoped by the entry's unit like every
other admin list (a ward's admin reads its ward's entries; entries of no unit are the superusers')."""

from django.contrib import admin

from plans.admin_scope import ReadOnlyAdmin
from plans.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    scope_field = "unit"
    list_display = ["at", "who", "action", "object_repr", "unit", "file_name", "short_sha", "summary"]
    list_filter = ["action", "at"]
    search_fields = ["object_repr", "summary", "file_name", "file_sha256", "by__username", "by__last_name"]
    date_hierarchy = "at"
    list_select_related = ["by", "unit"]
    readonly_fields = ["who", "file_sha256"]
    fields = [
        "at", "who", "action", "object_repr", "unit", "summary", "file_name", "file_sha256", "details",
    ]  # fmt: skip

    @admin.display(description="Người thực hiện", ordering="by__username")
    def who(self, obj):
        if obj.by is None:
            return "hệ thống"
        return obj.by.get_full_name() or obj.by.username

    @admin.display(description="SHA-256", ordering="file_sha256")
    def short_sha(self, obj):
        return obj.file_sha256[:12]
