"""Reports read back as a reader would: PDF text and fonts, Excel values and formats, against the engine."""

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO, StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from kpi.models import Rubric, Scorecard
from kpi.scoring import Rank, Result
from kpi.seed import load_seed_data
from kpi.selectors import scorecard_score
from kpi.services import (
    EntryInput,
    scorecard_approve,
    scorecard_get_or_create,
    scorecard_review,
    scorecard_submit,
    scorecard_update_entries,
)
from plans.formatting import vn_decimal
from plans.models import IndicatorValue, OrgUnit, Plan, UserProfile
from reports.exports import REGISTRY
from tests.factories import UserFactory, UserProfileFactory
from tests.kpi_helpers import accept_not_applicable, settle

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH, FEBRUARY = date(2026, 3, 1), date(2026, 2, 1)


def fill(unit_code, month, results, *, state):
    rubric = Rubric.objects.get(plan__number="29-KH/ĐU")
    card = scorecard_get_or_create(unit=OrgUnit.objects.get(code=unit_code), rubric=rubric, month=month)
    entries = {code: EntryInput(result, ratio=Decimal("0.5") if result == Result.PARTIAL else None,
                                evidence_note=f"Văn bản số 1{code[-1]}/BC, ngày 20/03/2026")
               for code, result in results.items()}  # fmt: skip
    if "1.1" in entries:
        entries["1.1"].comment = '=HYPERLINK("http://x")'  # typed by an officer: must stay text in Excel
    scorecard_update_entries(scorecard=card, by=None, version=card.version, entries=entries)
    if state == "draft":
        return card
    settle(card)
    scorecard_submit(scorecard=card, by=None, at=datetime(month.year, month.month + 1, 4, 9, tzinfo=HCM))
    scorecard_review(scorecard=accept_not_applicable(card), by=None)
    if state == "approved":
        scorecard_approve(scorecard=card, by=None)
    card.refresh_from_db()
    return card


@pytest.fixture
def month(db):
    load_seed_data()
    # These cards score a handful of criteria, below the 50% of points a rank needs (the low-applicability
    # rule, tested with the scoring): lifted so that the documents show an approved rank.
    Rubric.objects.filter(plan__number="29-KH/ĐU").update(min_applicable_percent=0)
    results = {
        "1.1": Result.DONE,
        "1.3": Result.LATE,
        "2.1": Result.PARTIAL,
        "2.3": Result.NOT_DONE,
        "7.2": Result.DONE,
    }
    return {
        "vhxh": fill("LB-VHXH", MARCH, results, state="approved"),
        "vhxh_feb": fill("LB-VHXH", FEBRUARY, {"1.1": Result.DONE, "2.3": Result.NOT_DONE}, state="approved"),
        "police": fill("LB-CA", MARCH, {"1.1": Result.DONE, "2.2": Result.DONE}, state="reviewed"),
        "mttq": fill("LB-MTTQ", MARCH, {"1.3": Result.DONE}, state="draft"),
    }


def render(identifier, **form):
    return REGISTRY[identifier]().render(form)


def pdf_text(data: bytes) -> tuple[PdfReader, list[str]]:
    """The reader and each page's text, with runs of white space (line wraps in table cells) as one space."""
    reader = PdfReader(BytesIO(data))
    return reader, [" ".join(page.extract_text().split()) for page in reader.pages]


def page_lines(reader, index) -> set[str]:
    return {line.strip() for line in reader.pages[index].extract_text().splitlines()}


def fonts_of(reader):
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (
                font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            )
            descriptor = descriptor.get_object()
            fonts[str(font["/BaseFont"])] = any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    return fonts


