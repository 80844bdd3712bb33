"""Reports read back as a reader would: PDF text and fonts, Excel values and formats, against the engine."""

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO, StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
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
    scorecard_reopen,
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
    card = settle(card)
    scorecard_submit(scorecard=card, by=None, at=datetime(month.year, month.month + 1, 4, 9, tzinfo=HCM))
    card = accept_not_applicable(card)
    scorecard_review(scorecard=card, by=None)
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
    # The rank the leader approved (or, where the engine gives none, why not).
    rank = card.get_approved_rank_display() if card.approved_rank else scorecard_score(card).rank_label
    assert f"Xếp loại: {rank}." in first
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


def sheet_rows(sheet, header_row=5):
    """The header's columns by name, and each row's values by name, keyed by the first column."""
    header = [c.value for c in sheet[header_row]]
    rows = {}
    for row in sheet.iter_rows(min_row=header_row + 1, values_only=True):
        rows.setdefault(row[0] or row[1], dict(zip(header, row, strict=False)))
    return header, rows


def test_it_writes_the_scorecard_as_a_real_spreadsheet(month):
    card = month["vhxh"]
    book = load_workbook(BytesIO(render("scorecard_xlsx", scorecard=card)[2]))
    sheet = book.active
    assert sheet.cell(1, 1).value == "PHIẾU ĐÁNH GIÁ KPI THÁNG 03/2026"
    assert "A1:O1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet.freeze_panes == "A6" and sheet.print_title_rows == "$5:$5"
    assert (sheet.page_setup.orientation, sheet.page_setup.paperSize, sheet.page_setup.fitToWidth) == (
        "landscape",
        9,
        1,
    )
    header, rows = sheet_rows(sheet)
    score = scorecard_score(card)
    points = header.index("Điểm đạt") + 1
    group2 = next(r for r in range(6, sheet.max_row + 1) if sheet.cell(r, 1).value == "2")
    assert sheet.cell(group2, points).value == float(round(score.groups["2"], 2))  # a number, not text
    assert sheet.cell(group2, points).number_format == "#,##0.00"
    assert rows["TỔNG ĐIỂM (quy về thang 100)"]["Điểm đạt"] == float(card.approved_total)
    assert rows["XẾP LOẠI"]["Chỉ tiêu/KPI đánh giá"] == score.rank_label
    comment = sheet.cell(next(r for r in range(6, sheet.max_row + 1) if sheet.cell(r, 1).value == "1.1"),
                         header.index("Nhận xét") + 1)  # fmt: skip
    assert comment.value == '=HYPERLINK("http://x")' and comment.data_type == "s"


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
    summary = book["Tổng hợp"]
    # A summary, then one sheet per unit with a card, in the summary's order (by rank).
    assert book.sheetnames[0] == "Tổng hợp" and sorted(book.sheetnames[1:]) == ["LB-CA", "LB-MTTQ", "LB-VHXH"]
    listed = [r[2].value for r in summary.iter_rows(min_row=6) if r[2].value]
    codes = {u.name: u.code for u in OrgUnit.objects.filter(code__in=book.sheetnames[1:])}
    assert [codes[name] for name in listed if name in codes] == book.sheetnames[1:]
    header = [c.value for c in summary[5]]
    row = next(r for r in summary.iter_rows(min_row=6) if r[2].value == "Phòng Văn hóa - Xã hội")
    assert row[header.index("Tổng điểm")].value == float(vhxh.approved_total)
    assert row[header.index("So với tháng trước")].value == float(vhxh.approved_total - feb.approved_total)
    police = next(r for r in summary.iter_rows(min_row=6) if r[2].value == "Công an phường Long Biên")
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
    assert "Nhiệm vụ quá hạn" in text and "Rà soát điều kiện an toàn trường học" in text
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
        person("vhxh", "LB-VHXH", Role.OFFICER): (200, 403, 403),  # officers read no ward summaries
        person("police", "LB-CA", Role.OFFICER): (404, 403, 403),
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


