"""Cards, entries and transitions in the admin: read-only for everyone, superusers included.

A card changes only through the workflow services (kpi.services), which check the role, the scope, the state
and the card's version, and record a Transition. The admin offers those services as actions (return and
reopen ask for a reason on a confirmation page) and links to the card's own pages; it never edits an entry,
so no open page can be overwritten behind its back.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from kpi.access import visible_scorecards
from kpi.models import LockedError, Scorecard, ScoreEntry, Transition
from kpi.services import (
    WorkflowError,
    scorecard_approve,
    scorecard_reopen,
    scorecard_return,
    scorecard_review,
)
from plans.admin_scope import ReadOnlyAdmin, ReadOnlyInline


def _card_links(card) -> str:
    return format_html(
        '<a href="{}">Mở phiếu</a> · <a href="{}">Lịch sử</a>',
        reverse("scorecard", args=[card.pk]),
        reverse("scorecard_history", args=[card.pk]),
    )


class ScoreEntryInline(ReadOnlyInline):
    model = ScoreEntry
    fields = [
        "criterion",
        "adhoc_title",
        "result",
        "ratio",
        "self_points",
        "reviewed_points",
        "review_reason",
    ]
    readonly_fields = fields


class TransitionInline(ReadOnlyInline):
    model = Transition
    fields = ["at", "from_state", "to_state", "by", "reason"]
    readonly_fields = fields


@admin.register(Scorecard)
class ScorecardAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "unit", "month", "state", "submitted_on_time", "approved_total", "approved_rank", "pages",
    ]  # fmt: skip
    list_filter = ["state", "month", "rubric", "submitted_on_time"]
    search_fields = ["unit__name", "unit__code"]
    date_hierarchy = "month"
    readonly_fields = ["pages"]
    inlines = [ScoreEntryInline, TransitionInline]
    actions = ["review_selected", "approve_selected", "return_selected", "reopen_selected"]
    list_select_related = ["unit", "rubric"]
    change_list_template = "admin/kpi/scorecard/change_list.html"

    def scope_queryset(self, request, queryset):
        return queryset.filter(pk__in=visible_scorecards(request.user).values("pk"))

    def get_urls(self):
        from django.urls import path

        from kpi.admin_import import assessment_import_view

        view = self.admin_site.admin_view(lambda request: assessment_import_view(self, request))
        return [path("import/", view, name="kpi_scorecard_import"), *super().get_urls()]

    @admin.display(description="Trang của phiếu")
    def pages(self, obj):
        return _card_links(obj) if obj and obj.pk else "—"

    def _run(self, request, queryset, service, done, **kwargs):
        count = 0
        for card in queryset:
            try:
                service(scorecard=card, by=request.user, **kwargs)
                count += 1
            except (WorkflowError, LockedError) as exc:
                self.message_user(request, f"{card}: {exc}", messages.ERROR)
        if count:
            self.message_user(request, f"Đã {done} {count} phiếu.", messages.SUCCESS)

    def _run_with_reason(self, request, queryset, service, done, action, title):
        """A confirmation page asking why; the service runs only once a reason is given."""
        reason = request.POST.get("reason", "").strip()
        if "apply" in request.POST and reason:
            self._run(request, queryset, service, done, reason=reason)
            return None  # back to the list, with the messages
        return TemplateResponse(
            request,
            "admin/kpi/scorecard/reason_action.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.opts,
                "cards": queryset,
                "action": action,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "reason": reason,
                "error": "Cần ghi lý do." if "apply" in request.POST else "",
            },
        )

    @admin.action(description="Xác nhận đã thẩm định các phiếu đã chọn")
    def review_selected(self, request, queryset):
        self._run(request, queryset, scorecard_review, "xác nhận thẩm định")

    @admin.action(description="Phê duyệt các phiếu đã chọn")
    def approve_selected(self, request, queryset):
        self._run(request, queryset, scorecard_approve, "phê duyệt")

    @admin.action(description="Trả lại đơn vị các phiếu đã chọn (ghi lý do)")
    def return_selected(self, request, queryset):
        return self._run_with_reason(
            request, queryset, scorecard_return, "trả lại", "return_selected", "Trả lại phiếu cho đơn vị"
        )

    @admin.action(description="Mở lại các phiếu đã phê duyệt đã chọn (ghi lý do)")
    def reopen_selected(self, request, queryset):
        return self._run_with_reason(
            request, queryset, scorecard_reopen, "mở lại", "reopen_selected", "Mở lại phiếu đã phê duyệt"
        )


@admin.register(ScoreEntry)
class ScoreEntryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    # A plain admin, not simple-history's: its history pages look entries up outside the admin's queryset
    # and offer to revert one. An entry's story is on its card's history page (linked below).
    list_display = ["scorecard", "criterion", "adhoc_title", "result", "self_points", "reviewed_points"]
    list_filter = ["result", "scorecard__month"]
    search_fields = ["scorecard__unit__name", "criterion__code", "adhoc_title"]
    list_select_related = ["scorecard__unit", "criterion"]
    exclude = ["evidence"]
    readonly_fields = ["pages"]

    def scope_queryset(self, request, queryset):
        return queryset.filter(scorecard__in=visible_scorecards(request.user).values("pk"))

    @admin.display(description="Trang của phiếu")
    def pages(self, obj):
        return _card_links(obj.scorecard) if obj and obj.pk else "—"


@admin.register(Transition)
class TransitionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["scorecard", "at", "from_state", "to_state", "by", "reason"]
    list_filter = ["to_state", "at"]
    search_fields = ["scorecard__unit__name", "reason"]
    list_select_related = ["scorecard__unit", "by"]

    def scope_queryset(self, request, queryset):
        return queryset.filter(scorecard__in=visible_scorecards(request.user).values("pk"))
