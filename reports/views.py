"""Report downloads. Each view starts with one access check (plans.access) and answers 404 to anyone outside
the scope: never data, never a hint that the thing exists. Every download is recorded in the Nhật ký, in the
one helper all of them pass through (exports written by the management commands are not: those are an
administrator's own files)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from kpi.access import get_scorecard_or_404
from kpi.months import MonthError, parse_month
from plans.access import EVERYONE, WARD_READERS, role_required, unit_in_scope
from plans.audit import Action, audit_record, file_sha256
from plans.models import OrgUnit, Plan
from reports.documents import IssuerError
from reports.exports import REGISTRY

FORMATS = {"pdf", "xlsx"}
FORMAT_NAMES = {"pdf": "PDF", "xlsx": "Excel"}


def _issuer(request, ward: OrgUnit | None) -> dict:
    """?issuer=<unit code>&number=12: the report issued in another body's name. The body must be in the
    reader's scope and in the report's ward, and have a profile; anything else is a 404, like every other
    thing outside the scope."""
    form = {"number": request.GET.get("number", "").strip()[:20]}
    code = request.GET.get("issuer", "").strip()
    if code:
        unit = OrgUnit.objects.filter(code=code).first()
        in_ward = unit is not None and ward is not None and (unit.pk == ward.pk or unit.ward_id == ward.pk)
        if not in_ward or not unit_in_scope(request.user, unit):
            raise Http404
        form["issuer"] = unit
    return form


def _download(request, identifier: str, form_data: dict, *, name: str, obj, unit: OrgUnit) -> HttpResponse:
    """Render the report, record who downloaded what (and the exact bytes' SHA-256), and send it."""
    form_data = {**form_data, **_issuer(request, unit.ward or unit)}
    try:
        filename, mimetype, data = REGISTRY[identifier]().render(form_data)
    except IssuerError as exc:  # a body of the ward without a profile: nothing to print its header from
        raise Http404 from exc
    fmt = identifier.rsplit("_", 1)[1]
    audit_record(
        action=Action.DOWNLOAD, by=request.user, obj=obj, unit=unit, summary=f"{name} {FORMAT_NAMES[fmt]}",
        file_name=filename, file_sha256=file_sha256(data), details={"report": identifier},
    )  # fmt: skip
    response = HttpResponse(data, content_type=mimetype)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Http404
    return fmt


def _ward_reader(user, ward: OrgUnit):
    # The ward's summaries are for the people who review and lead it (the views declare WARD_READERS); an
    # officer sees only their own unit, and a reader of another ward nothing of this one.
    if not unit_in_scope(user, ward):
        raise Http404


@role_required(*EVERYONE)
def scorecard_download(request, pk: int, fmt: str):
    card = get_scorecard_or_404(request.user, pk)
    return _download(
        request, f"scorecard_{_format(fmt)}", {"scorecard": card},
        name=f"Phiếu đánh giá KPI tháng {card.month:%m/%Y}", obj=card, unit=card.unit,
    )  # fmt: skip


@role_required(*WARD_READERS)
def ward_summary_download(request, code: str, month: str, fmt: str):
    ward = get_object_or_404(OrgUnit, code=code, kind=OrgUnit.Kind.WARD)
    _ward_reader(request.user, ward)
    try:
        first_day = parse_month(month)
    except MonthError as exc:
        raise Http404 from exc
    return _download(
        request, f"ward_summary_{_format(fmt)}", {"ward": ward, "month": first_day},
        name=f"Tổng hợp KPI tháng {first_day:%m/%Y} của phường", obj=ward, unit=ward,
    )  # fmt: skip


@role_required(*WARD_READERS)
def quarter_report_download(request, pk: int, year: int, quarter: int, fmt: str):
    plan = get_object_or_404(Plan.objects.select_related("issuer"), pk=pk)
    ward = plan.issuer.ward
    # The years a month may have (kpi.months): year 0 or 99999 is no quarter, and no date can be built for it.
    if ward is None or not 1 <= quarter <= 4 or not 2000 <= year <= 2100:
        raise Http404
    _ward_reader(request.user, ward)
    roman = ["I", "II", "III", "IV"][quarter - 1]
    return _download(
        request, f"quarter_report_{_format(fmt)}", {"plan": plan, "year": year, "quarter": quarter},
        name=f"Báo cáo tiến độ Quý {roman}/{year} kế hoạch {plan.display_number}", obj=plan, unit=plan.issuer,
    )  # fmt: skip
