"""One Nhật ký entry per confirmed import, from the admin (the user who confirmed) or a management command
(by None: "hệ thống"), with the file's name and the SHA-256 of the very bytes that were imported."""

from __future__ import annotations

from pathlib import Path

from plans.audit import Action, audit_record, file_sha256


def record_import(*, by, path: Path, file_name: str, summary: str, obj=None, unit=None, details=None):
    with Path(path).open("rb") as handle:
        digest = file_sha256(fileobj=handle)
    return audit_record(
        action=Action.IMPORT, by=by, obj=obj, unit=unit, summary=summary,
        file_name=file_name or Path(path).name, file_sha256=digest, details=details,
    )  # fmt: skip
