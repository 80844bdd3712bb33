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


def record_table_import(*, by, path: Path, file_name: str, table_class, plan, report, via: str = ""):
    """The entry for a reference table's import (units, indicators, rubric), from the admin or import_data."""
    counts = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
    return record_import(
        by=by, path=path, file_name=file_name, obj=plan, unit=plan.issuer if plan else None,
        summary=f"Nhập {table_class.verbose_name.lower()}"
        + (f" của kế hoạch {plan.display_number}" if plan else "")
        + (f" ({via})" if via else "")
        + f": {len(report.rows)} dòng ({report.created} mới, {report.updated} cập nhật, "
        f"{report.unchanged} không đổi).",
        details={"table": table_class.identifier, **counts},
    )  # fmt: skip
