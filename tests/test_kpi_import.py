"""Past months from Excel: import_assessments then kpi_summary, against a hand computation."""

import json
from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from kpi.models import Rubric, Scorecard, ScoreEntry, Transition
from kpi.scoring import Result
from kpi.services import (
    scorecard_approve,
    scorecard_get_or_create,
    scorecard_return,
    scorecard_review,
    scorecard_submit,
)
from tests.kpi_helpers import accept_not_applicable, settle

SENT_AT = datetime(2026, 4, 3, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
HEADER = ["Tháng", "Đơn vị", "Mã tiêu chí", "Kết quả", "Tỷ lệ đạt", "Điểm thẩm định", "Ghi chú", "Minh chứng"]

GOOD_ROWS = [
    ["03/2026", "Phòng VHXH", "1.1", "Hoàn thành", None, None, None, "Văn bản số 15/UBND-VHXH"],
    ["03/2026", "P.VHXXH", "1.2", "hoan thanh cham", None, None, None, None],
    ["03/2026", "Phòng Văn hóa - Xã hội", "2.1", "Hoàn thành một phần", 0.5, None, None, None],
    ["03/2026", "Phòng VH-XH", "3.1", "HOÀN THÀNH CHẬM, MỘT PHẦN", "80%", None, None, None],
    ["03/2026", "Phòng VHXH", "4.1", "Không hoàn thành", None, None, "Chưa triển khai", None],
    ["03/2026", "Phòng VHXH", "7.1", "Hoàn thành", None, 2, "Nộp trễ 1 ngày", None],
    ["03/2026", "CA phường", "1.1", "Hoàn thành", None, None, None, None],
]


def workbook(path, rows, *, title_rows=True):
    book = Workbook()
    sheet = book.active
    sheet.title = "Điểm KPI"
    if title_rows:
        sheet.append(["BẢNG ĐIỂM KPI CÁC THÁNG TRƯỚC"])
        sheet.append([])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as a careless copy-paste leaves it
    book.save(path)
    return path


def summary(month="2026-03", **options):
    out = StringIO()
    call_command("kpi_summary", month=month, json=True, stdout=out, **options)
    return {row["unit"]: row for row in json.loads(out.getvalue())}


def rank_at_any_share(rubric):
    """These sheets score a few criteria each, far below the rubric's 50% of points needed for a rank (the
    low-applicability rule, tested with the scoring): lift it so the hand-computed ranks below are checked."""
    Rubric.objects.filter(pk=rubric.pk).update(min_applicable_percent=0)


def run_import(path, **options):
    out, err = StringIO(), StringIO()
    call_command("import_assessments", str(path), stdout=out, stderr=err, **options)
    return out.getvalue()


def test_it_imports_past_months_and_summarises_them_to_the_hundredth(rubric, world, tmp_path):
    rank_at_any_share(rubric)
    path = workbook(tmp_path / "diem.xlsx", GOOD_ROWS)
    assert "tạo 2 phiếu mới" in run_import(path, dry_run=True)
    assert Scorecard.objects.count() == 0

    output = run_import(path)
    assert "2 phiếu mới" in output
    card = Scorecard.objects.get(unit=world.vhxh, month=date(2026, 3, 1))
    assert card.state == Scorecard.State.REVIEWED
    assert Transition.objects.get(scorecard=card).to_state == Scorecard.State.REVIEWED
    assert card.entries.get(criterion__code="1.1").evidence_note == "Văn bản số 15/UBND-VHXH"
    assert card.entries.get(criterion__code="5.1").result == Result.NOT_APPLICABLE  # not mentioned

    # By hand: applicable 3.75 + 3.75 + 5 + 3.75 + 5 + 2.50 = 23.75;
    # achieved 3.75 + 3.75×0.75 + 5×0.5 + 3.75×0.8×0.75 + 0 + 2 (by hand) = 13.3125;
    # total 13.3125 / 23.75 × 100 = 56.0526… → 56.05, below 65: Không hoàn thành.
    rows = summary()
    vhxh = rows["Phòng Văn hóa - Xã hội"]
    assert vhxh["total"] == "56.05"
    assert vhxh["applicable"] == "23.75"
    assert vhxh["rank"] == "Không hoàn thành"
    assert vhxh["state"] == "reviewed"
    assert vhxh["groups"] == {
        "1": "6.56", "2": "2.50", "3": "2.25", "4": "0.00", "5": "0.00", "6": "0.00", "7": "2.00",
    }  # fmt: skip
    police = rows["Công an phường Thử Một"]
    assert (police["total"], police["rank"], police["applicable"]) == (
        "100.00",
        "Hoàn thành xuất sắc",
        "3.75",
    )
    school = rows["Trường Mầm non A"]
    assert (school["state"], school["total"], school["rank"]) == (None, None, None)

    only = summary(unit="CA phường")
    assert list(only) == ["Công an phường Thử Một"]


def test_it_reimports_a_returned_month_in_place_and_leaves_unmentioned_criteria_not_applicable(
    rubric, world, people, tmp_path
):
    run_import(workbook(tmp_path / "a.xlsx", GOOD_ROWS))
    card = Scorecard.objects.get(unit=world.vhxh)
    scorecard_return(scorecard=card, by=people.bob, reason="Nhập lại theo bảng điểm đã sửa")
    run_import(
        workbook(
            tmp_path / "b.xlsx",
            [["03/2026", "Phòng VHXH", "1.1", "Không hoàn thành", None, None, None, None]],
        )
    )
    assert Scorecard.objects.filter(unit=world.vhxh).count() == 1
    assert summary()["Phòng Văn hóa - Xã hội"]["total"] == "0.00"
    unmentioned = Scorecard.objects.get(unit=world.vhxh).entries.get(criterion__code="1.2")
    assert unmentioned.result == Result.NOT_APPLICABLE
    assert unmentioned.na_reason == "Không có trong bảng điểm nhập từ tệp b.xlsx."


@pytest.mark.parametrize(
    ("state", "words"),
    [(Scorecard.State.SUBMITTED, "đã được nộp"), (Scorecard.State.REVIEWED, "đã được thẩm định")],
)
def test_it_refuses_to_import_over_a_sent_month_and_writes_nothing(
    rubric, world, people, tmp_path, state, words
):
    card = settle(scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=date(2026, 3, 1)))
    scorecard_submit(scorecard=card, by=people.alice, at=SENT_AT)
    if state == Scorecard.State.REVIEWED:
        scorecard_review(scorecard=accept_not_applicable(card), by=people.bob)
    before = (ScoreEntry.objects.count(), Transition.objects.count())
    err = StringIO()
    with pytest.raises(CommandError, match="Không có gì được ghi"):
        call_command(
            "import_assessments", str(workbook(tmp_path / "x.xlsx", GOOD_ROWS)), stdout=StringIO(), stderr=err
        )
    # The header is row 3: Phòng VH-XH's rows are 4 to 9, each refused by name, month and row.
    assert (
        f"Trang “Điểm KPI”, dòng 4, cột “Tháng”: phiếu KPI tháng 03/2026 của Phòng Văn hóa - Xã hội {words}: "
        "không nhập đè (chỉ nhập được vào tháng chưa có phiếu hoặc phiếu còn nháp)." in err.getvalue()
    )
    assert "dòng 9, cột “Tháng”" in err.getvalue()
    assert Scorecard.objects.get(unit=world.vhxh).state == state
    assert not Scorecard.objects.filter(unit=world.police).exists()
    assert (ScoreEntry.objects.count(), Transition.objects.count()) == before


