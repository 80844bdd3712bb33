from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from simple_history.admin import SimpleHistoryAdmin

from kpi.models import Criterion, Rubric, RubricGroup, Scorecard, ScoreEntry, Transition
from kpi.services import (
    WorkflowError,
    rubric_new_version,
    scorecard_approve,
    scorecard_refresh_score,
    scorecard_review,
)
from plans.formatting import vn_decimal


def _kept(formset):
    return [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


class GroupFormSet(BaseInlineFormSet):
    """Groups must add up to the rubric's total, and each group's criteria to its new maximum."""

    def clean(self):
        super().clean()
        forms = _kept(self)
        total = self.instance.total or Decimal("0")
        group_sum = sum((f.cleaned_data["max_points"] for f in forms), Decimal("0"))
        if forms and group_sum != total:
            raise ValidationError(
                f"Tổng điểm các nhóm là {vn_decimal(group_sum)}, phải bằng tổng điểm {vn_decimal(total)}."
            )
        for form in forms:
            group = form.instance
            if group.pk:
                criteria_sum = sum((c.points for c in group.criteria.all()), Decimal("0"))
                if criteria_sum != form.cleaned_data["max_points"]:
                    raise ValidationError(
                        f"Nhóm {group.code}: các tiêu chí cộng lại {vn_decimal(criteria_sum)} điểm, không bằng "
                        f"{vn_decimal(form.cleaned_data['max_points'])}. Sửa điểm tiêu chí trong trang của nhóm."
                    )


class CriterionFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        forms = _kept(self)
        points = sum((f.cleaned_data["points"] for f in forms), Decimal("0"))
        if forms and points != self.instance.max_points:
            raise ValidationError(
                f"Các tiêu chí cộng lại {vn_decimal(points)} điểm, phải bằng điểm tối đa của nhóm "
                f"{vn_decimal(self.instance.max_points)}."
            )


class InUseReadOnly:
    """A rubric version that has scored months never changes: a new version is made instead."""

    def _in_use(self, obj) -> bool:
        rubric = obj if isinstance(obj, Rubric) else getattr(obj, "rubric", None)
        return bool(rubric and rubric.pk and rubric.scorecards.exists())

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and self._in_use(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and self._in_use(obj))


class RubricGroupInline(admin.TabularInline):
    model = RubricGroup
    formset = GroupFormSet
    extra = 0
    fields = ["code", "name", "max_points", "order"]
    show_change_link = True


@admin.register(Rubric)
class RubricAdmin(InUseReadOnly, admin.ModelAdmin):
    list_display = ["name", "plan", "version", "total", "late_factor", "submission_day"]
    list_filter = ["plan"]
    search_fields = ["name", "plan__number", "plan__code"]
    autocomplete_fields = ["plan"]
    filter_horizontal = ["units"]
    inlines = [RubricGroupInline]
    actions = ["copy_as_new_version"]

    @admin.action(description="Tạo phiên bản mới (sao chép) để sửa điểm")
    def copy_as_new_version(self, request, queryset):
        for rubric in queryset:
            new = rubric_new_version(rubric=rubric)
            self.message_user(
                request,
                f"Đã tạo {new} từ phiên bản {rubric.version}; các tháng đã chấm vẫn giữ phiên bản cũ.",
                messages.SUCCESS,
            )


class CriterionInline(admin.StackedInline):
    model = Criterion
    formset = CriterionFormSet
    extra = 0
    fields = ["code", "name", "achievement", "evidence", "frequency", "points", "order", "tasks"]
    autocomplete_fields = ["tasks"]


@admin.register(RubricGroup)
class RubricGroupAdmin(InUseReadOnly, admin.ModelAdmin):
    list_display = ["code", "name", "max_points", "rubric"]
    list_filter = ["rubric"]
    search_fields = ["name", "code"]
    inlines = [CriterionInline]

    def get_readonly_fields(self, request, obj=None):
        # The group's maximum is balanced against the other groups on the rubric's page.
        return ["rubric", "max_points"] if obj else []


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["code", "short_name", "frequency", "points", "group"]
    list_filter = ["group__rubric", "frequency"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["tasks"]
    readonly_fields = ["group", "points"]  # points are set with their siblings, on the group's page

    @admin.display(description="Tiêu chí")
    def short_name(self, obj):
        return obj.name[:90]

    def has_add_permission(self, request):
        return False


class ScoreEntryInline(admin.TabularInline):
    model = ScoreEntry
    extra = 0
    fields = [
        "criterion",
        "adhoc_title",
        "result",
        "ratio",
        "self_points",
        "reviewed_points",
        "review_reason",
    ]
    readonly_fields = ["criterion", "self_points"]
    can_delete = False


class TransitionInline(admin.TabularInline):
    model = Transition
    extra = 0
    fields = ["at", "from_state", "to_state", "by", "reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ["unit", "month", "state", "submitted_on_time", "approved_total", "approved_rank"]
    list_filter = ["state", "month", "rubric", "submitted_on_time"]
    search_fields = ["unit__name", "unit__code"]
    date_hierarchy = "month"
    # State and snapshots change only through the workflow services (actions below).
    readonly_fields = [
        "unit", "rubric", "month", "state", "version", "submitted_at", "submitted_on_time", "reviewed_by",
        "reviewed_at", "approved_by", "approved_at", "approved_total", "approved_rank", "total", "rank",
        "group_percents",
    ]  # fmt: skip
    inlines = [ScoreEntryInline, TransitionInline]
    actions = ["review_selected", "approve_selected"]

    list_select_related = ["unit", "rubric"]
    change_list_template = "admin/kpi/scorecard/change_list.html"

    def get_urls(self):
        from django.urls import path

        from kpi.admin_import import assessment_import_view

        view = self.admin_site.admin_view(lambda request: assessment_import_view(self, request))
        return [path("import/", view, name="kpi_scorecard_import"), *super().get_urls()]

    def has_add_permission(self, request):
        return False  # cards are made by scorecard_get_or_create, with one entry per criterion

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        scorecard_refresh_score(scorecard=form.instance)  # entries edited inline change the stored score

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.is_locked)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_locked)

    def _run(self, request, queryset, service, done):
        count = 0
        for card in queryset:
            try:
                service(scorecard=card, by=request.user)
                count += 1
            except WorkflowError as exc:
                self.message_user(request, f"{card}: {exc}", messages.ERROR)
        if count:
            self.message_user(request, f"Đã {done} {count} phiếu.", messages.SUCCESS)

    @admin.action(description="Thẩm định các phiếu đã chọn")
    def review_selected(self, request, queryset):
        self._run(request, queryset, scorecard_review, "thẩm định")

    @admin.action(description="Phê duyệt các phiếu đã chọn")
    def approve_selected(self, request, queryset):
        self._run(request, queryset, scorecard_approve, "phê duyệt")


@admin.register(ScoreEntry)
class ScoreEntryAdmin(SimpleHistoryAdmin):
    list_display = ["scorecard", "criterion", "adhoc_title", "result", "self_points", "reviewed_points"]
    list_filter = ["result", "scorecard__month"]
    search_fields = ["scorecard__unit__name", "criterion__code", "adhoc_title"]
    readonly_fields = ["scorecard", "criterion", "group", "self_points"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        scorecard_refresh_score(scorecard=obj.scorecard)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.scorecard.is_locked)

    def has_delete_permission(self, request, obj=None):
        return False
