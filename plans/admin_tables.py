"""Admin page: reference data (units, indicators, rubric) — export, template, import with a preview."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from plans.import_audit import record_table_import
from plans.models import Plan
from plans.tables import REGISTRY, export_table, import_table
from plans.uploads import UploadError, discard, store_upload, upload_name, upload_path
from plans.xlsx import ImportFileError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TableImportForm(forms.Form):
    table = forms.ChoiceField(label="Loại dữ liệu", choices=())
    plan = forms.ModelChoiceField(Plan.objects.all(), label="Kế hoạch", required=False,
                                  help_text="Bắt buộc với chỉ tiêu và bộ tiêu chí KPI.")  # fmt: skip
    file = forms.FileField(label="Tệp Excel (.xlsx)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["table"].choices = [(k, t.verbose_name) for k, t in sorted(REGISTRY.items())]

    def clean(self):
        data = super().clean()
        table = REGISTRY.get(data.get("table", ""))
        if table and table.needs_plan and not data.get("plan"):
            self.add_error("plan", f"Cần chọn kế hoạch cho {table.verbose_name.lower()}.")
        return data


def _allowed(request):
    if not request.user.is_superuser:  # reference data is for administrators
        raise PermissionDenied


def tables_view(model_admin, request):
    _allowed(request)
    context = {**model_admin.admin_site.each_context(request), "title": "Danh mục: nhập và xuất Excel"}
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request, context)
    form = TableImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        table = REGISTRY[form.cleaned_data["table"]](form.cleaned_data["plan"])
        try:
            token = store_upload(form.cleaned_data["file"])
            report = import_table(table, upload_path(token), dry_run=True)
        except (UploadError, ImportFileError) as exc:
            form.add_error("file", f"{exc} Không có gì được ghi.")
        else:
            return TemplateResponse(request, "admin/imports/table_preview.html", {
                **context, "report": report, "table": table, "token": token,
                "plan_id": form.cleaned_data["plan"].pk if form.cleaned_data["plan"] else "",
            })  # fmt: skip
    plans = Plan.objects.order_by("code")
    return TemplateResponse(
        request,
        "admin/imports/tables.html",
        {**context, "form": form, "tables": sorted(REGISTRY.items()), "plans": plans},
    )


def _confirm(request, context):
    table_class = REGISTRY.get(request.POST.get("table", ""))
    if table_class is None:
        raise Http404
    plan = Plan.objects.select_related("issuer").filter(pk=request.POST.get("plan") or None).first()
    token = request.POST.get("token", "")
    try:
        with transaction.atomic():  # the rows and their Nhật ký entry, or neither
            path = upload_path(token)
            report = import_table(table_class(plan), path)
            if not report.problems:
                record_table_import(
                    by=request.user,
                    path=path,
                    file_name=upload_name(token),
                    table_class=table_class,
                    plan=plan,
                    report=report,
                )
    except (UploadError, ImportFileError) as exc:
        messages.error(request, f"{exc} Không có gì được ghi.")
        return redirect(reverse("admin:plans_tables"))
    if report.problems:
        messages.error(request, f"Tệp có {len(report.problems)} lỗi. Không có gì được ghi.")
        return redirect(reverse("admin:plans_tables"))
    discard(token)
    messages.success(
        request,
        f"{table_class.verbose_name}: đã nhập {len(report.rows)} dòng — {report.created} mới, {report.updated} cập "
        f"nhật, {report.unchanged} không đổi. " + " ".join(report.notes),
    )
    return redirect(reverse("admin:plans_tables"))


def table_download_view(model_admin, request, identifier: str):
    _allowed(request)
    table_class = REGISTRY.get(identifier)
    if table_class is None:
        raise Http404
    template = request.GET.get("template") == "1"
    plan = None
    if table_class.needs_plan and not template:
        plan = Plan.objects.filter(pk=request.GET.get("plan") or None).first()
        if plan is None:
            raise Http404
    name = f"{'mau-' if template else ''}{identifier}{'-' + plan.code if plan else ''}.xlsx"
    response = HttpResponse(export_table(table_class(plan), template=template), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
