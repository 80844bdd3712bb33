"""Writing and reading the Nhật ký (plans.AuditEntry): one call per recorded action, from any app.

Kept in the lowest app so that imports (plans, tasks), scorecards (kpi) and downloads (reports) all record the
same way; the object is referred to by content type and id, so nothing here knows the upper apps' models.
"""

from __future__ import annotations

import hashlib

from django.contrib.contenttypes.models import ContentType

from plans.models import AuditEntry, OrgUnit

Action = AuditEntry.Action


def file_sha256(data: bytes | None = None, *, fileobj=None) -> str:
    """The SHA-256 of an uploaded or read file, reading a file object in chunks and rewinding it."""
    digest = hashlib.sha256()
    if data is not None:
        digest.update(data)
    else:
        fileobj.seek(0)
        for chunk in iter(lambda: fileobj.read(1 << 20), b""):
            digest.update(chunk)
        fileobj.seek(0)
    return digest.hexdigest()


def audit_record(
    *,
    action: str,
    by=None,
    obj=None,
    unit: OrgUnit | None = None,
    summary: str = "",
    file_name: str = "",
    file_sha256: str = "",
    details: dict | None = None,
) -> AuditEntry:
    """Record one action. `by` None is the system (a command run by an administrator); `obj` is what it was
    done to, `unit` where it belongs in the org tree (the admin list is scoped by it)."""
    entry = AuditEntry(
        action=action,
        by=by if by is not None and getattr(by, "is_authenticated", False) else None,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=obj.pk if obj is not None else None,
        object_repr=str(obj)[:255] if obj is not None else "",
        unit=unit,
        summary=summary,
        file_name=(file_name or "")[:255],
        file_sha256=file_sha256,
        details=details or {},
    )
    entry.full_clean(exclude=["by", "content_type", "unit"])
    entry.save()
    return entry


def audit_entries_for(obj):
    """Everything recorded against one object, oldest first."""
    return (
        AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
        .select_related("by")
        .order_by("at", "id")
    )
