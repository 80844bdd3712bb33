"""Import months scored before the product existed, from the Excel sheets wards keep.

One row per unit × month × criterion: Tháng | Đơn vị | Mã tiêu chí | Kết quả | Tỷ lệ đạt | Điểm thẩm định | Ghi chú |
Minh chứng. Every row is checked first and every problem is reported with its row and column; only a file
without a single problem is written, in one transaction. Imported cards arrive reviewed, ready for approval.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction

from kpi.models import Criterion, Rubric, Scorecard, ScoreEntry, Transition
from kpi.months import MonthError, parse_month
from kpi.scoring import Result
from kpi.services import _store_score, scorecard_get_or_create
from plans.formatting import vn_decimal
from plans.models import OrgUnit
from plans.selectors import find_units
from plans.text import normalize_name
from plans.xlsx import ImportFileError, Problem, bad_cells, cell_text, formula_like, open_workbook

COLUMNS = {
    "month": "Tháng",
    "unit": "Đơn vị",
    "criterion": "Mã tiêu chí",
    "result": "Kết quả",
    "ratio": "Tỷ lệ đạt",
    "points": "Điểm thẩm định",
    "note": "Ghi chú",
    "evidence": "Minh chứng",
}
REQUIRED = ("month", "unit", "criterion", "result")
# A past month arrives assessed: "Chưa chấm" is no result for it.
RESULTS = {normalize_name(label): value for value, label in Result.choices if value != Result.NOT_ASSESSED}
SENT = {
    Scorecard.State.SUBMITTED: "đã được nộp",
    Scorecard.State.REVIEWED: "đã được thẩm định",
    Scorecard.State.APPROVED: "đã được phê duyệt",
}
# "Không áp dụng" needs a reason (scoreentry_not_applicable_has_reason): the file's note, or these.
UNMENTIONED = "Không có trong bảng điểm nhập từ tệp {source}."
NOT_APPLICABLE = "Không áp dụng (bảng điểm nhập từ tệp {source})."


@dataclass
class Row:
    number: int
    month: date
    unit: OrgUnit
    criterion: Criterion
    result: str
    ratio: Decimal | None
    points: Decimal | None
    note: str
    evidence: str


@dataclass
class ImportReport:
    errors: list[Problem] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    written: bool = False


def read_sheet(path: Path) -> tuple[str, list[tuple[int, dict]]]:
    """(sheet name, [(row number, {column key: value})]) from the first sheet with the expected header."""
    workbook = open_workbook(path)
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header_at, columns = None, {}
            for number, values in enumerate(rows, start=1):
                labels = {normalize_name(str(v)): i for i, v in enumerate(values) if v not in (None, "")}
                if (
                    normalize_name(COLUMNS["criterion"]) in labels
                    and normalize_name(COLUMNS["month"]) in labels
                ):
                    header_at = number
                    columns = {
                        k: labels[normalize_name(t)]
                        for k, t in COLUMNS.items()
                        if normalize_name(t) in labels
                    }
                    break
                if number > 20:
                    break
            if header_at is None:
                continue
            missing = [COLUMNS[k] for k in REQUIRED if k not in columns]
            if missing:
                raise ImportFileError(f"Trang “{sheet.title}” thiếu cột bắt buộc: {', '.join(missing)}.")
            data = []
            for number, values in enumerate(rows, start=header_at + 1):
                cells = {k: (values[i] if i < len(values) else None) for k, i in columns.items()}
                if all(v in (None, "") for v in cells.values()):
                    continue
                data.append((number, cells))
            if not data:
                raise ImportFileError(f"Trang “{sheet.title}” không có dòng dữ liệu nào dưới dòng tiêu đề.")
            return sheet.title, data
    finally:
        workbook.close()
    raise ImportFileError(
        "Không tìm thấy dòng tiêu đề có các cột " + ", ".join(COLUMNS[k] for k in REQUIRED) + " trong tệp."
    )


_text = cell_text


def _month(value) -> date:
    if isinstance(value, datetime | date):
        return date(value.year, value.month, 1)
    return parse_month(_text(value))


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    text = _text(value).replace(",", ".")
    percent = text.endswith("%")
    try:
        number = Decimal(text.rstrip("%").strip())
    except InvalidOperation as exc:
        raise ValueError(f"“{_text(value)}” không phải là số.") from exc
    # "NaN", "Infinity" and "1e9999" parse as Decimals but are no score: refused here, not at the database.
    if not number.is_finite() or abs(number) >= 10**9:
        raise ValueError(f"“{_text(value)}” không phải là số dùng được (NaN, vô cực hoặc quá lớn).")
    return number / 100 if percent else number


def result_value(cells: dict) -> str | None:
    return RESULTS.get(normalize_name(_text(cells["result"])))


def validate(
    path: Path, *, rubric: Rubric | None = None, within: OrgUnit | None = None, progress=None
) -> ImportReport:
    """Check every row; write nothing. `progress(n)` is called every 500 rows."""
    report = ImportReport()
    sheet, data = read_sheet(path)
    unit_cache: dict[str, OrgUnit | str] = {}
    rubric_of_unit: dict[int, Rubric | str] = {}
    criteria_of: dict[int, dict[str, Criterion]] = {}
    seen: set[tuple] = set()

    def fail(number, key, message):
        report.errors.append(Problem(sheet, number, COLUMNS[key], message))

    for index, (number, cells) in enumerate(data, start=1):
        if progress and index % 500 == 0:
            progress(index)
        row_errors = len(report.errors)
        for key, value in cells.items():
            if formula_like(value):
                fail(number, key, f"ô bắt đầu bằng “{value.strip()[0]}” (giống công thức) — không nhận.")
        for key, message in bad_cells(cells):
            fail(number, key, message)
        if len(report.errors) > row_errors:
            continue
        try:
            month = _month(cells["month"])
        except MonthError as exc:
            fail(number, "month", str(exc))
            month = None
        unit_name = _text(cells["unit"])
        if unit_name not in unit_cache:
            units = find_units(unit_name, within=within) if unit_name else []
            if not units:
                unit_cache[unit_name] = (
                    f"không tìm thấy đơn vị “{unit_name}”." if unit_name else "thiếu tên đơn vị."
                )
            elif len(units) > 1:
                unit_cache[unit_name] = (
                    f"“{unit_name}” chỉ nhiều đơn vị ({'; '.join(u.name for u in units[:3])}…): ghi rõ hơn."
                )
            else:
                unit_cache[unit_name] = units[0]
        unit = unit_cache[unit_name]
        if isinstance(unit, str):
            fail(number, "unit", unit)
            unit = None
        card_rubric = None
        if unit is not None:
            if unit.pk not in rubric_of_unit:
                rubric_of_unit[unit.pk] = rubric or _rubric_for(unit)
            card_rubric = rubric_of_unit[unit.pk]
            if isinstance(card_rubric, str):
                fail(number, "unit", card_rubric)
                card_rubric = None
        criterion = None
        code = _text(cells["criterion"])
        if card_rubric is not None:
            if card_rubric.pk not in criteria_of:
                criteria_of[card_rubric.pk] = _criteria(card_rubric)
            criterion = criteria_of[card_rubric.pk].get(code)
            if criterion is None:
                fail(number, "criterion", f"bộ tiêu chí không có mã “{code}”.")
            elif not criterion.applies_to_kind(unit.kind) and result_value(cells) != Result.NOT_APPLICABLE:
                fail(
                    number, "criterion",
                    f"tiêu chí {code} không áp dụng cho {unit.get_kind_display().lower()} theo bộ tiêu chí.",
                )  # fmt: skip
        result = result_value(cells)
        if result is None:
            labels = ", ".join(label for value, label in Result.choices if value != Result.NOT_ASSESSED)
            fail(
                number,
                "result",
                f"kết quả “{_text(cells['result'])}” không hợp lệ; dùng một trong: {labels}.",
            )
        ratio = points = None
        try:
            ratio = _decimal(cells.get("ratio"))
            if ratio is not None and not (0 <= ratio <= 1):
                fail(
                    number, "ratio", f"tỷ lệ đạt {_text(cells['ratio'])} phải từ 0 đến 1 (hoặc ghi dạng 80%)."
                )
        except ValueError as exc:
            fail(number, "ratio", str(exc))
        if result in (Result.PARTIAL, Result.LATE_PARTIAL) and ratio is None:
            fail(number, "ratio", "kết quả “một phần” cần tỷ lệ đạt.")
        try:
            points = _decimal(cells.get("points"))
        except ValueError as exc:
            fail(number, "points", str(exc))
        note = _text(cells.get("note"))
        if points is not None:
            if criterion is not None and not (0 <= points <= criterion.points):
                fail(
                    number, "points",
                    f"điểm {vn_decimal(points)} vượt quá khoảng 0–{vn_decimal(criterion.points)} của tiêu chí {code}.",
                )  # fmt: skip
            if not note:
                fail(number, "note", "điểm thẩm định nhập tay cần ghi lý do ở cột Ghi chú.")
        if month and unit and criterion:
            if (unit.pk, month, code) in seen:
                fail(
                    number, "criterion", f"tiêu chí {code} của đơn vị này trong tháng này đã có ở dòng trên."
                )
            seen.add((unit.pk, month, code))
        if len(report.errors) == row_errors:
            report.rows.append(
                Row(number, month, unit, criterion, result, ratio, points, note, _text(cells.get("evidence")))
            )

    # A month already sent belongs to the unit and its reviewer, not to an import: only a month without a card,
    # or with a draft made on the same rubric version, is written. One query for all the cards the file touches.
    cards = {
        (card.unit_id, card.plan_id, card.month): card
        for card in Scorecard.objects.filter(
            unit__in={r.unit.pk for r in report.rows}, month__in={r.month for r in report.rows}
        ).select_related("rubric")
    }
    for row in list(report.rows):
        card = cards.get((row.unit.pk, row.criterion.group.rubric.plan_id, row.month))
        if card is None:
            continue
        if card.state != Scorecard.State.DRAFT:
            fail(
                row.number, "month",
                f"phiếu KPI tháng {row.month:%m/%Y} của {row.unit.name} {SENT[card.state]}: không nhập đè (chỉ nhập "
                "được vào tháng chưa có phiếu hoặc phiếu còn nháp).",
            )  # fmt: skip
            report.rows.remove(row)
        elif card.rubric_id != row.criterion.group.rubric_id:
            fail(
                row.number, "month",
                f"phiếu KPI tháng {row.month:%m/%Y} của {row.unit.name} đang chấm theo {card.rubric}, không phải "
                f"{row.criterion.group.rubric}: không nhập vào được.",
            )  # fmt: skip
            report.rows.remove(row)
    report.errors.sort(key=lambda e: e.row)
    return report


def _criteria(rubric: Rubric) -> dict[str, Criterion]:
    return {c.code: c for c in Criterion.objects.filter(group__rubric=rubric).select_related("group__rubric")}


def _rubric_for(unit: OrgUnit) -> Rubric | str:
    rubrics = Rubric.objects.filter(units=unit).order_by("plan_id", "-version")
    latest = {}
    for rubric in rubrics:
        latest.setdefault(rubric.plan_id, rubric)
    if not latest:
        return f"{unit.name} không thuộc bộ tiêu chí KPI nào."
    if len(latest) > 1:
        return f"{unit.name} thuộc nhiều bộ tiêu chí; hãy chọn kế hoạch (--plan)."
    return next(iter(latest.values()))


@transaction.atomic
def import_assessments(
    path: Path, *, dry_run: bool = False, rubric: Rubric | None = None, within=None, source="", progress=None
):
    report = validate(path, rubric=rubric, within=within, progress=progress)
    if report.errors:
        return report
    source = source or path.name
    if dry_run:
        keys = {(r.unit.pk, r.criterion.group.rubric.plan_id, r.month) for r in report.rows}
        existing = set(
            Scorecard.objects.filter(
                unit__in={k[0] for k in keys}, month__in={k[2] for k in keys}
            ).values_list("unit_id", "plan_id", "month")
        )
        report.updated = len(keys & existing)
        report.created = len(keys) - report.updated
        return report
    by_card: dict[tuple, list[Row]] = defaultdict(list)
    for row in report.rows:
        by_card[(row.unit.pk, row.month, row.criterion.group.rubric_id)].append(row)
    for (_, month, _), rows in by_card.items():
        unit, card_rubric = rows[0].unit, rows[0].criterion.group.rubric
        existed = Scorecard.objects.filter(unit=unit, plan_id=card_rubric.plan_id, month=month).exists()
        card = scorecard_get_or_create(unit=unit, rubric=card_rubric, month=month)
        report.updated += existed
        report.created += not existed
        mentioned = {row.criterion.pk: row for row in rows}
        for entry in card.entries.filter(criterion__isnull=False):
            row = mentioned.get(entry.criterion_id)
            if row is None and entry.na_by_rubric:
                continue  # the rubric's own "Không áp dụng" and its reason stand
            # Criteria the rows do not mention did not apply to the unit that month.
            entry.result = row.result if row else Result.NOT_APPLICABLE
            entry.ratio = row.ratio if row and row.result in (Result.PARTIAL, Result.LATE_PARTIAL) else None
            entry.reviewed_points = row.points if row else None
            entry.review_reason = row.note if row and row.points is not None else ""
            entry.comment = row.note if row else ""
            entry.evidence_note = row.evidence if row else ""
            if entry.result == Result.NOT_APPLICABLE and not entry.na_by_rubric:
                entry.na_reason = (row.note if row else "") or (
                    NOT_APPLICABLE if row else UNMENTIONED
                ).format(source=source)
                # The sheet is the past month's assessment itself: its "Không áp dụng" was already decided.
                entry.na_accepted = True
            elif not entry.na_by_rubric:
                entry.na_reason, entry.na_accepted = "", False
            entry.full_clean(exclude=["scorecard", "criterion", "group"])
            entry.save()
        # validate() let only drafts through, whose ad-hoc tasks the sheet replaces.
        ScoreEntry.objects.filter(scorecard=card, criterion__isnull=True).delete()
        if card.state != Scorecard.State.REVIEWED:
            Transition.objects.create(
                scorecard=card, from_state=card.state, to_state=Scorecard.State.REVIEWED, by=None,
                reason=f"Nhập điểm các tháng trước từ tệp {source}",
            )  # fmt: skip
            card.state = Scorecard.State.REVIEWED
        card.version += 1
        _store_score(card)
        card.save()
    report.written = True
    return report
