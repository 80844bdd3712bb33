"""The Nhật ký of a past-months KPI import (admin or import_assessments), and who the cards' transitions
name: the user who confirmed the import in the admin, or nobody ("hệ thống") for the command."""

from __future__ import annotations

from django.db.models import Q

from kpi.models import Scorecard, Transition
from plans.import_audit import record_import


def imported_cards(report):
    keys = {(row.unit.pk, row.month, row.criterion.group.rubric_id) for row in report.rows}
    condition = Q(pk__in=[])
    for unit_id, month, rubric_id in keys:
        condition |= Q(unit_id=unit_id, month=month, rubric_id=rubric_id)
    return Scorecard.objects.filter(condition)


def record_assessment_import(*, by, path, file_name: str, report, unit=None, last_transition: int = 0):
    """Call in the import's transaction, after a successful write. `last_transition` is the highest
    Transition id before the import: kpi.imports writes its "→ Đã thẩm định" transitions with no user, and
    an import confirmed by a person must name that person."""
    cards = list(imported_cards(report).values_list("pk", flat=True))
    if by is not None:
        Transition.objects.filter(pk__gt=last_transition, scorecard__in=cards, by__isnull=True).update(by=by)
    if unit is None:
        wards = {row.unit.ward_id for row in report.rows}
        if len(wards) == 1 and None not in wards:
            unit = report.rows[0].unit.ward
    return record_import(
        by=by, path=path, file_name=file_name, unit=unit,
        summary=f"Nhập điểm KPI các tháng trước: {len(report.rows)} dòng, {report.created} phiếu mới, "
        f"{report.updated} phiếu cập nhật (Đã thẩm định, chờ phê duyệt).",
        details={"cards": cards, "created": report.created, "updated": report.updated},
    )  # fmt: skip


def last_transition_id() -> int:
    return Transition.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