# --- what the approved card was judged on --------------------------------------------------------------------

APRIL = date(2026, 4, 1)
Role = UserProfile.Role


def lb_person(username, unit_code, role, *, first="", last="", title=""):
    user = UserFactory(username=username, first_name=first, last_name=last)
    UserProfileFactory(user=user, unit=OrgUnit.objects.get(code=unit_code), role=role, title=title)
    return user


def evidence(unit, by, *, name="", url="", number="", on=None, summary=""):
    import secrets

    from django.utils import timezone

    from tasks.models import Evidence

    return Evidence.objects.create(
        unit=unit, token=secrets.token_hex(16), file=f"evidence/2026/04/{secrets.token_hex(4)}.pdf" if name else "",
        original_name=name, url=url, extension="pdf" if name else "", doc_number=number, doc_date=on,
        summary=summary, uploaded_by=by, uploaded_at=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def judged(db):
    """An approved April card of Phòng VH-XH: files, a link, a rubric and a unit "Không áp dụng", a result the
    reviewer changed with a reason and hand-set points; people with full names and titles."""
    from kpi.models import Criterion

    load_seed_data()
    rubric = Rubric.objects.get(plan__number="29-KH/ĐU")
    Criterion.objects.filter(group__rubric=rubric, code="3.4").update(
        applies_to=["school"], not_applicable_reason="Chỉ các trường học thực hiện tiêu chí này."
    )
    officer = lb_person(
        "u.canbo7", "LB-VHXH", Role.OFFICER, first="Trần Thị", last="Bình", title="Chuyên viên"
    )
    reviewer = lb_person("u.thamdinh7", "LB-VHXH", Role.REVIEWER, first="Nguyễn Văn", last="An",
                         title="Chuyên viên Phòng VH-XH")  # fmt: skip
    leader = lb_person("u.lanhdao7", "LB", Role.LEADER, first="Lê Văn", last="Cường")
    unit = OrgUnit.objects.get(code="LB-VHXH")
    files = [
        evidence(unit, officer, name="Bao cao so ket giao duc thang 4 - Phong VHXH.pdf", number="45/BC-VHXH",
                 on=date(2026, 4, 20), summary="Báo cáo sơ kết công tác giáo dục tháng 4"),
        evidence(unit, officer, name="Ke hoach tuyen truyen.docx", number="12/KH-VHXH", on=date(2026, 4, 3)),
        evidence(unit, officer, url="https://longbien.hanoi.gov.vn/tin-tuc/hoi-nghi-trien-khai-ke-hoach-giao-duc"
                 "-nam-hoc-2025-2026-tai-phuong-long-bien", summary="Tin trên cổng thông tin phường"),
    ]  # fmt: skip
    card = scorecard_get_or_create(unit=unit, rubric=rubric, month=APRIL)
    entries = {
        e.criterion.code: EntryInput(Result.DONE, evidence_note=f"Văn bản số {e.criterion.code}/VHXH")
        for e in card.entries.select_related("criterion")
        if e.criterion.code not in ("3.4", "7.1")
    }
    entries["1.1"] = EntryInput(Result.DONE, evidence_ids=[files[0].pk, files[1].pk],
                                evidence_note="Sổ theo dõi lưu tại Phòng VH-XH")  # fmt: skip
    entries["1.2"] = EntryInput(Result.DONE, evidence_ids=[files[2].pk])
    entries["1.3"] = EntryInput(Result.LATE, evidence_note="Công văn 30/VHXH ngày 28/04/2026")
    entries["1.4"] = EntryInput(
        Result.PARTIAL, ratio=Decimal("0.6"), evidence_note="Danh sách lớp đã tổ chức"
    )
    entries["2.1"] = EntryInput(Result.NOT_APPLICABLE, na_reason="Tháng 4 không có đợt kiểm tra liên ngành.")
    card = scorecard_update_entries(scorecard=card, by=officer, version=card.version, entries=entries)
    scorecard_submit(scorecard=card, by=officer, at=datetime(2026, 5, 4, 9, tzinfo=HCM))
    card.refresh_from_db()
    card = scorecard_update_entries(scorecard=card, by=reviewer, version=card.version, review=True, entries={
        "1.3": EntryInput(Result.NOT_DONE, review_reason="Sản phẩm chưa gửi Đảng ủy phường."),
        "1.4": EntryInput(Result.PARTIAL, ratio=Decimal("0.6"), reviewed_points=Decimal("2"),
                          review_reason="Chỉ tính các lớp có biên bản."),
        "2.1": EntryInput(Result.NOT_APPLICABLE, na_accepted=True),
    })  # fmt: skip
    scorecard_review(scorecard=card, by=reviewer)
    scorecard_approve(scorecard=card, by=leader)
    card.refresh_from_db()
    return {"card": card, "files": files, "officer": officer, "reviewer": reviewer, "leader": leader}


def squash(text: str) -> str:
    return "".join(text.split())


def appendix_text(data: bytes) -> str:
    reader, pages = pdf_text(data)
    return " ".join(
        t for p, t in zip(reader.pages, pages, strict=True) if p.mediabox.width > p.mediabox.height
    )


def test_it_lists_each_attached_file_and_link_with_its_number_and_date(judged):
    # Cells wrap anywhere (after "45/BC-", inside a link): compared without white space.
    text = squash(appendix_text(render("scorecard_pdf", scorecard=judged["card"])[2]))
    for expected in [
        "– Bao cao so ket giao duc thang 4 - Phong VHXH.pdf — số 45/BC-VHXH, ngày 20/04/2026: "
        "Báo cáo sơ kết công tác giáo dục tháng 4",
        "– Ke hoach tuyen truyen.docx — số 12/KH-VHXH, ngày 03/04/2026",
        "Ghi chú: Sổ theo dõi lưu tại Phòng VH-XH",  # the written note beside the files
        "– https://longbien.hanoi.gov.vn/tin-tuc/hoi-nghi-trien-khai-ke-hoach-giao-duc-nam-hoc-2025-2026-tai-"
        "phuong-long-bien: Tin trên cổng thông tin phường",
    ]:
        assert squash(expected) in text, expected


def test_it_says_why_a_criterion_did_not_apply_and_who_said_so(judged):
    text = appendix_text(render("scorecard_pdf", scorecard=judged["card"])[2])
    assert (
        "Lý do không áp dụng (đơn vị nêu; thẩm định đã chấp nhận): Tháng 4 không có đợt kiểm tra liên ngành."
        in text
    )
    assert "Lý do không áp dụng (theo bộ tiêu chí): Chỉ các trường học thực hiện tiêu chí này." in text


def test_it_gives_the_reviewers_reason_where_the_points_differ(judged):
    text = appendix_text(render("scorecard_pdf", scorecard=judged["card"])[2])
    assert "Lý do thẩm định: Sản phẩm chưa gửi Đảng ủy phường." in text
    assert "Lý do thẩm định: Chỉ tính các lớp có biên bản." in text
    assert text.count("Lý do thẩm định:") == 2  # nowhere the unit's points stood
    # 1.3: the unit claimed "late" (3.75 × 0.75), the reviewer found it not done.
    assert "1.3" in text and "Không hoàn thành 3,75 2,81 0,00" in text


def test_it_writes_evidence_reasons_and_both_points_into_the_spreadsheet(judged):
    book = load_workbook(BytesIO(render("scorecard_xlsx", scorecard=judged["card"])[2]))
    _, rows = sheet_rows(book.active)
    first = rows["1.1"]
    assert first["Minh chứng đã nộp"].splitlines() == [
        "Tệp: Bao cao so ket giao duc thang 4 - Phong VHXH.pdf; số 45/BC-VHXH, ngày 20/04/2026; "
        "Báo cáo sơ kết công tác giáo dục tháng 4",
        "Tệp: Ke hoach tuyen truyen.docx; số 12/KH-VHXH, ngày 03/04/2026",
    ]
    assert first["Ghi chú minh chứng"] == "Sổ theo dõi lưu tại Phòng VH-XH"
    assert rows["1.2"]["Minh chứng đã nộp"].startswith("Đường dẫn: https://longbien.hanoi.gov.vn/")
    assert (rows["1.3"]["Kết quả"], rows["1.3"]["Điểm tự chấm"], rows["1.3"]["Điểm đạt"]) == (
        "Không hoàn thành", 2.81, 0,
    )  # fmt: skip
    assert rows["1.3"]["Lý do thẩm định"] == "Sản phẩm chưa gửi Đảng ủy phường."
    assert rows["1.1"]["Lý do thẩm định"] is None
    assert (rows["2.1"]["Lý do không áp dụng"], rows["2.1"]["Lý do không áp dụng của"],
            rows["2.1"]["Thẩm định chấp nhận lý do"]) == (
        "Tháng 4 không có đợt kiểm tra liên ngành.", "Đơn vị", "Có")  # fmt: skip
    assert rows["3.4"]["Lý do không áp dụng của"] == "Bộ tiêu chí" and rows["3.4"]["Điểm đạt"] is None
    assert rows["Người thẩm định"]["Chỉ tiêu/KPI đánh giá"].startswith(
        "Nguyễn Văn An, Chuyên viên Phòng VH-XH"
    )


def test_it_reads_the_evidence_in_a_fixed_number_of_queries(judged, django_assert_num_queries):
    from kpi.models import ScoreEntry
    from reports.documents import scorecard_document

    card = judged["card"]
    with django_assert_num_queries(5) as first:
        scorecard_document(card)
    officer, unit = judged["officer"], card.unit
    link = ScoreEntry.evidence.through
    # An approved card's evidence is locked: reopened, it takes two more files on every entry.
    card = scorecard_reopen(scorecard=card, by=judged["leader"], reason="Bổ sung minh chứng")
    for entry in card.entries.all():
        for n in range(2):
            link.objects.create(scoreentry=entry, evidence=evidence(unit, officer, name=f"extra-{n}.pdf"))
    with django_assert_num_queries(len(first.captured_queries)):
        doc = scorecard_document(card)
    assert sum(len(line.evidence) for g in doc.groups for line in g.lines) == 3 + 2 * card.entries.count()


def test_it_names_the_reviewer_and_approver_by_full_name_and_title(judged):
    first = pdf_text(render("scorecard_pdf", scorecard=judged["card"])[2])[1][0]
    assert "Người thẩm định: Nguyễn Văn An, Chuyên viên Phòng VH-XH, ngày" in first
    assert "Người phê duyệt: Lê Văn Cường, Phường Long Biên, ngày" in first  # no title: the unit's name


def test_it_never_prints_a_username_even_without_a_full_name(judged):
    leader = judged["leader"]
    leader.first_name = leader.last_name = ""
    leader.save()
    card, plan, ward = judged["card"], Plan.objects.get(number="29-KH/ĐU"), OrgUnit.objects.get(code="LB")
    first = pdf_text(render("scorecard_pdf", scorecard=card)[2])[1][0]
    assert "Người phê duyệt: (chưa khai báo họ tên), ngày" in first
    texts = []
    for fmt in ("pdf", "xlsx"):
        for identifier, form in [("scorecard", {"scorecard": card}), ("ward_summary", {"ward": ward, "month": APRIL}),
                                 ("quarter_report", {"plan": plan, "year": 2026, "quarter": 2})]:  # fmt: skip
            data = render(f"{identifier}_{fmt}", **form)[2]
            if fmt == "pdf":
                texts.append(" ".join(pdf_text(data)[1]))
            else:
                book = load_workbook(BytesIO(data))
                texts += [str(c) for s in book for row in s.iter_rows(values_only=True) for c in row if c]
    text = " ".join(texts)
    assert "Nguyễn Văn An" in text  # the people are there, by name
    for user in (judged["officer"], judged["reviewer"], leader):
        assert user.username not in text


def test_it_prints_points_achieved_out_of_applicable_beside_the_total(judged):
    from reports.documents import scorecard_document

    card = judged["card"]
    doc = scorecard_document(card)
    assert doc.applicable < 100
    first = pdf_text(render("scorecard_pdf", scorecard=card)[2])[1][0]
    assert (
        f"Điểm đạt {vn_decimal(doc.achieved)} trên {vn_decimal(doc.applicable)} điểm các tiêu chí áp dụng "
        f"trong tháng. Tổng điểm (quy về thang 100): {vn_decimal(card.approved_total)}" in first
    )
    assert sum(g.points for g in doc.groups) == doc.achieved


@pytest.fixture
def rounding_card(db):
    """A draft where every group rounded on its own gives 66,98 but the points add up to 66,9725 → 66,97:
    6.1 late (3,33 × 0,75 = 2,4975: group 6 is 9,1675), 7.1 late (group 7 is 4,375), 4.1 at 68,6 %."""
    load_seed_data()
    rubric = Rubric.objects.get(plan__number="29-KH/ĐU")
    card = scorecard_get_or_create(unit=OrgUnit.objects.get(code="LB-CA"), rubric=rubric, month=APRIL)
    results = {e.criterion.code: Result.DONE if e.group.code in "123" or e.criterion.code in ("6.2", "6.3", "7.2")
               else Result.NOT_DONE for e in card.entries.select_related("criterion", "group")}  # fmt: skip
    results.update({"6.1": Result.LATE, "7.1": Result.LATE, "4.1": Result.PARTIAL})
    entries = {code: EntryInput(r, ratio=Decimal("0.686") if r == Result.PARTIAL else None, evidence_note="BC")
               for code, r in results.items()}  # fmt: skip
    return scorecard_update_entries(scorecard=card, by=None, version=card.version, entries=entries)


def test_it_prints_group_points_that_add_up_to_the_printed_total(rounding_card):
    from kpi.scoring import round2

    score = scorecard_score(rounding_card)
    assert score.total == Decimal("66.97") and sum(round2(v) for v in score.groups.values()) == Decimal(
        "66.98"
    )
    book = load_workbook(BytesIO(render("scorecard_xlsx", scorecard=rounding_card)[2]))
    _, rows = sheet_rows(book.active)
    groups = {code: rows[code]["Điểm đạt"] for code in "1234567"}
    assert (groups["6"], groups["7"]) == (9.17, 4.37)  # the larger remainder (0,0075) gets the hundredth
    assert (
        sum(Decimal(str(v)) for v in groups.values())
        == Decimal("66.97")
        == Decimal(str(rows["CỘNG"]["Điểm đạt"]))
    )
    first = pdf_text(render("scorecard_pdf", scorecard=rounding_card)[2])[1][0]
    assert "5,00 5,00 4,37 4,37 Cộng 100,00 100,00 66,97 66,97" in first  # group 7, then the sums
    assert "4,38" not in first and "66,98" not in first and "Tổng điểm (quy về thang 100): 66,97" in first
    assert "Điểm đạt 66,97 trên" not in first  # all 100 points applied: points and total are one number


def test_it_prints_no_rank_and_says_chua_cham_on_an_unfinished_card(month):
    card = month["mttq"]  # a draft: most criteria still "Chưa chấm"
    assert scorecard_score(card).rank is None
    _, pages = pdf_text(render("scorecard_pdf", scorecard=card)[2])
    assert f"Xếp loại: {scorecard_score(card).rank_label}." in pages[0]
    assert "còn" in scorecard_score(card).rank_label
    appendix = appendix_text(render("scorecard_pdf", scorecard=card)[2])
    assert "Chưa chấm" in appendix
    for rank in Rank:
        assert f"Xếp loại: {rank.label}" not in pages[0]
        assert f"XẾP LOẠI — {rank.label}" not in appendix


def test_it_records_every_web_download_in_the_audit_trail(judged, client):
    from plans.audit import file_sha256
    from plans.models import AuditEntry

    card, plan = judged["card"], Plan.objects.get(number="29-KH/ĐU")
    ward = OrgUnit.objects.get(code="LB")
    reviewer = judged["reviewer"]
    client.force_login(reviewer)
    downloads = [
        (reverse("reports:scorecard", args=[card.pk, "pdf"]), card, card.unit, "Phiếu đánh giá KPI tháng 04/2026 PDF"),
        (reverse("reports:scorecard", args=[card.pk, "xlsx"]), card, card.unit,
         "Phiếu đánh giá KPI tháng 04/2026 Excel"),
        (reverse("reports:ward_summary", args=["LB", "2026-04", "pdf"]), ward, ward,
         "Tổng hợp KPI tháng 04/2026 của phường PDF"),
        (reverse("reports:quarter_report", args=[plan.pk, 2026, 2, "xlsx"]), plan, plan.issuer,
         "Báo cáo tiến độ Quý II/2026 kế hoạch 29-KH/ĐU Excel"),
    ]  # fmt: skip
    for url, obj, unit, summary in downloads:
        response = client.get(url)
        assert response.status_code == 200
        entry = AuditEntry.objects.order_by("-id").first()
        assert (entry.action, entry.by, entry.object_id, entry.unit, entry.summary) == (
            AuditEntry.Action.DOWNLOAD, reviewer, obj.pk, unit, summary)  # fmt: skip
        assert entry.object_repr == str(obj)
        assert entry.file_sha256 == file_sha256(response.content)
        assert entry.file_name in response["Content-Disposition"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD).count() == len(downloads)


def test_it_records_no_download_that_was_refused_or_written_by_a_command(judged, client, tmp_path):
    from plans.models import AuditEntry

    card = judged["card"]
    client.force_login(lb_person("u.police7", "LB-CA", Role.OFFICER))
    assert client.get(reverse("reports:scorecard", args=[card.pk, "pdf"])).status_code == 404
    client.force_login(judged["reviewer"])
    assert client.get(reverse("reports:scorecard", args=[card.pk, "docx"])).status_code == 404
    run("export_scorecard", "--unit", "P.VHXH", "--month", "2026-04", "--format", "xlsx", "-o",
        str(tmp_path / "x.xlsx"))  # fmt: skip
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD).exists()