def test_it_prints_a_scorecard_as_an_official_document(month):
    card = month["vhxh"]
    filename, mimetype, data = render("scorecard_pdf", scorecard=card)
    assert (filename, mimetype) == ("phieu-kpi-2026-03-lb-vhxh.pdf", "application/pdf")
    reader, pages = pdf_text(data)
    first = pages[0]
    for text in ["ỦY BAN NHÂN DÂN PHƯỜNG", "PHÒNG VĂN HÓA - XÃ HỘI", "/BC-VHXH", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "Độc lập - Tự do - Hạnh phúc", "Long Biên, ngày", "PHIẾU ĐÁNH GIÁ KẾT QUẢ KPI THÁNG 03/2026",
                 "Nơi nhận:", "TRƯỞNG PHÒNG", "Lưu: VT, VH-XH."]:  # fmt: skip
        assert text in first, text
    # The total and rank the leader approved, in Vietnamese number format.
    assert f"Tổng điểm (quy về thang 100): {vn_decimal(card.approved_total)}" in first
    assert Rank(card.approved_rank).label in first
    assert "DỰ THẢO" not in "".join(pages)
    assert "1" not in page_lines(reader, 0)  # no page number on page 1
    assert "2" in page_lines(reader, 1) and "3" in page_lines(reader, 2)
    body = "".join(pages[1:])
    assert "Phòng, chống bạo lực học đường" in body and "Hoàn thành chậm" in body
    assert "Văn bản số 11/BC, ngày 20/03/2026" in body  # the evidence attached
    # Fonts: Liberation Serif (Times-metric), embedded.
    fonts = fonts_of(reader)
    assert fonts and all(fonts.values())
    assert all("Liberation-Serif" in name for name in fonts)
    # The criteria table is an appendix on landscape pages; the letter itself is portrait.
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    assert sizes[0][0] < sizes[0][1] and all(w > h for w, h in sizes[1:])


def test_it_marks_a_draft_card(month):
    _, pages = pdf_text(render("scorecard_pdf", scorecard=month["mttq"])[2])
    assert "DỰ THẢO" in pages[0] and "Trạng thái phiếu: Nháp" in pages[0]


def test_it_writes_the_scorecard_as_a_real_spreadsheet(month):
    card = month["vhxh"]
    book = load_workbook(BytesIO(render("scorecard_xlsx", scorecard=card)[2]))
    sheet = book.active
    assert sheet.cell(1, 1).value == "PHIẾU ĐÁNH GIÁ KPI THÁNG 03/2026"
    assert "A1:I1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet.freeze_panes == "A6" and sheet.print_title_rows == "$5:$5"
    assert (sheet.page_setup.orientation, sheet.page_setup.paperSize, sheet.page_setup.fitToWidth) == (
        "landscape",
        9,
        1,
    )
    rows = {sheet.cell(r, 1).value: r for r in range(6, sheet.max_row + 1)}
    score = scorecard_score(card)
    group2 = rows["2"]
    assert sheet.cell(group2, 8).value == float(round(score.groups["2"], 2))  # a number, not text
    assert sheet.cell(group2, 8).number_format == "#,##0.00"
    assert sheet.cell(sheet.max_row, 8).value == float(card.approved_total)
    comment = sheet.cell(rows["1.1"], 9)
    assert comment.value.startswith("Hoàn thành. =HYPERLINK") and comment.data_type == "s"


def test_it_summarises_the_ward_in_pdf_and_excel(month):
    ward = OrgUnit.objects.get(code="LB")
    _, pages = pdf_text(render("ward_summary_pdf", ward=ward, month=MARCH)[2])
    text = "".join(pages)
    assert "Kết quả đánh giá KPI tháng 03/2026 của các đơn vị Phường Long Biên" in text
    assert "2/26 đơn vị đã nộp phiếu" in text  # the draft does not count as sent
    assert "Công an phường Long Biên" in text and "Chưa có phiếu" in text
    vhxh, feb = month["vhxh"], month["vhxh_feb"]
    assert vn_decimal(vhxh.approved_total - feb.approved_total).lstrip("-") in text  # change from February

    book = load_workbook(BytesIO(render("ward_summary_xlsx", ward=ward, month=MARCH)[2]))
    assert book.sheetnames == [
        "Tổng hợp",
        "LB-CA",
        "LB-MTTQ",
        "LB-VHXH",
    ]  # a summary, then one sheet per unit
    summary = book["Tổng hợp"]
    header = [c.value for c in summary[5]]
    row = next(r for r in summary.iter_rows(min_row=6) if r[1].value == "Phòng Văn hóa - Xã hội")
    assert row[header.index("Tổng điểm")].value == float(vhxh.approved_total)
    assert row[header.index("So với tháng trước")].value == float(vhxh.approved_total - feb.approved_total)
    police = next(r for r in summary.iter_rows(min_row=6) if r[1].value == "Công an phường Long Biên")
    assert police[header.index("Tổng điểm")].value == float(scorecard_score(month["police"]).total)


