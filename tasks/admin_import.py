"""Admin pages: import a plan's appendix from Excel — upload, preview, map unknown units, confirm."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from plans.access import unit_in_scope, units_in_scope
from plans.import_audit import record_import
from plans.models import OrgUnit, Plan
from plans.text import normalize_name
from plans.uploads import UploadError, discard, store_upload, upload_name, upload_path
from plans.xlsx import ImportFileError
from tasks.plan_import import import_plan

CREATE = "__create__"
MAX_SHOWN = 200  # problems listed on the page; the rest are counted


class PlanImportForm(forms.Form):
    file = forms.FileField(label="Tệp Excel (.xlsx)")
    plan = forms.CharField(
        label="Số, ký hiệu hoặc mã kế hoạch", help_text="Ví dụ 29-KH/ĐU; kế hoạch chưa có số: mã."
    )
    title = forms.CharField(label="Trích yếu", required=False, help_text="Bắt buộc khi tạo kế hoạch mới.")
    issuer = forms.ModelChoiceField(
        OrgUnit.objects.order_by("path"), label="Đơn vị ban hành", required=False,
        help_text="Bắt buộc khi tạo kế hoạch mới.",
    )  # fmt: skip
    ward = forms.ModelChoiceField(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.WARD), label="Phường", required=False,
        help_text="Để trống: phường của đơn vị ban hành.",
    )  # fmt: skip
    allow_no_lead = forms.BooleanField(
        label="Chấp nhận nhiệm vụ chưa có đơn vị chủ trì", required=False,
        help_text="Mặc định, nhiệm vụ có ô “Chủ trì” trống hoặc không nhận ra được đơn vị là lỗi. Đánh dấu để vẫn "
        "nhập; tên chưa nhận ra được giữ lại ở nhiệm vụ để xử lý sau.",
    )  # fmt: skip

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The same choices as everywhere in the admin: units in the user's part of the tree.
        scope = units_in_scope(user)
        self.fields["issuer"].queryset = scope.order_by("path")
        self.fields["ward"].queryset = scope.filter(kind=OrgUnit.Kind.WARD)


def scope_error(user, params: dict) -> str:
    """Why this user may not import into this plan, or "": the plan, its issuer and the ward whose units the
    file names must all lie in the user's scope (the hidden fields of the preview are checked again)."""
    if user.is_superuser:
        return ""
    plan = Plan.objects.select_related("issuer__ward").find(params["plan"])
    refused = f"Không nhập được vào kế hoạch “{params['plan']}”: kế hoạch hoặc đơn vị ngoài phạm vi của bạn."
    if plan is not None and not unit_in_scope(user, plan.issuer):
        return refused
    issuer = (
        OrgUnit.objects.select_related("ward").filter(code=params["issuer"]).first()
        if params["issuer"]
        else None
    )
    if plan is None and issuer is None:
        # Not the file's own "cơ quan ban hành" line: it could name a unit anywhere.
        return "Cần chọn đơn vị ban hành để tạo kế hoạch mới."
    if params["issuer"] and (issuer is None or not unit_in_scope(user, issuer)):
        return refused
    ward = (
        OrgUnit.objects.filter(code=params["ward"]).first()
        if params["ward"]
        else (issuer or plan.issuer).ward
    )
    if ward is None or not unit_in_scope(user, ward):
        return refused
    return ""


def plan_import_view(model_admin, request):
    if not (request.user.has_perm("plans.add_plan") and request.user.has_perm("tasks.add_task")):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Nhập kế hoạch từ Excel",
        "opts": Plan._meta,
    }
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request, context)
    form = PlanImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            token = store_upload(form.cleaned_data["file"])
        except UploadError as exc:
            form.add_error("file", str(exc))
        else:
            params = {
                "token": token,
                "plan": form.cleaned_data["plan"].strip(),
                "title": form.cleaned_data["title"].strip(),
                "issuer": form.cleaned_data["issuer"].code if form.cleaned_data["issuer"] else "",
                "ward": form.cleaned_data["ward"].code if form.cleaned_data["ward"] else "",
                "allow_no_lead": "1" if form.cleaned_data["allow_no_lead"] else "",
            }
            error = scope_error(request.user, params)
            if not error:
                return _preview(request, context, params)
            discard(token)
            form.add_error(None, error)
    return TemplateResponse(request, "admin/imports/plan_upload.html", {**context, "form": form})


