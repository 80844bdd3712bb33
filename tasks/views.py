import logging

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from plans.access import EVERYONE, role_required
from plans.audit import audit_record
from plans.models import AuditEntry
from tasks.access import acting_unit, get_evidence_or_404, get_task_or_404
from tasks.forms import CompletionForm, EvidenceForm, ProgressForm
from tasks.services import (
    TaskError,
    evidence_add_link,
    evidence_delete,
    evidence_removal_refusal,
    evidence_upload,
    evidence_uses,
    task_record_progress,
)
from tasks.status import plan_start, status_at
from tasks.uploads import download_name

log = logging.getLogger(__name__)

INLINE_TYPES = {"application/pdf", "image/jpeg", "image/png"}


# Served evidence gets this policy instead of the site's (config/csp.py): a PDF shown in the
# browser is a document of this origin, and its JavaScript (or an HTML file's, had one slipped through) must
# not run with the officer's session. `sandbox` gives it an opaque origin with scripts, forms and pop-ups off;
# nothing more is added, so that the browser's own PDF viewer still opens it.
EVIDENCE_POLICY = "sandbox"


@role_required(*EVERYONE)
def task_detail(request, pk: int):
    task = get_task_or_404(request.user, pk)
    unit, role = acting_unit(request.user, task)
    progress_form = ProgressForm(prefix="p")
    completion_form = CompletionForm(prefix="c")
    evidence_form = EvidenceForm(prefix="e")
    if request.method == "POST" and unit is not None and "evidence" in request.POST:
        evidence_form = EvidenceForm(request.POST, request.FILES, prefix="e")
        if evidence_form.is_valid():
            data = evidence_form.cleaned_data
            meta = {
                "doc_number": data["doc_number"],
                "doc_date": data["doc_date"],
                "summary": data["summary"],
            }
            try:
                stored = evidence_upload(unit=unit, by=request.user, files=data["files"], task=task, **meta)
                if data["url"]:
                    stored.append(
                        evidence_add_link(unit=unit, by=request.user, url=data["url"], task=task, **meta)
                    )
            except TaskError as exc:
                evidence_form.add_error(None, str(exc))
                messages.error(request, str(exc))
            else:
                messages.success(request, f"Đã thêm {len(stored)} minh chứng.")
                return redirect("task", pk=task.pk)
    elif request.method == "POST" and unit is not None:
        completing = "complete" in request.POST
        form = (
            CompletionForm(request.POST, prefix="c") if completing else ProgressForm(request.POST, prefix="p")
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                task_record_progress(
                    task=task, by=request.user, unit=unit,
                    reported_on=data["completed_on"] if completing else data["reported_on"],
                    percent=100 if completing else data["percent"],
                    note=data["deliverable"] if completing else data["note"],
                )  # fmt: skip
            except TaskError as exc:
                # Shown at the top too: a coordinating unit has no completion form to show it beside.
                form.add_error(None, str(exc))
                messages.error(request, str(exc))
            else:
                messages.success(request, "Đã báo cáo hoàn thành." if completing else "Đã cập nhật tiến độ.")
                return redirect("task", pk=task.pk)
        if completing:
            completion_form = form
        else:
            progress_form = form
    schedule = task.parsed_schedule()
    progress = task.progress.select_related("unit", "created_by").order_by("-reported_on", "-id")
    return TemplateResponse(
        request,
        "tasks/task_detail.html",
        {
            "task": task, "schedule": schedule, "unit": unit, "role": role,
            "status": status_at(schedule, list(progress), timezone.localdate(), since=plan_start(task.plan)),
            "progress": progress, "progress_form": progress_form, "completion_form": completion_form,
            "evidence_form": evidence_form, "evidence": task.evidence.filter(deleted_at__isnull=True).select_related("unit"),
            "lead_units": task.lead_units.all(), "coordinating_units": task.coordinating_units.all(),
        },
    )  # fmt: skip


@role_required(*EVERYONE)
def evidence_download(request, pk: int):
    evidence = get_evidence_or_404(request.user, pk)
    if not evidence.file:
        raise Http404
    # ?xem=1 shows a PDF or a photo in the browser (the reviewer reads evidence beside the scores); only types
    # that were verified by their content at upload and that browsers render safely are ever shown inline.
    inline = request.GET.get("xem") == "1" and evidence.content_type in INLINE_TYPES
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        # The row outlived its file (a database restored without the media folder, a disk cleaned by hand):
        # say so, and tell the administrator, instead of a server error.
        log.error("Evidence %s: file %s is missing from the media store", evidence.pk, evidence.file.name)
        return TemplateResponse(request, "tasks/evidence_missing.html", {"evidence": evidence}, status=410)
    # Saved under the extension of what the content is, whatever the uploader's name said (tasks.uploads).
    name = download_name(evidence.original_name, evidence.extension)
    # Who read which evidence, in the Nhật ký (and so in the security log).
    audit_record(
        action=AuditEntry.Action.EVIDENCE_DOWNLOAD, by=request.user, obj=evidence, unit=evidence.unit,
        summary=f"{'Xem' if inline else 'Tải'} minh chứng “{evidence.label}”.", file_name=evidence.original_name,
        file_sha256=evidence.sha256,
    )  # fmt: skip
    response = FileResponse(
        handle, as_attachment=not inline, filename=name, content_type=evidence.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    # A PDF shown inline runs in the browser as a page of this site: sandboxed, its scripts cannot use the
    # session (django-csp leaves a policy the view set alone).
    response["Content-Security-Policy"] = EVIDENCE_POLICY
    return response


@role_required(*EVERYONE)
@require_http_methods(["GET", "POST"])
def evidence_remove(request, pk: int):
    """GET: what would be removed, and the cards it is attached to (or why it cannot be); POST: remove it."""
    evidence = get_evidence_or_404(request.user, pk)
    back = redirect("task", pk=evidence.task_id) if evidence.task_id else redirect("home")
    if request.method == "POST":
        try:
            evidence_delete(evidence=evidence, by=request.user)
        except TaskError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Đã xóa minh chứng (vẫn được lưu giữ để đối chiếu).")
        return back
    return TemplateResponse(
        request,
        "tasks/evidence_remove.html",
        {
            "evidence": evidence,
            "uses": evidence_uses(evidence),
            "refusal": evidence_removal_refusal(evidence, request.user),
            "back": back.url,
        },
    )
