"""Writes to tasks: progress reports and completion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from plans.access import Role, has_role, unit_in_scope
from plans.audit import audit_record
from plans.fields import clean_text, refuse_nul
from plans.models import AuditEntry, OrgUnit
from tasks.deadlines import Kind, due_dates
from tasks.models import Evidence, Task, TaskProgress


class TaskError(Exception):
    """A refused write; the message says why, in Vietnamese."""


# What the apps above tasks (kpi) make of an evidence file, registered from their AppConfig.ready() so that
# tasks never imports them (plans ← tasks ← kpi ← reports):
# - guards: evidence -> a Vietnamese reason it cannot be removed now (attached to a sent card…), or None;
# - uses: evidence -> lines saying where it is used, shown before the user confirms the removal;
# - removed: (evidence, by) -> None, run in the removal's transaction (detach from drafts, record the Nhật ký).
EVIDENCE_REMOVAL_GUARDS: list[Callable[[Evidence], str | None]] = []
EVIDENCE_USES: list[Callable[[Evidence], list[str]]] = []
EVIDENCE_REMOVED_HOOKS: list[Callable[[Evidence, object], None]] = []


def task_role_of(task: Task, unit: OrgUnit) -> str | None:
    """ "lead" or "coordinating" when the unit itself is named on the task, else None. A department does not
    lead what its parent leads: Phòng VH-XH coordinates a task that UBND phường leads."""
    if any(u.pk == unit.pk for u in task.lead_units.all()):
        return "lead"
    if any(u.pk == unit.pk for u in task.coordinating_units.all()):
        return "coordinating"
    return None


def current_period_due(task: Task, on: date) -> date | None:
    """For a recurring task, the due date of the period a report made on `on` belongs to."""
    schedule = task.parsed_schedule()
    if schedule.first_due and not task.progress.filter(period_due=schedule.first_due, percent=100).exists():
        return schedule.first_due  # the first milestone is still open: reports go to it
    if schedule.kind != Kind.RECURRING:
        return None
    upcoming = due_dates(schedule, on, date(on.year + 2, 12, 31))
    return upcoming[0] if upcoming else None


@transaction.atomic
def task_record_progress(
    *, task: Task, by, unit: OrgUnit, reported_on: date, percent: int, note: str = "",
    period_due: date | None = None,
) -> TaskProgress:  # fmt: skip
    """Record progress (0–99) or completion (100). Units named on the task may report progress; only a lead
    unit completes it. `by` None is the system (imports, commands)."""
    if by is not None:
        if not unit_in_scope(by, unit) or not has_role(by, Role.OFFICER, Role.REVIEWER, Role.ADMIN):
            raise TaskError("Bạn không có quyền báo cáo thay đơn vị này.")
        role = task_role_of(task, unit)
        if role is None and not has_role(by, Role.REVIEWER, Role.ADMIN):
            raise TaskError(f"{unit.name} không chủ trì hay phối hợp nhiệm vụ này.")
        if percent == 100 and role != "lead" and not has_role(by, Role.REVIEWER, Role.ADMIN):
            raise TaskError(
                "Chỉ đơn vị chủ trì mới báo cáo hoàn thành nhiệm vụ; đơn vị phối hợp cập nhật tiến độ."
            )
    progress = TaskProgress(
        task=task,
        unit=unit,
        reported_on=reported_on,
        percent=percent,
        note=note.strip(),
        period_due=period_due or current_period_due(task, reported_on),
        created_by=by,
    )
    try:
        progress.full_clean()
    except ValidationError as exc:
        raise TaskError("; ".join(" ".join(v) for v in exc.message_dict.values())) from exc
    if not 0 <= percent <= 100:
        raise TaskError("Tiến độ phải từ 0 đến 100%.")
    progress.save()
    return progress


@transaction.atomic
def evidence_upload(*, unit: OrgUnit, by, files: list, task: Task | None = None, doc_number: str = "",
                    doc_date: date | None = None, summary: str = "") -> list:  # fmt: skip
    """Store several files at once — all of them or none: every file is checked (by content) first."""
    import secrets

    from django.utils import timezone

    from tasks.uploads import EvidenceRejected, check_upload

    _check_evidence_author(by, unit, task)
    _check_details(doc_number=doc_number, summary=summary)
    checked, problems = [], []
    for upload in files:
        try:
            checked.append((upload, *check_upload(upload)))
        except EvidenceRejected as exc:
            problems.append(str(exc))
    if problems:
        raise TaskError("Không lưu tệp nào. " + " ".join(problems))
    stored = []
    for upload, kind, digest in checked:
        evidence = Evidence(
            unit=unit, task=task, token=secrets.token_hex(16), original_name=upload.name[:255],
            content_type=kind.content_type, extension=kind.extension, size=upload.size, sha256=digest,
            doc_number=clean_text(doc_number.strip()), doc_date=doc_date, summary=summary.strip(), uploaded_by=by,
            uploaded_at=timezone.now(),
        )  # fmt: skip
        evidence.file.save(f"{evidence.token}.{kind.extension}", upload, save=False)
        evidence.save()
        _record_added(evidence, by)
        stored.append(evidence)
    return stored


def _record_added(evidence: Evidence, by):
    where = f" cho nhiệm vụ {evidence.task.code}" if evidence.task_id else ""
    audit_record(
        action=AuditEntry.Action.EVIDENCE_ADD, by=by, obj=evidence, unit=evidence.unit,
        summary=f"Thêm minh chứng “{evidence.label}”{where}.", file_name=evidence.original_name,
        file_sha256=evidence.sha256, details={"url": evidence.url} if evidence.url else None,
    )  # fmt: skip


@transaction.atomic
def evidence_add_link(*, unit: OrgUnit, by, url: str, task: Task | None = None, doc_number: str = "",
                      doc_date: date | None = None, summary: str = ""):  # fmt: skip
    import secrets

    from django.core.validators import URLValidator
    from django.utils import timezone

    _check_evidence_author(by, unit, task)
    _check_details(doc_number=doc_number, summary=summary)
    limit = Evidence._meta.get_field("url").max_length
    if len(url) > limit:
        raise TaskError(
            f"Đường dẫn dài {len(url)} ký tự, quá {limit} ký tự: hãy dùng địa chỉ ngắn của trang (bỏ phần sau "
            "dấu ? nếu có) hoặc tải tệp lên."
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise TaskError("Đường dẫn không hợp lệ (cần bắt đầu bằng http:// hoặc https://).") from exc
    evidence = Evidence.objects.create(
        unit=unit, task=task, token=secrets.token_hex(16), url=url, doc_number=clean_text(doc_number.strip()),
        doc_date=doc_date, summary=summary.strip(), uploaded_by=by, uploaded_at=timezone.now(),
    )  # fmt: skip
    _record_added(evidence, by)
    return evidence


def _check_details(**values):
    """The document details typed with the evidence, checked by the model's own rules (a NUL byte, a limit)
    before any file is stored."""
    problems = []
    for name, value in values.items():
        field = Evidence._meta.get_field(name)
        try:
            refuse_nul(value)  # doc_number is a CharField: its validators say nothing of NUL
            field.run_validators(value)
        except ValidationError as exc:
            problems.append(f"{field.verbose_name}: {' '.join(exc.messages)}")
    if problems:
        raise TaskError(" ".join(problems))


def evidence_uses(evidence: Evidence) -> list[str]:
    """Where the evidence is used (the scorecards it is attached to), as the confirmation page lists it."""
    return [line for describe in EVIDENCE_USES for line in describe(evidence)]


def evidence_removal_refusal(evidence: Evidence, by) -> str | None:
    """Why `by` cannot remove the evidence now, in Vietnamese; None when the removal would go through."""
    try:
        _check_evidence_author(by, evidence.unit, None)
    except TaskError as exc:
        return str(exc)
    for guard in EVIDENCE_REMOVAL_GUARDS:
        refusal = guard(evidence)
        if refusal:
            return refusal
    return None


@transaction.atomic
def evidence_delete(*, evidence, by):
    """Hide, never erase: the file stays on disk and the record keeps who deleted it and when. Refused while
    the upper apps' guards say it is in use (a card sent with it); the database refuses it too."""
    from django.utils import timezone

    # The row, locked: what the guards read stays true until the soft delete is written.
    evidence = (
        Evidence.objects.select_for_update(of=("self",)).select_related("unit", "task").get(pk=evidence.pk)
    )
    if evidence.deleted_at is not None:
        return evidence
    refusal = evidence_removal_refusal(evidence, by)
    if refusal:
        raise TaskError(refusal)
    evidence.deleted_at, evidence.deleted_by = timezone.now(), by
    try:
        with transaction.atomic():
            evidence.save(update_fields=["deleted_at", "deleted_by"])
    except IntegrityError as exc:
        # A card was sent with it between the guards and the write (kpi 0007's triggers caught it).
        raise TaskError(
            evidence_removal_refusal(evidence, by)
            or "Minh chứng vừa được gắn với phiếu KPI đã nộp: không xóa được. Vui lòng tải lại trang."
        ) from exc
    audit_record(
        action=AuditEntry.Action.EVIDENCE_REMOVE, by=by, obj=evidence, unit=evidence.unit,
        summary=f"Xóa minh chứng “{evidence.label}” (vẫn được lưu giữ để đối chiếu).",
        file_name=evidence.original_name, file_sha256=evidence.sha256,
    )  # fmt: skip
    for hook in EVIDENCE_REMOVED_HOOKS:
        hook(evidence, by)
    return evidence


def _check_evidence_author(by, unit: OrgUnit, task: Task | None):
    if by is None or not unit_in_scope(by, unit):
        raise TaskError("Bạn không có quyền thêm hay xóa minh chứng của đơn vị này.")
    if task is not None and task_role_of(task, unit) is None and not has_role(by, Role.REVIEWER, Role.ADMIN):
        raise TaskError(f"{unit.name} không chủ trì hay phối hợp nhiệm vụ này.")
