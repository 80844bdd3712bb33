"""Every report as an exporter class in a registry (pretix-style): identifier, verbose_name, and
render(form_data) -> (filename, mimetype, bytes). Commands and download views both go through here."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kpi.scoring import Rank, round2
from plans.formatting import vn_date
from plans.xlsx import write_text
from reports.documents import (
    Issuer,
    QuarterReport,
    ScorecardDocument,
    WardSummary,
    issuer_of,
    quarter_report,
    scorecard_document,
    ward_summary,
)
from reports.pdf import render_pdf
from reports.rounding import printed_points

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POINTS = "#,##0.00"  # shown with the reader's separators: 87,50 in a Vietnamese Excel
# Beyond this many units, a workbook is streamed (write-only): a whole city month stays in bounded memory.
STREAM_FROM_UNITS = 300

REGISTRY: dict[str, type[Exporter]] = {}


def register(cls):
    REGISTRY[cls.identifier] = cls
    return cls


class Exporter:
    identifier: str
    verbose_name: str
    extension: str
    mimetype: str

    def render(self, form_data: dict) -> tuple[str, str, bytes]:
        raise NotImplementedError


def issuer_for(form_data: dict, default) -> Issuer | None:
    """The issuer asked for in form_data ("issuer": an OrgUnit with a profile; "number": the number the
    document was registered under), or None for the report's own default. `default` builds that default when
    only a number is given."""
    unit, number = form_data.get("issuer"), form_data.get("number", "")
    if unit is None and not number:
        return None
    return issuer_of(unit, number, default=default() if unit is None else None)


def pdf_context(doc, **extra) -> dict:
    """What every document template reads: the document, its issuer, and the place-and-date line."""
    return {"doc": doc, "issuer": doc.issuer, "dated": doc.dated, "dated_line": doc.issuer.dated_line(doc.dated),
            **extra}  # fmt: skip


def _slug(text: str) -> str:
    from plans.text import strip_diacritics

    return "".join(c if c.isalnum() else "-" for c in strip_diacritics(text).lower()).strip("-")


# --- spreadsheet helpers --------------------------------------------------------------------------------------

THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(bold=True)
GREY = PatternFill("solid", fgColor="EEEEEE")


# Characters the XML of a workbook cannot hold (openpyxl refuses them). Users paste them from Word: a vertical
# tab is Word's line break inside a paragraph, a form feed its page break; both become a line break, and the
# rest (\x01 and the like, invisible anyway) are dropped, so that no typed text can break a workbook.
LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c]")
ILLEGAL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
LINE_POINTS = 15  # one line of 11 pt text, in points: a row's height per wrapped line
DATE = "dd/mm/yyyy"


def clean_text(text: str) -> str:
    return ILLEGAL.sub("", LINE_BREAKS.sub("\n", text))


def wrapped_lines(text: str, width: float) -> int:
    """How many lines a wrapped cell takes in a column `width` characters wide. Excel and LibreOffice never
    size rows from wrapped text on their own when the file is written by a program, so the height is set
    from this estimate (a character of Vietnamese text is about one unit of column width, a little less)."""
    per_line = max(1, int(width * 1.1) - 1)
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


class Sheet:
    """A sheet with a merged title block, a frozen bold header row repeated on every printed page, A4
    landscape fitted to the page width, an autofilter on the table, and row heights set from wrapped text."""

    def __init__(
        self, sheet, title_lines: list[str], headers: list[tuple[str, int]], *, stream: bool = False
    ):
        self.sheet, self.stream, self.width = sheet, stream, len(headers)
        self.widths = [width for _, width in headers]
        for col, width in enumerate(self.widths, start=1):
            sheet.column_dimensions[get_column_letter(col)].width = width
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4  # a streamed sheet lacks the constant
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        self.row = 0
        for index, line in enumerate(title_lines):
            self.append([line], font=Font(bold=index == 0, size=13 if index == 0 else 11), height=False)
            if not stream:
                sheet.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=self.width)
                sheet.cell(self.row, 1).alignment = Alignment(horizontal="center", wrap_text=True)
        self.append([])
        self.append([label for label, _ in headers], font=BOLD, border=True)
        self.header_row = self.row
        sheet.freeze_panes = f"A{self.row + 1}"
        sheet.print_title_rows = f"{self.row}:{self.row}"

    def append(self, values, *, font=None, border=False, fill=None, number_format=POINTS, height=True):
        self.row += 1
        values = [clean_text(v) if isinstance(v, str) else v for v in values]
        lines = max(
            (wrapped_lines(v, self.widths[i]) for i, v in enumerate(values) if isinstance(v, str) and i < self.width),
            default=1,
        )  # fmt: skip
        if height and lines > 1:
            # Set before the row is written: a streamed sheet writes each row as it is appended.
            self.sheet.row_dimensions[self.row].height = lines * LINE_POINTS + 2
        if self.stream:
            from openpyxl.cell import WriteOnlyCell

            cells = []
            for value in values:
                cell = WriteOnlyCell(self.sheet, value=value)
                _style(cell, value, font, border, fill, number_format)
                cells.append(cell)
            self.sheet.append(cells)
            return
        for col, value in enumerate(values, start=1):
            cell = self.sheet.cell(self.row, col)
            write_text(cell, value) if isinstance(value, str) else setattr(cell, "value", value)
            _style(cell, value, font, border, fill, number_format)

    def end_table(self):
        """The table ends here (totals and notes may follow): the autofilter covers the header and its rows."""
        last = get_column_letter(self.width)
        self.sheet.auto_filter.ref = f"A{self.header_row}:{last}{max(self.row, self.header_row)}"


def _style(cell, value, font, border, fill, number_format):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        cell.data_type = "s"  # text stays text, never a formula
    if font:
        cell.font = font
    if border:
        cell.border = BOX
    if fill:
        cell.fill = fill
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        cell.number_format = "0"  # STT, counts, days: 1, not 1,00
    elif isinstance(value, Decimal):
        cell.number_format = number_format
    elif isinstance(value, date):
        cell.number_format = DATE  # a real date, shown dd/mm/yyyy whatever the reader's locale
    cell.alignment = Alignment(wrap_text=isinstance(value, str), vertical="top")


def _n(value):
    """Official scores as values (numbers, Decimal), rounded as the engine rounds them."""
    return None if value is None else round2(value)


def _save(book) -> bytes:
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- scorecard ---------------------------------------------------------------------------------------------


SCORECARD_COLUMNS = [
    ("STT", 8), ("Nhóm nhiệm vụ", 22), ("Chỉ tiêu/KPI đánh giá", 46), ("Tần suất", 10),
    ("Minh chứng đã nộp", 44), ("Ghi chú minh chứng", 28), ("Kết quả", 16), ("Lý do không áp dụng", 30),
    ("Lý do không áp dụng của", 14), ("Thẩm định chấp nhận lý do", 12), ("Điểm tối đa", 10),
    ("Điểm tự chấm", 10), ("Điểm đạt", 10), ("Lý do thẩm định", 30), ("Nhận xét", 30),
]  # fmt: skip


def _criterion_row(line) -> list:
    name = line.name + (f"\n(Mức đạt: {line.achievement})" if line.achievement else "")
    evidence = "\n".join(e.text for e in line.evidence)
    if line.not_applicable:
        na = [line.na_reason, "Bộ tiêu chí" if line.na_by_rubric else "Đơn vị",
              "" if line.na_by_rubric else ("Có" if line.na_accepted else "Chưa")]  # fmt: skip
    else:
        na = ["", "", ""]
    review = (line.review_reason or "(không ghi lý do)") if line.review_differs else ""
    return [line.code, "", name, line.frequency, evidence, line.evidence_note, line.result_label, *na,
            _n(line.max_points), _n(line.self_points), _n(line.points), review, line.comment]  # fmt: skip


def scorecard_sheet(book, doc: ScorecardDocument, *, title: str | None = None, stream=False):
    sheet = book.create_sheet(title[:31] if title else "Phiếu KPI")
    table = Sheet(
        sheet,
        [f"PHIẾU ĐÁNH GIÁ KPI THÁNG {doc.month:%m/%Y}", doc.unit.name,
         f"Trạng thái: {doc.card.get_state_display()}" + ("  —  DỰ THẢO" if doc.is_draft else "")],
        SCORECARD_COLUMNS,
        stream=stream,
    )  # fmt: skip
    blank = [""] * 10
    for group in doc.groups:
        table.append([group.code, group.name, *blank[:8], _n(group.max_points), _n(group.self_points),
                      _n(group.points), "", ""], font=BOLD, border=True, fill=GREY)  # fmt: skip
        for line in group.lines:
            table.append(_criterion_row(line), border=True)
    table.end_table()
    # The groups above add up to the points achieved here (reports.rounding); the total is their share of
    # the points that applied.
    table.append(["", "CỘNG", *blank[:8], _n(doc.card.rubric.total), _n(doc.self_total), _n(doc.achieved)],
                 font=BOLD, border=True)  # fmt: skip
    table.append(["", "Điểm các tiêu chí áp dụng", *blank[:8], _n(doc.applicable)], border=True)
    table.append(["", "TỔNG ĐIỂM (quy về thang 100)", *blank[:10], _n(doc.total)], font=BOLD, border=True)
    table.append(["", "XẾP LOẠI", doc.rank_label], font=BOLD, border=True)
    # The date in a cell of its own, as a date: a clerk sorts and filters on it.
    if doc.reviewer:
        table.append(["", "Người thẩm định", doc.reviewer, "", _day(doc.card.reviewed_at)])
    if doc.approver:
        table.append(["", "Người phê duyệt", doc.approver, "", _day(doc.card.approved_at)])
    return sheet


def _day(moment):
    from django.utils import timezone

    return timezone.localtime(moment).date() if moment else None


@register
class ScorecardPdf(Exporter):
    identifier = "scorecard_pdf"
    verbose_name = "Phiếu đánh giá KPI tháng (PDF)"
    extension, mimetype = "pdf", PDF

    def render(self, form_data):
        card = form_data["scorecard"]
        doc = scorecard_document(card, issuer_for(form_data, lambda: Issuer.for_ward(card.unit.ward)))
        data = render_pdf("reports/scorecard.html", pdf_context(doc, draft=doc.is_draft))
        return f"phieu-kpi-{doc.month:%Y-%m}-{_slug(doc.unit.code)}.pdf", PDF, data


@register
class ScorecardXlsx(Exporter):
    identifier = "scorecard_xlsx"
    verbose_name = "Phiếu đánh giá KPI tháng (Excel)"
    extension, mimetype = "xlsx", XLSX

    def render(self, form_data):
        doc = scorecard_document(form_data["scorecard"])
        book = Workbook()
        book.remove(book.active)
        scorecard_sheet(book, doc)
        return f"phieu-kpi-{doc.month:%Y-%m}-{_slug(doc.unit.code)}.xlsx", XLSX, _save(book)


# --- ward summary --------------------------------------------------------------------------------------------


@register
class WardSummaryPdf(Exporter):
    identifier = "ward_summary_pdf"
    verbose_name = "Tổng hợp KPI tháng của phường (PDF)"
    extension, mimetype = "pdf", PDF

    def render(self, form_data):
        ward = form_data["ward"]
        doc: WardSummary = ward_summary(
            ward, form_data["month"], issuer_for(form_data, lambda: Issuer.for_ward(ward))
        )
        data = render_pdf("reports/ward_summary.html", pdf_context(doc))
        return f"tong-hop-kpi-{doc.month:%Y-%m}-{_slug(doc.ward.code)}.pdf", PDF, data


@register
class WardSummaryXlsx(Exporter):
    identifier = "ward_summary_xlsx"
    verbose_name = "Tổng hợp KPI tháng của phường (Excel: tổng hợp và từng đơn vị)"
    extension, mimetype = "xlsx", XLSX

    def render(self, form_data):
        doc: WardSummary = ward_summary(form_data["ward"], form_data["month"])
        lines = [line for _, block, _, _ in doc.blocks for line in block]
        stream = len(lines) > STREAM_FROM_UNITS
        book = Workbook(write_only=stream)
        if not stream:
            book.remove(book.active)
        for rubric, block, rates, groups in doc.blocks:
            sheet = book.create_sheet(
                "Tổng hợp"[:31] if len(doc.blocks) == 1 else f"Tổng hợp {rubric.plan_id}"
            )
            headers = [("STT", 6), ("Hạng", 6), ("Đơn vị", 40), ("Trạng thái", 14)] + [(f"Nhóm {g}", 9) for g in groups] + [
                ("Cộng điểm đạt", 10), ("Điểm áp dụng", 10), ("Tổng điểm", 10), ("Xếp loại", 22),
                ("So với tháng trước", 11), ("Nộp đúng hạn", 11)]  # fmt: skip
            table = Sheet(sheet, [f"TỔNG HỢP KẾT QUẢ KPI THÁNG {doc.month:%m/%Y}", doc.ward.name,
                                  f"Bộ tiêu chí KPI của Kế hoạch số {rubric.plan.display_number} (phiên bản "
                                  f"{rubric.version}); đã nộp {rates.submitted}/"
                                  f"{rates.expected}, đúng hạn {rates.on_time}/{rates.timed}"], headers, stream=stream)  # fmt: skip
            for index, line in enumerate(block, start=1):
                on_time = {True: "Đúng hạn", False: "Muộn", None: ""}[line.on_time]
                table.append([index, line.place, line.unit.name, line.state, *[_n(line.groups.get(g)) for g in groups],
                              _n(line.achieved), _n(line.applicable), _n(line.total), line.rank_label,
                              _n(line.change), on_time], border=True)  # fmt: skip
            table.end_table()
            table.append([])
            for label, count in doc.rank_counts.items():
                table.append(["", "", label, count])
        if not stream:
            # One sheet per unit with a card: its scorecard.
            cards = {card.unit_id: card for card in _cards(doc)}
            for line in lines:
                card = cards.get(line.unit.pk)
                if card is not None:
                    scorecard_sheet(book, scorecard_document(card), title=f"{line.unit.code}")
        return f"tong-hop-kpi-{doc.month:%Y-%m}-{_slug(doc.ward.code)}.xlsx", XLSX, _save(book)


def _cards(doc: WardSummary):
    from kpi.models import Scorecard

    plans = [rubric.plan_id for rubric, *_ in doc.blocks]
    return Scorecard.objects.filter(month=doc.month, rubric__plan_id__in=plans).select_related(
        "unit", "rubric"
    )


# --- quarter report ------------------------------------------------------------------------------------------


@register
class QuarterReportPdf(Exporter):
    identifier = "quarter_report_pdf"
    verbose_name = "Báo cáo tiến độ theo quý (PDF)"
    extension, mimetype = "pdf", PDF

    def render(self, form_data):
        plan = form_data["plan"]
        issuer = issuer_for(form_data, lambda: Issuer.for_body(plan.issuer))
        doc: QuarterReport = quarter_report(plan, form_data["year"], form_data["quarter"], issuer=issuer)
        data = render_pdf("reports/quarter.html", pdf_context(doc))
        return f"bao-cao-tien-do-{doc.year}-q{doc.quarter}-{_slug(doc.plan.code)}.pdf", PDF, data


@register
class QuarterReportXlsx(Exporter):
    identifier = "quarter_report_xlsx"
    verbose_name = "Báo cáo tiến độ theo quý (Excel)"
    extension, mimetype = "xlsx", XLSX

    def render(self, form_data):
        doc: QuarterReport = quarter_report(form_data["plan"], form_data["year"], form_data["quarter"])
        book = Workbook()
        book.remove(book.active)
        title = [f"BÁO CÁO TIẾN ĐỘ THỰC HIỆN KẾ HOẠCH {doc.plan.display_number} — {doc.label.upper()}",
                 doc.plan.title, f"Tính đến ngày {vn_date(doc.at)}"]  # fmt: skip
        statuses = list(doc.status_counts)
        counts = Sheet(book.create_sheet("Tổng hợp"), title, [("Phạm vi", 44)] + [(s, 14) for s in statuses])
        counts.append(["Toàn kế hoạch", *doc.status_counts.values()], border=True, font=BOLD)
        for name, values in doc.by_group:
            counts.append([name, *values.values()], border=True)
        for name, values in doc.by_lead:
            counts.append([name, *values.values()], border=True)
        counts.end_table()
        tasks = Sheet(book.create_sheet("Nhiệm vụ"), title, [("STT", 7), ("Nhóm", 24), ("Nội dung", 50),
                      ("Chủ trì", 28), ("Thời gian", 24), ("Hạn", 11), ("Trạng thái", 22), ("Số ngày chậm", 9),
                      ("Tiến độ (%)", 9), ("Sản phẩm", 28), ("Đã báo cáo", 30)])  # fmt: skip
        for t in doc.tasks:
            # A spreadsheet is filtered, not read: every unit by name, the group on every row.
            tasks.append([t.code, t.group, t.title, "; ".join(t.leads), t.deadline, t.due, t.status_label,
                          t.days_late or None, t.percent, t.deliverable, t.delivered], border=True)  # fmt: skip
        tasks.end_table()
        overdue = Sheet(book.create_sheet("Quá hạn"), title, [("STT", 7), ("Nội dung", 50), ("Chủ trì", 30),
                        ("Hạn", 11), ("Số ngày chậm", 10), ("Tiến độ (%)", 10)])  # fmt: skip
        for t in doc.overdue:
            overdue.append([t.code, t.title, "; ".join(t.leads), t.due, t.days_late, t.percent], border=True)
        overdue.end_table()
        kpi = Sheet(book.create_sheet("KPI ba tháng"), title, [("Đơn vị", 40)] + [
            (label, 12) for m in doc.kpi_months for label in (f"Tháng {m:%m/%Y}", "Xếp loại")])  # fmt: skip
        for unit, lines in doc.kpi:
            values = [
                v for line in lines for v in ((_n(line.total), line.rank_label) if line else (None, ""))
            ]
            kpi.append([unit.name, *values], border=True)
        kpi.end_table()
        indicators = Sheet(book.create_sheet("Chỉ tiêu"), title, [("Mã", 10), ("Chỉ tiêu", 60), ("Mục tiêu", 14),
                           ("Số liệu mới nhất", 12), ("Tính đến", 11), ("Đánh giá", 18)])  # fmt: skip
        for i in doc.indicators:
            verdict = {True: "Đạt", False: "Chưa đạt", None: "Chưa có số liệu"}[i.met]
            indicators.append([i.code, i.text, i.target, i.value, i.measured_on, verdict], border=True)
        indicators.end_table()
        return f"bao-cao-tien-do-{doc.year}-q{doc.quarter}-{_slug(doc.plan.code)}.xlsx", XLSX, _save(book)


@register
class CityMonthXlsx(Exporter):
    """Every unit of every ward of a city for one month, streamed ward by ward: bounded memory at city scale."""

    identifier = "city_month_xlsx"
    verbose_name = "KPI tháng của toàn thành phố (Excel)"
    extension, mimetype = "xlsx", XLSX

    def render(self, form_data):
        from kpi.selectors import latest_rubrics, month_summary
        from plans.models import OrgUnit

        city, month = form_data["city"], form_data["month"]
        wards = OrgUnit.objects.filter(kind=OrgUnit.Kind.WARD, path__startswith=city.path + "/").order_by(
            "path"
        )
        book = Workbook(write_only=True)
        for rubric in latest_rubrics():
            groups = list(rubric.groups.order_by("order").values_list("code", flat=True))
            headers = [("Phường", 24), ("Đơn vị", 40), ("Trạng thái", 14)] + [(f"Nhóm {g}", 9) for g in groups] + [
                ("Tổng điểm", 10), ("Xếp loại", 22), ("Nộp đúng hạn", 11)]  # fmt: skip
            sheet = book.create_sheet(f"KH {rubric.plan.display_number}"[:31].replace("/", "-"))
            table = Sheet(sheet, [f"KẾT QUẢ KPI THÁNG {month:%m/%Y} — {city.name.upper()}",
                                  f"Bộ tiêu chí KPI của Kế hoạch số {rubric.plan.display_number}"], headers, stream=True)  # fmt: skip
            for ward in wards:
                units = rubric.units.filter(ward=ward).order_by("path")
                for row in month_summary(rubric, month, units):
                    card, score, total = row.card, row.score, row.official_total
                    printed = printed_points(score).groups if score else {}
                    rank = (
                        # As the ward summary: the official rank where the engine gives one, else why none.
                        (
                            Rank(row.official_rank).label
                            if score.rank and row.official_rank
                            else score.rank_label
                        )
                        if score
                        else ""
                    )
                    on_time = {True: "Đúng hạn", False: "Muộn", None: ""}[
                        card.submitted_on_time if card else None
                    ]
                    table.append([ward.name, row.unit.name, card.get_state_display() if card else "Chưa có phiếu",
                                  *[_n(printed.get(g)) for g in groups], _n(total), rank, on_time])  # fmt: skip
            table.end_table()
        return f"kpi-{month:%Y-%m}-{_slug(city.code)}.xlsx", XLSX, _save(book)
