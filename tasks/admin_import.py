"""Admin pages: import a plan's appendix from Excel — upload, preview, map unknown units, confirm."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from plans.models import OrgUnit, Plan
from plans.uploads import UploadError, discard, store_upload, upload_path
from plans.xlsx import ImportFileError
from tasks.plan_import import import_plan

CREATE = "__create__"


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
    form = PlanImportForm(request.POST or None, request.FILES or None)
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
            }
            return _preview(request, context, params)
    return TemplateResponse(request, "admin/imports/plan_upload.html", {**context, "form": form})


def _run(params: dict, *, dry_run: bool, unit_map=None, create_units=False):
    return import_plan(
        upload_path(params["token"]), plan_key=params["plan"], title=params["title"], issuer=params["issuer"],
        ward=params["ward"], dry_run=dry_run, unit_map=unit_map, create_units=create_units,
    )  # fmt: skip


def _preview(request, context, params, error=""):
    try:
        # Unknown units are listed for mapping: the preview runs as if they would be created.
        report = _run(params, dry_run=True, create_units=True)
    except (ImportFileError, UploadError) as exc:
        return TemplateResponse(
            request, "admin/imports/plan_upload.html",
            {**context, "form": PlanImportForm(initial=params), "file_error": str(exc)},
        )  # fmt: skip
    plan = Plan.objects.find(params["plan"])
    ward = plan.issuer.ward if plan and not params["ward"] else None
    candidates = OrgUnit.objects.filter(ward__code=params["ward"] or (ward.code if ward else "")).order_by(
        "path"
    )
    return TemplateResponse(
        request,
        "admin/imports/plan_preview.html",
        {
            **context, "report": report, "params": params, "error": error, "candidates": candidates,
            "unknown": sorted(report.unknown_units.items()), "create": CREATE, "rows": report.rows[:300],
        },
    )  # fmt: skip


def _confirm(request, context):
    params = {k: request.POST.get(k, "") for k in ("token", "plan", "title", "issuer", "ward")}
    try:
        upload_path(params["token"])  # still there, and a token of ours
    except UploadError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("admin:plans_plan_import"))
    unit_map, create = {}, False
    names = request.POST.getlist("unknown_name")
    for index, name in enumerate(names):
        choice = request.POST.get(f"map_{index}", "")
        if choice == CREATE:
            create = True
        elif choice:
            unit_map[name] = OrgUnit.objects.get(pk=choice)
        else:
            return _preview(request, context, params, error=f"Chưa chọn cách xử lý tên đơn vị “{name}”.")
    report = _run(params, dry_run=False, unit_map=unit_map, create_units=create)
    if report.problems:
        return _preview(request, context, params, error="Tệp có lỗi; không có gì được ghi.")
    discard(params["token"])
    plan = Plan.objects.find(params["plan"])
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
