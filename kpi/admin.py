from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from kpi.admin_audit import record_criterion_edit, record_criterion_formset
from kpi.models import Criterion, Rubric, RubricGroup
from kpi.services import rubric_new_version
from plans.admin_scope import ScopedAdmin, ScopedChoices
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
        if isinstance(obj, Criterion):
            obj = obj.group
        rubric = obj if isinstance(obj, Rubric) else getattr(obj, "rubric", None)
        return bool(rubric and rubric.pk and rubric.scorecards.exists())

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and self._in_use(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and self._in_use(obj))


class RubricGroupInline(ScopedChoices, admin.TabularInline):
    model = RubricGroup
    formset = GroupFormSet
    extra = 0
    fields = ["code", "name", "max_points", "order"]
    show_change_link = True


@admin.register(Rubric)
class RubricAdmin(InUseReadOnly, ScopedAdmin, admin.ModelAdmin):
    scope_field = "plan__issuer"  # a rubric belongs where its plan was issued
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


class CriterionInline(ScopedChoices, admin.StackedInline):
    model = Criterion
    formset = CriterionFormSet
    extra = 0
    fields = ["code", "name", "achievement", "evidence", "frequency", "points", "order", "tasks"]
    autocomplete_fields = ["tasks"]


@admin.register(RubricGroup)
class RubricGroupAdmin(InUseReadOnly, ScopedAdmin, admin.ModelAdmin):
    scope_field = "rubric__plan__issuer"
    list_display = ["code", "name", "max_points", "rubric"]
    list_filter = ["rubric"]
    search_fields = ["name", "code"]
    inlines = [CriterionInline]

    def get_readonly_fields(self, request, obj=None):
        # The group's maximum is balanced against the other groups on the rubric's page.
        return ["rubric", "max_points"] if obj else []

    def save_formset(self, request, form, formset, change):
        if formset.model is not Criterion:
            return super().save_formset(request, form, formset, change)
        with record_criterion_formset(request, formset):
            super().save_formset(request, form, formset, change)


@admin.register(Criterion)
class CriterionAdmin(InUseReadOnly, ScopedAdmin, admin.ModelAdmin):
    scope_field = "group__rubric__plan__issuer"
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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record_criterion_edit(request, obj, form)


# Cards, entries and transitions: read-only, with the workflow as actions (kpi/admin_cards.py).
import kpi.admin_cards  # noqa: E402, F401
