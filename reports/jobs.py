"""Background jobs on django-q2: putting work on the queue, and the ward bundle (every unit's scorecard PDF and
the ward summary, as one ZIP) with its progress, its file and its failure.

Jobs are idempotent: the queue may hand one out again (a retry after a failure, a worker that died), so a job
first checks whether its work is already done. A failure is re-raised, so django-q2 records it (the admin's
"Failed tasks") and hands the job out again after JOB_RETRY_SECONDS; after JOB_MAX_ATTEMPTS the user who
started it is told, in Vietnamese, and no file is left behind.
"""

from __future__ import annotations

import logging
import tempfile
import zipfile
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from reports.models import Job
from reports.notify import Kind, Message, notify

logger = logging.getLogger("reports.jobs")
State = Job.State


def enqueue(func: str, *args, name: str | None = None):
    """Put `func(*args)` on the queue. In synchronous mode (the tests, JOB_SYNC=1) django-q2 runs it here and
    re-raises its failure; that failure is already recorded by the job itself (its row, its notification), so
    the request that queued it carries on as it would with a real worker."""
    from django_q.conf import Conf
    from django_q.tasks import async_task

    try:
        return async_task(func, *args, task_name=name)
    except Exception:
        if not Conf.SYNC:
            raise
        logger.warning("Synchronous job %s failed", func, exc_info=True)
        return None


def start_ward_bundle(*, user, ward, month) -> Job:
    job = Job.objects.create(kind=Job.Kind.WARD_BUNDLE, requested_by=user, ward=ward, month=month)
    enqueue("reports.jobs.run_ward_bundle", str(job.pk), name=f"tron-bo-{ward.code}-{month:%Y-%m}-{job.pk}")
    job.refresh_from_db()
    return job


def _step(job: Job, done: int):
    # An UPDATE of two columns, not a save: the page polling the row sees each step at once.
    Job.objects.filter(pk=job.pk).update(done_steps=done)


def build_ward_bundle(job: Job, archive) -> str:
    """Write the ZIP into the open file `archive`; returns the file's name. The documents are the ward
    bundle's own (reports.bundle), rendered a few at a time across the worker processes so that the page can
    follow the progress."""
    from reports import bundle as documents_of

    documents = documents_of.bundle_documents(job.ward, job.month)
    Job.objects.filter(pk=job.pk).update(total_steps=len(documents), done_steps=0)
    workers = documents_of.default_workers()
    step = workers * 2
    # PDFs are compressed inside already: stored, not deflated again (as write_ward_bundle does).
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as bundle:
        for start in range(0, len(documents), step):
            chunk = documents[start : start + step]
            for (name, _), pdf in zip(
                chunk, documents_of.render_documents([html for _, html in chunk], workers), strict=True
            ):
                bundle.writestr(name, pdf)
            _step(job, start + len(chunk))
    return f"tron-bo-kpi-{job.month:%Y-%m}-{job.ward.code.lower()}.zip"


def run_ward_bundle(job_id: str) -> str:
    job = Job.objects.select_related("ward", "requested_by").filter(pk=job_id).first()
    if job is None or job.state in (State.DONE, State.FAILED):
        return "nothing to do"  # handed out again after it finished
    Job.objects.filter(pk=job.pk).update(state=State.RUNNING, attempts=F("attempts") + 1, error="")
    job.refresh_from_db()
    # The ZIP is built in a temporary file and stored only once complete: a failure leaves no file.
    with tempfile.TemporaryFile() as archive:
        try:
            name = build_ward_bundle(job, archive)
        except Exception as exc:
            _failed(job, exc)
            raise
        archive.seek(0)
        job.file.save(name, File(archive), save=False)
    now = timezone.now()
    job.file_name, job.state, job.finished_at = name, State.DONE, now
    job.expires_at = now + timedelta(days=settings.JOB_FILES_KEEP_DAYS)
    job.save(update_fields=["file", "file_name", "state", "finished_at", "expires_at"])
    notify(Message(
        job.requested_by, Kind.JOB_DONE, f"job:{job.pk}", timezone.localdate(),
        f"Đã xong trọn bộ phiếu KPI tháng {job.month:%m/%Y} của {job.ward.name}",
        f"Tệp ZIP được giữ đến {timezone.localtime(job.expires_at):%d/%m/%Y}.",
        reverse("job_download", args=[job.pk]), job.ward, ("unit", job.ward),
    ))  # fmt: skip
    return name


def _failed(job: Job, exc: Exception):
    logger.error("Ward bundle %s failed (attempt %s)", job.pk, job.attempts, exc_info=exc)
    from django_q.conf import Conf

    # Run synchronously (JOB_SYNC), nobody hands the job out again: its first failure is its last.
    final = job.attempts >= settings.JOB_MAX_ATTEMPTS or Conf.SYNC
    job.state = State.FAILED if final else State.QUEUED
    job.error = (
        f"Không tạo được tệp sau {job.attempts} lần thử. Lỗi: {exc}. Hãy thử lại sau, hoặc báo người quản trị."
        if final
        else f"Lần thử thứ {job.attempts} không thành công; hệ thống sẽ tự thử lại."
    )
    job.finished_at = timezone.now() if final else None
    job.save(update_fields=["state", "error", "finished_at"])
    if final:
        notify(Message(
            job.requested_by, Kind.JOB_FAILED, f"job:{job.pk}", timezone.localdate(),
            f"Không tạo được trọn bộ phiếu KPI tháng {job.month:%m/%Y} của {job.ward.name}", job.error,
            reverse("job", args=[job.pk]), job.ward, ("unit", job.ward),
        ))  # fmt: skip


def delete_expired_files(now=None) -> int:
    """The daily run removes files past their keeping time; the job row stays (its page says it expired)."""
    now = now or timezone.now()
    count = 0
    for job in Job.objects.filter(expires_at__lte=now).exclude(file=""):
        job.file.delete(save=False)
        Job.objects.filter(pk=job.pk).update(file="")
        count += 1
    return count


def visible_to(user, job: Job) -> bool:
    """The requester, or whoever reads the ward's reports (the pages' own check for the ward summary)."""
    from plans.access import WARD_READERS, has_role, unit_in_scope

    if job.requested_by_id == user.pk:
        return True
    return has_role(user, *WARD_READERS) and unit_in_scope(user, job.ward)
