"""Admin changes, readable by superusers: Django keeps a LogEntry for every add, change and delete made in the
admin but shows it nowhere. Read-only: the record of what administrators did is not theirs to edit."""

from django.contrib import admin
from django.contrib.admin.models import LogEntry

from plans.admin_scope import ReadOnlyAdmin


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    # A ward's administrator would see other wards' changes here: LogEntry knows no unit.
    superuser_only = True
    scope_field = None
    list_display = ["action_time", "user", "action_flag", "content_type", "object_repr", "change_message"]
    list_filter = ["action_flag", "content_type"]
    search_fields = ["object_repr", "change_message", "user__username"]
    date_hierarchy = "action_time"
    list_select_related = ["user", "content_type"]