def test_it_reports_a_plans_quarter(month):
    plan = Plan.objects.get(number="29-KH/ĐU")
    IndicatorValue.objects.create(indicator=plan.indicators.get(code="III.2-6"), value=Decimal("93.5"),
                                  measured_on=date(2026, 6, 30))  # fmt: skip
    filename, _, data = render("quarter_report_pdf", plan=plan, year=2026, quarter=2)
    assert filename == "bao-cao-tien-do-2026-q2-kh-du-29-2026.pdf"
    text = "".join(pdf_text(data)[1])
    assert "Tiến độ thực hiện Kế hoạch 29-KH/ĐU Quý II/2026" in text
    assert "Tình hình tính đến ngày 30/06/2026 trên 30 nhiệm vụ" in text
    assert "PHỤ LỤC 3: NHIỆM VỤ QUÁ HẠN" in text and "Rà soát điều kiện an toàn trường học" in text
    assert "Chưa đạt (98,42%)" in text  # 93.5 of a 95 % target
    assert "Tháng 04/2026" in text

    book = load_workbook(BytesIO(render("quarter_report_xlsx", plan=plan, year=2026, quarter=1)[2]))
    assert book.sheetnames == ["Tổng hợp", "Nhiệm vụ", "Quá hạn", "KPI ba tháng", "Chỉ tiêu"]
    totals = [c.value for c in book["Tổng hợp"][6]]
    assert totals[0] == "Toàn kế hoạch" and sum(totals[1:]) == 30
    kpi = {r[0].value: [c.value for c in r] for r in book["KPI ba tháng"].iter_rows(min_row=6)}
    assert kpi["Phòng Văn hóa - Xã hội"][5] == float(month["vhxh"].approved_total)


