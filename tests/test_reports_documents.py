# The fixtures `month` and `judged` are shared with tests/test_reports.py by import; pytest injects them
# by the parameters' names, which ruff reads as redefinitions.
# ruff: noqa: F811
"""Issue 17, read back as a văn thư and a clerk would: the format of the issuing body (State or Party) with its
sizes and fonts, the signer, the score explained with the engine's numbers, the compact quarter report, the
ranked ward summary, workbooks a clerk can filter and print, and the ward's bundle."""

import shutil
import subprocess
import zipfile
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from kpi.models import Rubric, Scorecard
from kpi.scoring import Result
from kpi.selectors import scorecard_score
from kpi.services import EntryInput, scorecard_update_entries
from plans.models import DocumentProfile, OrgUnit, Plan, UserProfile
from tests.factories import UserFactory, UserProfileFactory
from tests.test_reports import APRIL, judged, month, pdf_text, render, sheet_rows  # noqa: F401 (fixtures)

Role = UserProfile.Role


def runs(data: bytes, page: int = 0) -> list[tuple[str, str, float]]:
    """(text, font, size in points) of every run of text on a page, as the PDF draws it."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip() and font is not None:
            found.append(
                (text.strip(), str(font["/BaseFont"]).split("+")[-1], round(size * tm[0] * cm[0], 1))
            )

    PdfReader(BytesIO(data)).pages[page].extract_text(visitor_text=visit)
    return found


def run_of(found, text):
    return next(run for run in found if run[0].startswith(text))


# --- the issuing body's format ---------------------------------------------------------------------------


def test_a_dang_uy_document_has_the_party_header_number_and_sizes(month):
    plan = Plan.objects.get(number="29-KH/ĐU")
    data = render("quarter_report_pdf", plan=plan, year=2026, quarter=1, number="12")[2]
    first = pdf_text(data)[1][0]
    for text in ["ĐẢNG BỘ THÀNH PHỐ HÀ NỘI", "ĐẢNG ỦY PHƯỜNG LONG BIÊN", "Số 12-BC/ĐU", "ĐẢNG CỘNG SẢN VIỆT NAM",
                 "Long Biên, ngày", "BÁO CÁO", "-----", "T/M BAN THƯỜNG VỤ", "BÍ THƯ", "Lưu VPĐU."]:  # fmt: skip
        assert text in first, text
    # Not a State document: no Quốc hiệu, no Tiêu ngữ, no "Số:" with a colon.
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" not in first and "Độc lập" not in first and "Số:" not in first
    found = runs(data)
    assert run_of(found, "ĐẢNG CỘNG SẢN VIỆT NAM")[1:] == ("Liberation-Serif-Bold", 15.0)
    assert run_of(found, "ĐẢNG BỘ THÀNH PHỐ")[1:] == ("Liberation-Serif", 14.0)  # the superior body, upright
    assert run_of(found, "ĐẢNG ỦY PHƯỜNG")[1:] == ("Liberation-Serif-Bold", 14.0)
    assert run_of(found, "*")[1:] == ("Liberation-Serif", 14.0)  # the asterisk under the issuing body
    assert run_of(found, "Số 12-BC/ĐU")[1:] == ("Liberation-Serif", 14.0)
    assert run_of(found, "Long Biên, ngày")[1:] == ("Liberation-Serif-Italic", 14.0)
    assert run_of(found, "BÁO CÁO")[1:] == ("Liberation-Serif-Bold", 16.0)
    assert run_of(found, "Nguyễn Mạnh Hà")[1:] == ("Liberation-Serif-Bold", 14.0)  # the signer, by name


def test_a_phong_vh_xh_document_has_the_state_header_and_sizes(month):
    ward = OrgUnit.objects.get(code="LB")
    data = render("ward_summary_pdf", ward=ward, month=date(2026, 3, 1))[2]
    first = pdf_text(data)[1][0]
    for text in ["ỦY BAN NHÂN DÂN PHƯỜNG LONG BIÊN", "PHÒNG VĂN HÓA - XÃ HỘI", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "Độc lập - Tự do - Hạnh phúc", "/BC-VHXH", "Nơi nhận:", "TRƯỞNG PHÒNG"]:  # fmt: skip
        assert text in first, text
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" not in first and "-BC/" not in first
    found = runs(data)
    assert run_of(found, "CỘNG HÒA XÃ HỘI")[1:] == ("Liberation-Serif-Bold", 13.0)
    assert run_of(found, "Độc lập - Tự do")[1:] == ("Liberation-Serif-Bold", 14.0)
    assert run_of(found, "PHÒNG VĂN HÓA")[1:] == ("Liberation-Serif-Bold", 13.0)
    assert run_of(found, "Số:")[1:] == ("Liberation-Serif", 13.0)
    assert run_of(found, "Nơi nhận:")[1:] == ("Liberation-Serif-Bold-Italic", 12.0)
    # The same summary issued by the Đảng ủy is a Party document.
    party = render(
        "ward_summary_pdf", ward=ward, month=date(2026, 3, 1), issuer=OrgUnit.objects.get(code="LB-DU")
    )
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in pdf_text(party[2])[1][0]


def test_the_date_line_puts_a_zero_only_before_days_below_ten_and_months_one_and_two():
    from reports.documents import official_date

    assert official_date(date(2026, 4, 5)) == "ngày 05 tháng 4 năm 2026"
    assert official_date(date(2026, 2, 15)) == "ngày 15 tháng 02 năm 2026"
    assert official_date(date(2026, 12, 1)) == "ngày 01 tháng 12 năm 2026"


def test_the_signer_is_named_from_the_profile_or_its_account(month):
    profile = DocumentProfile.objects.get(unit__code="LB-VHXH")
    ward = OrgUnit.objects.get(code="LB")
    first = pdf_text(render("ward_summary_pdf", ward=ward, month=date(2026, 3, 1))[2])[1][0]
    assert "TRƯỞNG PHÒNG ………" in first  # no name known: the line to write it on, under the signing space
    profile.signer_user = UserFactory(username="u.truongphong", first_name="Phạm Thu", last_name="Hằng")
    profile.save()
    found = runs(render("ward_summary_pdf", ward=ward, month=date(2026, 3, 1))[2])
    assert run_of(found, "Phạm Thu Hằng")[1:] == ("Liberation-Serif-Bold", 14.0)
    assert not any("u.truongphong" in text for text, *_ in found)


def test_the_commands_issue_in_another_bodys_name_only_within_scope(month, tmp_path):
    target = tmp_path / "w.pdf"
    args = [
        "export_ward_summary",
        "--ward",
        "Long Biên",
        "--month",
        "2026-03",
        "--format",
        "pdf",
        "-o",
        str(target),
    ]
    call_command(*args, "--issuer", "Đảng ủy phường", "--number", "7", stdout=StringIO())
    assert "Số 7-BC/ĐU" in pdf_text(target.read_bytes())[1][0]
    officer = UserFactory(username="u.canbo.ca")
    UserProfileFactory(user=officer, unit=OrgUnit.objects.get(code="LB-CA"), role=Role.OFFICER)
    for extra, message in [
        (
            ["--issuer", "Đảng ủy phường", "--user", "u.canbo.ca"],
            "nằm ngoài phạm vi của tài khoản “u.canbo.ca”",
        ),
        (["--issuer", "UBND Thành phố Hà Nội"], "không thuộc Phường Long Biên"),
        (["--issuer", "Công an phường"], "chưa có “Thông tin ban hành văn bản”"),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command(*args, *extra, stdout=StringIO())


def test_a_download_in_another_bodys_name_is_a_404_outside_the_readers_scope(month, client):
    outsider = UserFactory(username="u.td.quan")  # a reviewer of the district: the ward is not theirs
    UserProfileFactory(user=outsider, unit=OrgUnit.objects.get(code="QLB-GDDT"), role=Role.REVIEWER)
    client.force_login(outsider)
    url = reverse("reports:ward_summary", args=["LB", "2026-03", "pdf"])
    assert client.get(url, {"issuer": "LB-DU"}).status_code == 404
    url = reverse("reports:ward_summary", args=["LB", "2026-03", "pdf"])
    leader = UserFactory(username="u.ld.lb")
    UserProfileFactory(user=leader, unit=OrgUnit.objects.get(code="LB"), role=Role.LEADER)
    client.force_login(leader)
    assert (
        client.get(url, {"issuer": "LB-CA"}).status_code == 404
    )  # no profile: nothing to print a header from
    assert client.get(url, {"issuer": "HN-UBND"}).status_code == 404  # not the ward's
    assert client.get(url, {"issuer": "NO-SUCH"}).status_code == 404
    response = client.get(url, {"issuer": "LB-DU", "number": "3"})
    assert response.status_code == 200 and "Số 3-BC/ĐU" in pdf_text(response.content)[1][0]


# --- the score explained ---------------------------------------------------------------------------------


def test_the_scorecard_explains_the_total_with_the_engines_numbers(judged):
    """The April card, by hand: every criterion done (3,75 in groups 1 and 3, 5,00 in group 2, …) except 1.3
    (claimed late, 3,75 × 0,75 = 2,8125 → 2,81; found not done: 0), 1.4 (60 % of 3,75 = 2,25, set by hand
    to 2,00), 2.1 (not applicable, 5,00) and 3.4 (not applicable by the rubric, 3,75). Applicable: 100 − 5 −
    3,75 = 91,25. Achieved: 9,50 + 15 + 11,25 + 20 + 15 + 10 + 5 = 85,75. Total 85,75 ÷ 91,25 × 100 =
    93,9726… → 93,97: Hoàn thành xuất sắc."""
    card = judged["card"]
    score = scorecard_score(card)
    assert (score.applicable, score.achieved, score.total) == (
        Decimal("91.25"),
        Decimal("85.75"),
        Decimal("93.97"),
    )
    text = " ".join(pdf_text(render("scorecard_pdf", scorecard=card)[2])[1])
    for expected in [
        "PHỤ LỤC: BẢNG CHẤM ĐIỂM VÀ GIẢI TRÌNH ĐIỂM KPI THÁNG 04/2026",
        "3,75 + 3,75 + 0,00 + 2,00 = 9,50 trên 15,00 điểm áp dụng",  # group 1 from its lines
        "Hoàn thành: đủ 3,75 điểm.",
        "Không hoàn thành: 0 trên 3,75 điểm. Đơn vị tự chấm 2,81; sau thẩm định 0,00.",
        "Thẩm định nhập tay 2,00 trên 3,75 điểm của tiêu chí (theo kết quả đã chọn: 2,25).",
        "Lý do thẩm định: Chỉ tính các lớp có biên bản.",
        "Không tính vào điểm đạt và không tính vào điểm áp dụng. Điểm áp dụng giảm 5,00.",
        "Điểm áp dụng (điểm các tiêu chí áp dụng trong tháng) = 100,00 − 5,00 (2.1) − 3,75 (3.4) = 91,25.",
        "= 9,50 + 15,00 + 11,25 + 20,00 + 15,00 + 10,00 + 5,00 = 85,75",
        "85,75 ÷ 91,25 × 100 = 93,9726…, làm tròn một lần đến hai chữ số thập phân: 93,97.",
        "Hoàn thành xuất sắc từ 90,00",
        "Lãnh đạo phê duyệt ngày",
        "với tổng điểm 93,97.",
    ]:
        assert expected in text, expected
    # Every number explained is the engine's: the group sums and the total as kpi.scoring has them.
    from reports.documents import scorecard_document

    explanation = scorecard_document(card).explanation
    assert [g.achieved for g in explanation.groups] == [score.groups[g.code] for g in explanation.groups]
    assert (explanation.applicable, explanation.achieved, explanation.total) == (
        score.applicable, score.achieved, score.total)  # fmt: skip


def test_the_explanation_shows_the_late_and_partial_rules_with_ratio_and_date(db):
    from kpi.seed import load_seed_data
    from kpi.services import scorecard_get_or_create, scorecard_submit
    from tests.test_reports import HCM

    load_seed_data()
    rubric = Rubric.objects.get(plan__number="29-KH/ĐU")
    card = scorecard_get_or_create(unit=OrgUnit.objects.get(code="LB-CA"), rubric=rubric, month=APRIL)
    entries = {
        e.criterion.code: EntryInput(Result.DONE, evidence_note="BC")
        for e in card.entries.select_related("criterion")
    }
    entries["1.2"] = EntryInput(Result.LATE_PARTIAL, ratio=Decimal("0.5"), evidence_note="BC")
    entries["2.2"] = EntryInput(Result.PARTIAL, ratio=Decimal("0.8"), evidence_note="BC")
    del entries["7.1"]  # proposed from the submission: late, since it is sent after the 5th
    card = scorecard_update_entries(scorecard=card, by=None, version=card.version, entries=entries)
    scorecard_submit(scorecard=card, by=None, at=datetime(2026, 5, 8, 9, tzinfo=HCM))
    card.refresh_from_db()
    text = " ".join(pdf_text(render("scorecard_pdf", scorecard=card)[2])[1])
    assert "3,75 × 50% (tỷ lệ đạt) × 0,75 (hoàn thành chậm: hệ số của bộ tiêu chí) = 1,4063…" in text
    assert "5,00 × 80% (tỷ lệ đạt) = 4,00." in text
    assert (
        "2,50 × 0,75 (hoàn thành chậm: hệ số của bộ tiêu chí) = 1,875. Phiếu nộp ngày 08/05/2026, hạn nộp ngày 05/05/2026."
        in text
    )


# --- the quarter report and the ward summary --------------------------------------------------------------


def test_the_quarter_report_of_29_kh_du_is_compact(month):
    plan = Plan.objects.get(number="29-KH/ĐU")
    assert plan.tasks.count() == 30
    data = render("quarter_report_pdf", plan=plan, year=2026, quarter=2)[2]
    reader, pages = pdf_text(data)
    assert len(reader.pages) <= 6
    text = " ".join(pages)
    assert "Nhóm NHÓM" not in text and "Nhóm 1. Công tác lãnh đạo, chỉ đạo - tuyên truyền" in text
    schools = OrgUnit.objects.filter(ward__code="LB", kind=OrgUnit.Kind.SCHOOL).count()
    assert f"Nhà trường ({schools})" in text or f"Các trường ({schools})" in text  # a collective, counted
    assert "Trường Tiểu học Ánh Dương (demo)" not in text.split("PHỤ LỤC 3")[0]  # not every school by name
    assert "Nhiệm vụ quá hạn" in text and "Mốc" in text


def test_the_ward_summary_ranks_units_with_shared_places_legend_and_counts(month):
    from reports.documents import ward_summary

    ward = OrgUnit.objects.get(code="LB")
    doc = ward_summary(ward, date(2026, 3, 1))
    _, lines, _, _ = doc.blocks[0]
    totals = [line.total for line in lines if line.total is not None]
    assert totals == sorted(totals, reverse=True) and lines[0].place == 1
    assert all(line.place is None for line in lines[len(totals) :])
    counts = doc.rank_counts
    assert sum(counts.values()) == len(lines) and counts["Chưa có phiếu"] == len(lines) - 3
    text = " ".join(pdf_text(render("ward_summary_pdf", ward=ward, month=date(2026, 3, 1))[2])[1])
    assert "N1 Lãnh đạo, chỉ đạo - tuyên truyền (15,00 điểm)" in text and "Hạng" in text
    assert "Chưa xếp loại" in text and "Chưa có phiếu" in text


def test_ties_share_a_place():
    from reports.documents import SummaryLine, rank_places

    lines = [SummaryLine(None, "", total, None, {}, None, None) for total in
             (Decimal("80"), None, Decimal("92.5"), Decimal("80"), Decimal("70"))]  # fmt: skip
    assert [(line.total, line.place) for line in rank_places(lines)] == [
        (Decimal("92.5"), 1), (Decimal("80"), 2), (Decimal("80"), 2), (Decimal("70"), 4), (None, None)]  # fmt: skip


# --- workbooks ------------------------------------------------------------------------------------------


def test_workbooks_have_integers_dates_filters_and_row_heights(month):
    ward = OrgUnit.objects.get(code="LB")
    book = load_workbook(BytesIO(render("ward_summary_xlsx", ward=ward, month=date(2026, 3, 1))[2]))
    summary = book["Tổng hợp"]
    first = summary.cell(6, 1)
    assert (first.value, first.number_format) == (1, "0") and isinstance(first.value, int)
    assert summary.auto_filter.ref and summary.auto_filter.ref.startswith("A5:")
    assert summary.print_title_rows == "$5:$5" and summary.page_setup.fitToWidth == 1
    card_sheet = book["LB-VHXH"]
    heights = [card_sheet.row_dimensions[r].height for r in range(6, card_sheet.max_row + 1)]
    assert any(h and h > 15 for h in heights)  # wrapped rows are tall enough to read

    plan = Plan.objects.get(number="29-KH/ĐU")
    book = load_workbook(BytesIO(render("quarter_report_xlsx", plan=plan, year=2026, quarter=2)[2]))
    tasks = book["Nhiệm vụ"]
    header = [c.value for c in tasks[5]]
    due = tasks.cell(6, header.index("Hạn") + 1)
    assert isinstance(due.value, datetime) and due.number_format == "dd/mm/yyyy"
    assert tasks.auto_filter.ref == f"A5:K{tasks.max_row}"
    assert all(sheet.auto_filter.ref for sheet in book)


def test_the_scorecard_workbook_dates_the_review_and_approval(judged):
    from django.utils import timezone

    card = judged["card"]
    _, rows = sheet_rows(load_workbook(BytesIO(render("scorecard_xlsx", scorecard=card)[2])).active)
    for label, moment in [("Người thẩm định", card.reviewed_at), ("Người phê duyệt", card.approved_at)]:
        day = next(v for v in rows[label].values() if isinstance(v, datetime))
        assert day.date() == timezone.localtime(moment).date(), label


def test_control_characters_typed_by_users_never_break_a_workbook(month):
    card = Scorecard.objects.get(pk=month["mttq"].pk)  # a draft the unit is still writing
    scorecard_update_entries(scorecard=card, by=None, version=card.version, entries={
        "1.3": EntryInput(Result.DONE, evidence_note="Dòng một\x0bdòng hai\x01\x02", comment="=1+1\x0cTiếp\x1f")})  # fmt: skip
    book = load_workbook(BytesIO(render("scorecard_xlsx", scorecard=Scorecard.objects.get(pk=card.pk))[2]))
    _, rows = sheet_rows(book.active)
    assert rows["1.3"]["Ghi chú minh chứng"] == "Dòng một\ndòng hai"
    assert rows["1.3"]["Nhận xét"] == "=1+1\nTiếp"  # still text, never a formula


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) không được cài đặt: bỏ qua"
)
def test_every_workbook_survives_conversion_by_libreoffice(month, tmp_path):
    plan, ward = Plan.objects.get(number="29-KH/ĐU"), OrgUnit.objects.get(code="LB")
    for name, identifier, form in [
        ("phieu", "scorecard_xlsx", {"scorecard": month["vhxh"]}),
        ("tong-hop", "ward_summary_xlsx", {"ward": ward, "month": date(2026, 3, 1)}),
        ("quy", "quarter_report_xlsx", {"plan": plan, "year": 2026, "quarter": 2}),
    ]:
        source = tmp_path / f"{name}.xlsx"
        source.write_bytes(render(identifier, **form)[2])
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                        "pdf", "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=120)  # fmt: skip
        text = " ".join(pdf_text((tmp_path / f"{name}.pdf").read_bytes())[1])
        assert "Phòng Văn hóa - Xã hội" in text or "Toàn kế hoạch" in text, name


# --- the bundle -----------------------------------------------------------------------------------------


def test_a_wards_month_is_one_zip_of_readable_pdfs(month, tmp_path):
    from reports.bundle import ward_bundle

    ward = OrgUnit.objects.get(code="LB")
    data = ward_bundle(ward, date(2026, 3, 1), workers=2)
    with zipfile.ZipFile(BytesIO(data)) as archive:
        names = archive.namelist()
        assert names[0] == "tong-hop-kpi-2026-03-lb.pdf"
        assert sorted(names[1:]) == [
            f"phieu-kpi/phieu-kpi-2026-03-{c}.pdf" for c in ("lb-ca", "lb-mttq", "lb-vhxh")
        ]
        vhxh = pdf_text(archive.read("phieu-kpi/phieu-kpi-2026-03-lb-vhxh.pdf"))[1]
        assert "Phòng Văn hóa - Xã hội" in vhxh[0] and "Giải trình điểm" in " ".join(vhxh)
        assert "Kết quả đánh giá KPI tháng 03/2026" in pdf_text(archive.read(names[0]))[1][0]
    out = StringIO()
    call_command("export_ward_bundle", "--ward", "Long Biên", "--month", "2026-03", "-o", str(tmp_path / "b.zip"),
                 "--workers", "1", stdout=out)  # fmt: skip
    assert "4 văn bản (tổng hợp và 3 phiếu)" in out.getvalue()
    assert zipfile.ZipFile(tmp_path / "b.zip").namelist() == names


def test_a_streamed_workbook_keeps_filters_heights_and_types(month):
    """Beyond STREAM_FROM_UNITS units (and for the city) sheets are written row by row: the same rules hold."""
    from openpyxl import Workbook

    from reports.exports import Sheet, _save

    book = Workbook(write_only=True)
    table = Sheet(
        book.create_sheet("Thử"), ["TIÊU ĐỀ"], [("STT", 6), ("Nội dung", 10), ("Ngày", 12)], stream=True
    )
    table.append([1, "Một đoạn chữ dài hơn độ rộng của cột\x0bxuống dòng\x01", date(2026, 3, 5)], border=True)
    table.end_table()
    sheet = load_workbook(BytesIO(_save(book)))["Thử"]
    assert (sheet.cell(4, 1).value, sheet.cell(4, 1).number_format) == (1, "0")
    assert sheet.cell(4, 2).value == "Một đoạn chữ dài hơn độ rộng của cột\nxuống dòng"
    assert sheet.cell(4, 3).value == datetime(2026, 3, 5) and sheet.cell(4, 3).number_format == "dd/mm/yyyy"
    assert sheet.row_dimensions[4].height > 45 and sheet.auto_filter.ref == "A3:C4"
    assert sheet.print_title_rows == "$3:$3" and sheet.page_setup.fitToWidth == 1

    city = load_workbook(
        BytesIO(render("city_month_xlsx", city=OrgUnit.objects.get(code="HN"), month=date(2026, 3, 1))[2])
    )
    sheet = city.worksheets[0]
    assert sheet.auto_filter.ref.startswith("A4:") and sheet.max_row > 4