def _run(params: dict, *, dry_run: bool, unit_map=None, create_units=False, similar_ok=False):
    return import_plan(
        upload_path(params["token"]), plan_key=params["plan"], title=params["title"], issuer=params["issuer"],
        ward=params["ward"], dry_run=dry_run, unit_map=unit_map, create_units=create_units,
        allow_no_lead=params.get("allow_no_lead") == "1", similar_ok=similar_ok,
    )  # fmt: skip


def _preview(request, context, params, error=""):
    try:
        # Unknown units are listed for mapping: the preview runs as if they would be created, and a name close
        # to an existing unit is offered as that unit (preselected) rather than refused.
        report = _run(params, dry_run=True, create_units=True, similar_ok=True)
    except (ImportFileError, UploadError) as exc:
        return TemplateResponse(
            request, "admin/imports/plan_upload.html",
            {**context, "form": PlanImportForm(initial=params, user=request.user), "file_error": str(exc)},
        )  # fmt: skip
    plan = Plan.objects.find(params["plan"])
    ward = plan.issuer.ward if plan and not params["ward"] else None
    candidates = (
        units_in_scope(request.user)
        .filter(ward__code=params["ward"] or (ward.code if ward else ""))
        .order_by("path")
    )
    return TemplateResponse(
        request,
        "admin/imports/plan_preview.html",
        {
            **context, "report": report, "params": params, "error": error, "candidates": candidates,
            "unknown": [(name, numbers, report.similar_units.get(name))
                        for name, numbers in sorted(report.unknown_units.items())],
            "create": CREATE, "rows": report.rows[:300], "problems": report.problems[:MAX_SHOWN],
            "more_problems": max(0, len(report.problems) - MAX_SHOWN),
        },
    )  # fmt: skip


def _confirm(request, context):
    params = {
        k: request.POST.get(k, "") for k in ("token", "plan", "title", "issuer", "ward", "allow_no_lead")
    }
    try:
        upload_path(params["token"])  # still there, and a token of ours
    except UploadError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("admin:plans_plan_import"))
    error = scope_error(request.user, params)
    if error:
        messages.error(request, error)
        return redirect(reverse("admin:plans_plan_import"))
    unit_map, create, chosen_new = {}, False, set()
    names = request.POST.getlist("unknown_name")
    for index, name in enumerate(names):
        choice = request.POST.get(f"map_{index}", "")
        if choice == CREATE:
            create = True
            chosen_new.add(
                normalize_name(name)
            )  # created even if close to an existing unit: the user said so
        elif choice:
            unit = units_in_scope(request.user).filter(pk=choice).first() if choice.isdigit() else None
            if unit is None:
                return _preview(request, context, params, error=f"Đơn vị chọn cho “{name}” không hợp lệ.")
            unit_map[name] = unit
        else:
            return _preview(request, context, params, error=f"Chưa chọn cách xử lý tên đơn vị “{name}”.")
    path = upload_path(params["token"])
    with transaction.atomic():  # the plan and its Nhật ký entry, or neither
        report = _run(params, dry_run=False, unit_map=unit_map, create_units=create, similar_ok=chosen_new)
        if report.problems:
            return _preview(request, context, params, error="Tệp có lỗi; không có gì được ghi.")
        plan = Plan.objects.select_related("issuer").find(params["plan"])
        record_import(
            by=request.user, path=path, file_name=upload_name(params["token"]), obj=plan, unit=plan.issuer,
            summary=f"Nhập phụ lục nhiệm vụ của kế hoạch {plan.display_number}: {len(report.rows)} nhiệm vụ "
            f"({report.created} mới, {report.updated} cập nhật, {report.unchanged} không đổi).",
            details={"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
        )  # fmt: skip
    discard(params["token"])
    messages.success(
        request,
        f"Đã nhập {len(report.rows)} nhiệm vụ: {report.created} mới, {report.updated} cập nhật, "
        f"{report.unchanged} không đổi.",
    )
    return redirect(reverse("admin:plans_plan_change", args=[plan.pk]))


def plan_template_view(model_admin, request):
    from django.http import HttpResponse

    from tasks.plan_export import appendix_template

    response = HttpResponse(
        appendix_template(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="mau-phu-luc-nhiem-vu.xlsx"'
    return response