def test_it_imports_a_later_month_beside_a_sent_one_on_one_card_each(rubric, world, people, tmp_path):
    card = settle(scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=date(2026, 3, 1)))
    scorecard_submit(scorecard=card, by=people.alice, at=SENT_AT)
    april = [["04/2026", *row[1:]] for row in GOOD_ROWS]
    run_import(workbook(tmp_path / "t4.xlsx", april))
    assert sorted(Scorecard.objects.filter(unit=world.vhxh).values_list("month", "state")) == [
        (date(2026, 3, 1), Scorecard.State.SUBMITTED),
        (date(2026, 4, 1), Scorecard.State.REVIEWED),
    ]


BAD = [
    (["13/2026", "Phòng VHXH", "1.3", "Hoàn thành", None, None, None, None], "Tháng", "tháng phải từ 1 đến 12"),
    (["03/2026", "Phòng Không Có", "1.1", "Hoàn thành", None, None, None, None], "Đơn vị", "không tìm thấy đơn vị"),
    (["03/2026", "Phòng VHXH", "9.9", "Hoàn thành", None, None, None, None], "Mã tiêu chí", "không có mã “9.9”"),
    (["03/2026", "Phòng VHXH", "1.3", "Xong", None, None, None, None], "Kết quả", "kết quả “Xong” không hợp lệ"),
    (["03/2026", "Phòng VHXH", "1.3", "Hoàn thành một phần", 1.5, None, None, None], "Tỷ lệ đạt", "phải từ 0 đến 1"),
    (["03/2026", "Phòng VHXH", "1.3", "Hoàn thành một phần", None, None, None, None], "Tỷ lệ đạt", "cần tỷ lệ đạt"),
    (["03/2026", "Phòng VHXH", "1.3", "Hoàn thành", None, 4, "Lý do", None], "Điểm thẩm định", "vượt quá khoảng 0–3,75 của tiêu chí 1.3"),
    (["03/2026", "Phòng VHXH", "1.3", "Hoàn thành", None, 2, None, None], "Ghi chú", "cần ghi lý do"),
    (["03/2026", "Phòng VHXH", "1.3", "Hoàn thành", None, None, "=HYPERLINK(\"x\")", None], "Ghi chú", "giống công thức"),
    (["2026-03x", "Phòng VHXH", "1.3", "Hoàn thành", None, None, None, None], "Tháng", "không hợp lệ"),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "column", "message"), BAD, ids=[b[2] for b in BAD])