# --- rounding ------------------------------------------------------------------------------------------------

SHAPE = {"1": (15, 4), "2": (20, 4), "3": (15, 4), "4": (20, 4), "5": (15, 4), "6": (10, 3), "7": (5, 2)}
RESULTS = [
    Result.DONE,
    Result.LATE,
    Result.PARTIAL,
    Result.LATE_PARTIAL,
    Result.NOT_DONE,
    Result.NOT_APPLICABLE,
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(RESULTS), st.integers(0, 10_000)), min_size=25, max_size=25),
)
def test_it_prints_groups_that_always_sum_to_the_printed_points(choices):
    from kpi.scoring import CENT, Item, Policy, round2, score
    from kpi.services import split_points
    from reports.rounding import printed_points

    items, index = [], 0
    for group, (max_points, count) in SHAPE.items():
        for n, points in enumerate(split_points(Decimal(max_points), count), start=1):
            result, ratio = choices[index]
            index += 1
            items.append(Item(f"{group}.{n}", group, points, result, Decimal(ratio) / 10_000))
    result = score(items, {g: Decimal(m) for g, (m, _) in SHAPE.items()}, Policy())
    printed = printed_points(result)
    assert sum(printed.groups.values(), Decimal("0")) == printed.achieved == round2(result.achieved)
    for code, exact in result.groups.items():
        assert abs(printed.groups[code] - exact) < CENT and printed.groups[code] == printed.groups[
            code
        ].quantize(CENT)
    if result.applicable == 100:
        assert printed.achieved == result.total  # all applied: the points are the total
