"""Pages of notifications and background jobs: the list behind the bell, opening one (which marks it read),
marking all read, the e-mail preference; "Nhắc nộp" and the ward bundle from the review queue; a job's
progress (HTML, or JSON for the page's poll) and its file."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kpi.months import MonthError, parse_month
from kpi.selectors import review_queue
from plans.access import EVERYONE, REVIEWERS, WARD_READERS, role_required, unit_in_scope
from plans.audit import Action, audit_record, file_sha256
from plans.models import OrgUnit
from reports.jobs import start_ward_bundle, visible_to
from reports.models import EmailPreference, Job, Notification
from reports.notify import Kind, Message, mark_all_read, mark_read, notify, officers_of


@role_required(*EVERYONE)
def notification_list(request):
    items = Notification.objects.filter(user=request.user).order_by("-created_at", "-id")
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return TemplateResponse(request, "notifications/list.html", {"page": page})


@role_required(*EVERYONE)
def notification_open(request, pk: int):
    """Follow a notification to its task or card, marking it read; someone else's is a 404."""
    item = get_object_or_404(Notification, pk=pk, user=request.user)
    mark_read(item)
    if item.link and url_has_allowed_host_and_scheme(item.link, allowed_hosts=None):
        return redirect(item.link)
    return redirect("notifications")


@role_required(*EVERYONE)
@require_POST
def notification_read_all(request):
    count = mark_all_read(request.user)
    messages.success(
        request, f"Đã đánh dấu {count} thông báo là đã đọc." if count else "Không còn thông báo chưa đọc."
    )
    return redirect("notifications")


@role_required(*EVERYONE)
def notification_preferences(request):
    pref = EmailPreference.objects.filter(user=request.user).first() or EmailPreference(user=request.user)
    if request.method == "POST":
        mode = request.POST.get("mode", "")
        if mode not in EmailPreference.Mode.values:
            messages.error(request, "Chọn một cách nhận thư.")
        else:
            pref.mode = mode
            pref.returned_at_once = mode != EmailPreference.Mode.OFF and "returned_at_once" in request.POST
            pref.save()
            messages.success(request, "Đã lưu cách nhận thư.")
            return redirect("notification_preferences")
    return TemplateResponse(
        request,
        "notifications/preferences.html",
        {"pref": pref, "modes": EmailPreference.Mode.choices, "has_email": bool(request.user.email)},
    )


def _back(request, month) -> str:
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("review_queue") + f"?month={month:%Y-%m}"
    return back


def _month(request):
    try:
        return parse_month(request.POST.get("month", ""))
    except MonthError as exc:
        raise Http404 from exc


@role_required(*REVIEWERS)
@require_POST
def submit_nudge(request):
    """ "Nhắc nộp": the officers of each unit without a sent card are reminded, at most once a day per unit."""
    month = _month(request)
    rows = [r for r in review_queue(request.user, month, today=timezone.localdate())
            if r.card is None or r.card.state == r.card.State.DRAFT]  # fmt: skip
    if "all" not in request.POST:
        chosen = set(request.POST.getlist("unit"))
        rows = [r for r in rows if str(r.unit.pk) in chosen]
    if not rows:
        messages.error(request, "Không có đơn vị nào chưa nộp phiếu trong những đơn vị đã chọn.")
        return redirect(_back(request, month))
    today = timezone.localdate()
    reminded, again, nobody = [], [], []
    by = request.user.get_full_name() or request.user.username
    with transaction.atomic():
        for row in rows:
            subject = f"nudge:{row.rubric.plan_id}:{row.unit.pk}:{month.isoformat()}"
            if Notification.objects.filter(kind=Kind.SUBMIT_NUDGE, subject=subject, day=today).exists():
                again.append(row.unit.name)
                continue
            users = officers_of(row.unit)
            told = [
                notify(
                    Message(
                        user,
                        Kind.SUBMIT_NUDGE,
                        subject,
                        today,
                        f"Nhắc nộp phiếu KPI tháng {month:%m/%Y} (hạn {row.deadline:%d/%m/%Y})",
                        f"{by} nhắc {row.unit.name} nộp phiếu.",
                        reverse("self_assessment", args=[f"{month:%Y-%m}"]),
                        row.unit,
                        ("unit", row.unit),
                    )
                )
                for user in users
            ]
            (reminded if any(told) else nobody).append(row.unit.name)
    if reminded:
        messages.success(request, f"Đã nhắc {len(reminded)} đơn vị: {', '.join(reminded)}.")
    if again:
        messages.info(request, f"Đã nhắc hôm nay, không nhắc lại: {', '.join(again)}.")
    if nobody:
        messages.error(request, f"Không có cán bộ nào có tài khoản để nhắc: {', '.join(nobody)}.")
    return redirect(_back(request, month))


@role_required(*WARD_READERS)
@require_POST
def bundle_start(request):
    """Start the ward bundle; the queue page shows its progress (?job=…)."""
    month = _month(request)
    ward = get_object_or_404(OrgUnit, code=request.POST.get("ward", ""), kind=OrgUnit.Kind.WARD)
    if not unit_in_scope(request.user, ward):
        raise Http404
    job = start_ward_bundle(user=request.user, ward=ward, month=month)
    if job.state == Job.State.FAILED:
        messages.error(request, job.error)
    else:
        messages.success(
            request, "Đã bắt đầu tạo trọn bộ phiếu (ZIP). Khi xong sẽ có thông báo kèm đường tải về."
        )
    return redirect(f"{reverse('review_queue')}?month={month:%Y-%m}&job={job.pk}")


def _job_or_404(request, pk) -> Job:
    job = Job.objects.select_related("ward").filter(pk=pk).first()
    if job is None or not visible_to(request.user, job):
        raise Http404
    return job


def job_state(job: Job) -> dict:
    return {
        "state": job.state, "label": job.get_state_display(), "percent": job.percent,
        "done": job.done_steps, "total": job.total_steps, "error": job.error,
        "download": reverse("job_download", args=[job.pk]) if job.state == Job.State.DONE and job.file else "",
    }  # fmt: skip


@role_required(*EVERYONE)
def job_page(request, pk):
    """A job's progress: a page that works without JavaScript (reload it), or JSON for the page's poll."""
    job = _job_or_404(request, pk)
    if request.GET.get("format") == "json":
        response = JsonResponse(job_state(job))
        response["Cache-Control"] = "no-store"
        return response
    return TemplateResponse(
        request, "notifications/job.html", {"job": job, "expired": job.state == "done" and not job.file}
    )


@role_required(*EVERYONE)
def job_download(request, pk):
    job = _job_or_404(request, pk)
    if job.state != Job.State.DONE or not job.file:
        raise Http404  # not ready, failed, or past its keeping time (the job's page says which)
    audit_record(
        action=Action.DOWNLOAD, by=request.user, obj=job.ward, unit=job.ward,
        summary=f"Trọn bộ phiếu KPI tháng {job.month:%m/%Y} (ZIP)", file_name=job.file_name,
        file_sha256=file_sha256(fileobj=job.file.open("rb")), details={"report": "ward_bundle", "job": str(job.pk)},
    )  # fmt: skip
    response = FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