def run(command, *args):
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_it_exports_through_the_commands_and_refuses_bad_input(month, tmp_path):
    target = tmp_path / "x.pdf"
    assert "Đã ghi" in run(
        "export_scorecard", "--unit", "P.VHXH", "--month", "2026-03", "--format", "pdf", "-o", str(target)
    )
    assert target.read_bytes().startswith(b"%PDF")
    run(
        "export_ward_summary",
        "--ward",
        "Long Biên",
        "--month",
        "2026-03",
        "--format",
        "xlsx",
        "-o",
        str(tmp_path / "w.xlsx"),
    )
    run(
        "export_quarter_report",
        "--plan",
        "29-KH/ĐU",
        "--quarter",
        "2026-Q1",
        "--format",
        "pdf",
        "-o",
        str(target),
    )
    for args, message in [
        (["export_scorecard", "--unit", "P.VHXH", "--month", "2026-13"], "tháng phải từ 1 đến 12"),
        (
            ["export_scorecard", "--unit", "Phòng Ma", "--month", "2026-03"],
            "Không tìm thấy đơn vị “Phòng Ma”",
        ),
        (["export_scorecard", "--unit", "P.VHXH", "--month", "2026-05"], "chưa có phiếu KPI tháng 05/2026"),
        (
            ["export_ward_summary", "--ward", "Hà Đông", "--month", "2026-03"],
            "Không tìm thấy phường “Hà Đông”",
        ),
        (
            ["export_quarter_report", "--plan", "29-KH/ĐU", "--quarter", "2026-Q5"],
            "Quý “2026-Q5” không hợp lệ",
        ),
        (
            ["export_quarter_report", "--plan", "1/XX", "--quarter", "2026-Q1"],
            "Không tìm thấy kế hoạch “1/XX”",
        ),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command(*args, "--format", "pdf", "-o", str(target), stdout=StringIO())


def test_it_serves_downloads_only_inside_the_readers_scope(month, client):
    card = month["vhxh"]
    plan = Plan.objects.get(number="29-KH/ĐU")
    urls = {
        "card": reverse("reports:scorecard", args=[card.pk, "pdf"]),
        "ward": reverse("reports:ward_summary", args=["LB", "2026-03", "xlsx"]),
        "quarter": reverse("reports:quarter_report", args=[plan.pk, 2026, 1, "pdf"]),
    }
    assert client.get(urls["card"]).status_code == 302  # signed out: to the login page

    def person(name, unit, role):
        user = UserFactory(username=name)
        UserProfileFactory(user=user, unit=OrgUnit.objects.get(code=unit), role=role)
        return user

    Role = UserProfile.Role
    expected = {  # who: (card, ward summary, quarter report)
        person("vhxh", "LB-VHXH", Role.OFFICER): (200, 404, 404),
        person("police", "LB-CA", Role.OFFICER): (404, 404, 404),
        person("reviewer", "LB-VHXH", Role.REVIEWER): (200, 200, 200),
        person("leader", "LB", Role.LEADER): (200, 200, 200),
        person("district", "QLB-GDDT", Role.REVIEWER): (404, 404, 404),
    }
    for user, codes in expected.items():
        client.force_login(user)
        got = tuple(client.get(url).status_code for url in urls.values())
        assert got == codes, user.username
    client.force_login(UserFactory(username="root", is_superuser=True))
    response = client.get(urls["card"])
    assert response["Content-Disposition"] == 'attachment; filename="phieu-kpi-2026-03-lb-vhxh.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(reverse("reports:scorecard", args=[card.pk, "docx"])).status_code == 404
    assert Scorecard.objects.count() == 4


def test_it_links_downloads_from_the_admin(month, client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    card = month["vhxh"]
    page = client.get(reverse("admin:kpi_scorecard_change", args=[card.pk])).content.decode()
    assert reverse("reports:scorecard", args=[card.pk, "pdf"]) in page
    assert reverse("reports:ward_summary", args=["LB", "2026-03", "xlsx"]) in page
    plan = Plan.objects.get(number="29-KH/ĐU")
    page = client.get(reverse("admin:plans_plan_change", args=[plan.pk])).content.decode()
    assert "Kiểm tra PCCC tại các cơ sở giáo dục" in page  # the tasks inline survived the extension
    assert reverse("reports:quarter_report", args=[plan.pk, date.today().year, 1, "pdf"]) in page


def test_it_never_fetches_anything_while_rendering():
    from reports.pdf import OfflineFetcher, html_to_pdf

    with pytest.raises(ValueError, match="Không tải tài nguyên ngoài"):
        OfflineFetcher()("http://example.com/logo.png")
    data = html_to_pdf('<p>Ảnh ngoài: <img src="http://127.0.0.1:9/x.png"></p>')
    assert "Ảnh ngoài" in pdf_text(data)[1][0]


def test_it_repeats_the_table_header_on_every_appendix_page(month):
    reader, pages = pdf_text(render("scorecard_pdf", scorecard=month["vhxh"])[2])
    landscape = [
        text
        for page, text in zip(reader.pages, pages, strict=True)
        if page.mediabox.width > page.mediabox.height
    ]
    assert len(landscape) >= 2
    assert all("Chỉ tiêu/KPI đánh giá" in text and "Điểm tự chấm" in text for text in landscape)
