"""Admin pages: import past months' scores from Excel — upload, preview (the dry-run report), confirm."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from kpi.import_audit import last_transition_id, record_assessment_import
from kpi.imports import import_assessments
from kpi.models import Scorecard
from plans.access import scope_root
from plans.uploads import UploadError, discard, store_upload, upload_name, upload_path
from plans.xlsx import ImportFileError


class AssessmentImportForm(forms.Form):
    file = forms.FileField(label="Tệp Excel (.xlsx)")


def assessment_import_view(model_admin, request):
    if not request.user.has_perm("kpi.change_scorecard"):
        raise PermissionDenied
    # Units are looked up only in the user's part of the tree, as every admin choice is.
    within = None if request.user.is_superuser else scope_root(request.user)
    if within is None and not request.user.is_superuser:
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request), "title": "Nhập điểm KPI các tháng trước", "opts": Scorecard._meta,
    }  # fmt: skip
    if request.method == "POST" and "confirm" in request.POST:
        token = request.POST.get("token", "")
        try:
            with transaction.atomic():  # the cards and their Nhật ký entry, or neither
                path, name, last = upload_path(token), upload_name(token), last_transition_id()
                report = import_assessments(path, within=within, source=name or "tệp tải lên")
                if not report.errors:
                    record_assessment_import(
                        by=request.user, path=path, file_name=name, report=report, unit=within,
                        last_transition=last,
                    )  # fmt: skip
        except (UploadError, ImportFileError) as exc:
            messages.error(request, f"{exc} Không có gì được ghi.")
            return redirect(reverse("admin:kpi_scorecard_import"))
        if report.errors:
            return _render_preview(request, context, token, report)
        discard(token)
        messages.success(
            request,
            f"Đã nhập {len(report.rows)} dòng: {report.created} phiếu mới, {report.updated} phiếu cập nhật "
            "(Đã thẩm định, chờ phê duyệt).",
        )
        return redirect(reverse("admin:kpi_scorecard_changelist"))

    form = AssessmentImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            token = store_upload(form.cleaned_data["file"])
            report = import_assessments(upload_path(token), dry_run=True, within=within)
        except (UploadError, ImportFileError) as exc:
            form.add_error("file", f"{exc} Không có gì được ghi.")
        else:
            return _render_preview(request, context, token, report)
    return TemplateResponse(request, "admin/imports/assessment_upload.html", {**context, "form": form})


def _render_preview(request, context, token, report):
    return TemplateResponse(
        request,
        "admin/imports/assessment_preview.html",
        {**context, "token": token, "report": report, "rows": report.rows[:500]},
    )