def test_it_refuses_a_file_with_any_bad_row_and_writes_nothing(rubric, world, tmp_path, bad, column, message):
    path = workbook(tmp_path / "bad.xlsx", [*GOOD_ROWS, bad])
    err = StringIO()
    with pytest.raises(CommandError, match=r"1 lỗi trong bad\.xlsx\. Không có gì được ghi\."):
        call_command("import_assessments", str(path), stdout=StringIO(), stderr=err)
    # The title rows push the header to row 3, so the bad row (the 8th of data) is row 11.
    assert f"Trang “Điểm KPI”, dòng 11, cột “{column}”: " in err.getvalue()
    assert message in err.getvalue()
    assert Scorecard.objects.count() == 0
    assert ScoreEntry.objects.count() == 0


def test_it_reports_a_criterion_given_twice(rubric, world, tmp_path):
    path = workbook(tmp_path / "twice.xlsx", [*GOOD_ROWS, GOOD_ROWS[0]])
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_assessments", str(path), stdout=StringIO(), stderr=err)
    assert (
        "dòng 11, cột “Mã tiêu chí”: tiêu chí 1.1 của đơn vị này trong tháng này đã có ở dòng trên."
        in err.getvalue()
    )


def test_it_refuses_to_overwrite_an_approved_month(rubric, world, people, tmp_path):
    card = settle(scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=date(2026, 3, 1)))
    scorecard_submit(scorecard=card, by=people.alice, at=SENT_AT)
    scorecard_review(scorecard=accept_not_applicable(card), by=people.bob)
    scorecard_approve(scorecard=card, by=people.charlie)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_assessments", str(workbook(tmp_path / "x.xlsx", GOOD_ROWS)), stdout=StringIO(), stderr=err
        )
    assert "đã được phê duyệt: không nhập đè" in err.getvalue()
    assert not Scorecard.objects.filter(unit=world.police).exists()  # nothing else was written either


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a spreadsheet", "không phải là bảng tính Excel .xlsx"),
        (b"PK\x03\x04broken zip", "không phải là bảng tính Excel .xlsx"),
    ],
)
def test_it_refuses_files_that_are_not_spreadsheets(rubric, tmp_path, content, message):
    path = tmp_path / "diem.xlsx"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run_import(path)


def test_it_refuses_a_sheet_without_the_required_columns(rubric, tmp_path):
    book = Workbook()
    book.active.append(["Tháng", "Mã tiêu chí", "Ghi chú"])
    book.active.append(["03/2026", "1.1", ""])
    book.save(tmp_path / "thieu.xlsx")
    with pytest.raises(CommandError, match="thiếu cột bắt buộc: Đơn vị, Kết quả"):
        run_import(tmp_path / "thieu.xlsx")


@pytest.mark.parametrize(
    ("month", "message"), [("2026-13", "tháng phải từ 1 đến 12"), ("03/2026x", "không hợp lệ")]
)
def test_it_refuses_a_bad_month_or_unit_on_the_summary(rubric, month, message):
    with pytest.raises(CommandError, match=message):
        summary(month=month)
    with pytest.raises(CommandError, match="Không tìm thấy đơn vị “Phòng Ma”"):
        summary(unit="Phòng Ma")


def test_it_prints_a_readable_table_too(rubric, world, tmp_path):
    rank_at_any_share(rubric)
    run_import(workbook(tmp_path / "a.xlsx", GOOD_ROWS))
    out = StringIO()
    call_command("kpi_summary", month="2026-03", stdout=out)
    assert "KPI tháng 03/2026: 3 đơn vị" in out.getvalue()
    # Imported months count as sent, but when they were sent is unknown: no timeliness rate.
    assert f"{rubric.plan.number}: đã nộp 2/3 (đầy đủ 66.67%), đúng hạn 0/0 (—)" in out.getvalue()
    assert (
        "Phòng Văn hóa - Xã hội | Đã thẩm định | 56.05 | Không hoàn thành | áp dụng 23.75" in out.getvalue()
    )
    assert Decimal("56.05")  # the same figure as the JSON


def test_it_never_gives_an_approved_month_a_second_card_on_a_new_rubric_version(
    rubric, world, people, tmp_path, client
):
    """The issue's own case: the rubric copied to a new version in the admin, then past scores imported for a
    month already approved on the old one."""
    from tests.factories import UserFactory

    card = settle(scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=date(2026, 3, 1)))
    scorecard_submit(scorecard=card, by=people.alice, at=SENT_AT)
    scorecard_review(scorecard=accept_not_applicable(card), by=people.bob)
    scorecard_approve(scorecard=card, by=people.charlie)
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    client.post(
        "/admin/kpi/rubric/", {"action": "copy_as_new_version", "_selected_action": [rubric.pk]}, follow=True
    )
    assert rubric.plan.rubrics.count() == 2
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_assessments", str(workbook(tmp_path / "x.xlsx", GOOD_ROWS)), stdout=StringIO(), stderr=err
        )
    assert "03/2026" in err.getvalue() and "Phòng Văn hóa - Xã hội" in err.getvalue()
    assert list(Scorecard.objects.filter(unit=world.vhxh).values_list("pk", "state", "rubric_id")) == [
        (card.pk, Scorecard.State.APPROVED, rubric.pk)
    ]
