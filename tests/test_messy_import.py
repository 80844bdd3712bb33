"""Appendices of other wards, as their clerks write them, and files that try to break the readers.

Every document here is built by the test itself; none is shaped after the seed plans.
"""

import re
import zipfile
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from plans.models import CollectiveAlias, OrgUnit, Plan
from tasks.plan_import import import_plan
from tests.test_plan_import import fails, run  # the same command runners

HEADER = ["TT", "Nội dung công việc", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời gian", "Sản phẩm"]

# Numbering that starts again under each Roman group; lists of units as bullets, semicolons and line breaks;
# a full name with commas inside ("Phòng Kinh tế, Hạ tầng và Đô thị") next to another name after a comma.
RESTARTING = [
    ["KẾ HOẠCH THỰC HIỆN NĂM 2026"],
    [],
    HEADER,
    ["I. CÔNG TÁC TUYÊN TRUYỀN"],
    [1, "Tuyên truyền trên loa", "- UBND phường;\n- Phòng VHXH.", "• Đoàn TN\n• các trường", "Quý I/2026", "Tin"],
    [2, "Hội nghị quán triệt", "Phòng VH-XH", "Phòng Kinh tế, Hạ tầng và Đô thị, Công an phường", "Tháng 2/2026",
     "Biên bản"],
    ["II. AN TOÀN TRƯỜNG HỌC"],
    [1, "Rà soát cổng trường", "Công an phường", "UBND phường / Phòng VHXH", "Quý II/2026", "Báo cáo"],
    [2, "Kiểm tra bếp ăn", "P.VHXH", "Công an; các trường", "Tháng 9/2026", "Kết luận"],
    [2.1, "Kiểm tra bếp ăn bán trú", "P.VHXH", "", "Tháng 9/2026", "Kết luận"],
]  # fmt: skip


def sheet_file(path, rows, title="Phụ lục"):
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def codes(units):
    return sorted(u.code for u in units.all())


def test_numbering_that_restarts_per_group_becomes_codes_from_the_group(world, tmp_path):
    path = sheet_file(tmp_path / "pl.xlsx", RESTARTING)
    args = ["--plan", "8/KH-UBND", "--issuer", "T-W1-UBND"]
    assert "5 mới" in run(path, *args)
    plan = Plan.objects.get(number="8/KH-UBND")
    tasks = {t.code: t for t in plan.tasks.select_related("group", "parent")}
    assert sorted(tasks) == ["I.1", "I.2", "II.1", "II.2", "II.2.1"]
    assert [(t.stt, t.group.code) for t in (tasks["I.1"], tasks["II.1"])] == [("1", "I"), ("1", "II")]
    assert tasks["II.2.1"].parent == tasks["II.2"]  # "2.1" under the "2" of its own group

    # Bullets, semicolons, line breaks and "/" separate names; a comma inside a known name does not.
    assert codes(tasks["I.1"].lead_units) == ["T-W1-UBND", "T-W1-VHXH"]
    assert codes(tasks["I.1"].coordinating_units) == ["T-W1-DTN", "T-W1-MN", "T-W1-TH"]
    assert codes(tasks["I.2"].coordinating_units) == ["T-W1-CA", "T-W1-KT"]
    assert codes(tasks["II.1"].coordinating_units) == ["T-W1-UBND", "T-W1-VHXH"]

    # Re-importing matches by those codes; a change lands on the task of its own group.
    assert "0 mới, 0 cập nhật, 5 không đổi" in run(path, *args)
    edited = [list(r) for r in RESTARTING]
    edited[7][1] = "Rà soát cổng trường và biển báo"
    assert "0 mới, 1 cập nhật, 4 không đổi" in run(sheet_file(tmp_path / "b.xlsx", edited), *args)
    plan.refresh_from_db()
    assert plan.tasks.get(code="II.1").content == "Rà soát cổng trường và biển báo"
    assert plan.tasks.get(code="I.1").content == "Tuyên truyền trên loa"


def test_an_stt_repeated_inside_one_group_is_still_an_error(world, tmp_path):
    rows = [*RESTARTING, [1, "Nhiệm vụ thêm", "Công an phường", "", "Quý IV/2026", ""]]
    _, details = fails(sheet_file(tmp_path / "pl.xlsx", rows), "--plan", "8/KH-UBND", "--issuer", "T-W1-UBND")
    assert "dòng 11, cột “STT”: STT 1 đã có ở dòng 8 trong nhóm II." in details


def test_an_exported_plan_numbered_per_group_imports_back_unchanged(world, tmp_path):
    run(sheet_file(tmp_path / "pl.xlsx", RESTARTING), "--plan", "8/KH-UBND", "--issuer", "T-W1-UBND")
    target = tmp_path / "out.xlsx"
    call_command(
        "export_plan", "--plan", "8/KH-UBND", "--format", "xlsx", "-o", str(target), stderr=StringIO()
    )
    assert "0 mới, 0 cập nhật, 5 không đổi" in run(target, "--plan", "8/KH-UBND")


def test_unknown_text_between_known_names_stays_one_name(world, tmp_path):
    rows = [HEADER, [1, "Quy hoạch mạng lưới trường", "UBND phường", "Phòng KT, HT và ĐT, Công an phường",
                     "Quý I/2026", ""]]  # fmt: skip
    path = sheet_file(tmp_path / "pl.xlsx", rows)
    _, details = fails(path, "--plan", "9/KH-UBND", "--issuer", "T-W1-UBND")
    assert "Đơn vị chưa có: “Phòng KT, HT và ĐT” (dòng 2)" in details
    assert "“HT”" not in details

    before = OrgUnit.objects.count()
    assert "Đơn vị tạo mới (1): Phòng KT, HT và ĐT" in run(path, "--plan", "9/KH-UBND", "--issuer", "T-W1-UBND",
                                                           "--create-units")  # fmt: skip
    assert OrgUnit.objects.count() == before + 1
    task = Plan.objects.get(number="9/KH-UBND").tasks.get()
    assert codes(task.coordinating_units) == sorted(
        [OrgUnit.objects.get(name="Phòng KT, HT và ĐT").code, "T-W1-CA"]
    )
    assert task.unresolved_units == []


def test_an_empty_or_unresolved_lead_cell_is_an_error_unless_accepted(world, tmp_path):
    CollectiveAlias.objects.create(text="các đơn vị liên quan", kinds=[])
    rows = [
        HEADER,
        [1, "Nhiệm vụ có chủ trì", "UBND phường", "", "Quý I/2026", ""],
        [2, "Nhiệm vụ bỏ trống chủ trì", None, "Phòng VHXH", "Quý I/2026", ""],
        [3, "Nhiệm vụ chủ trì chung chung", "Các đơn vị liên quan", "", "Quý I/2026", ""],
        [4, "Nhiệm vụ chủ trì lạ", "Ban Chỉ đạo 35", "", "Quý I/2026", ""],
    ]
    path = sheet_file(tmp_path / "pl.xlsx", rows)
    args = ["--plan", "10/KH-UBND", "--issuer", "T-W1-UBND"]
    error, details = fails(path, *args)
    assert "3 lỗi" in error
    assert "dòng 3, cột “Đơn vị chủ trì”: thiếu đơn vị chủ trì (cột bắt buộc)." in details
    assert (
        "dòng 4, cột “Đơn vị chủ trì”: không xác định được đơn vị chủ trì từ “Các đơn vị liên quan”."
        in details
    )
    assert "dòng 5, cột “Đơn vị chủ trì”: không có đơn vị “Ban Chỉ đạo 35”" in details
    assert "--allow-no-lead" in details
    assert not Plan.objects.exists()

    run(path, *args, "--allow-no-lead")
    tasks = {t.code: t for t in Plan.objects.get(number="10/KH-UBND").tasks.all()}
    assert [codes(tasks[c].lead_units) for c in "234"] == [[], [], []]
    assert tasks["4"].unresolved_units == ["Ban Chỉ đạo 35"]  # kept, for someone to resolve
    assert not OrgUnit.objects.filter(name="Ban Chỉ đạo 35").exists()


def test_every_error_of_every_row_is_reported_with_a_cap(world, tmp_path):
    rows = [HEADER, *([f"x{i}", None, None, "", "Quý I/2026", ""] for i in range(150))]
    error, details = fails(
        sheet_file(tmp_path / "pl.xlsx", rows), "--plan", "11/KH-UBND", "--issuer", "T-W1-UBND"
    )
    # Three per row: the STT, the content and the lead.
    assert "450 lỗi" in error
    assert "dòng 2, cột “STT”: STT “x0” không hợp lệ" in details
    assert "dòng 2, cột “Nội dung nhiệm vụ”: thiếu nội dung nhiệm vụ." in details
    assert "… và 250 lỗi khác." in details
    assert len([line for line in details.splitlines() if line.startswith("Trang")]) == 200


def test_a_new_wards_plan_goes_in_with_one_run_and_a_second_run_changes_nothing(world, tmp_path):
    rows = [
        HEADER,
        ["I. TUYÊN TRUYỀN"],
        [1, "Ban hành kế hoạch", "- UBND phường Mới;", "- Phòng VHXH phường Mới;\n- Phòng VH-XH phường Mới.",
         "Tháng 1/2026", "Kế hoạch"],
        [2, "Kiểm tra trường học", "Công an phường Mới", "Trường Tiểu học Mới 1, Trường Mầm non Mới 2",
         "Quý II/2026", ""],
        ["II. TỔNG KẾT"],
        [1, "Tổng kết", "UBND phường Mới", "Đoàn Thanh niên phường Mới", "Tháng 12/2026", "Báo cáo"],
    ]  # fmt: skip
    path = sheet_file(tmp_path / "moi.xlsx", rows)
    args = ["--plan", "1/KH-UBND-PM", "--issuer", "UBND phường Mới", "--ward", "Phường Mới", "--create-units"]
    before = OrgUnit.objects.count()
    output = run(path, *args)
    assert "3 mới" in output
    ward = OrgUnit.objects.get(name="Phường Mới")
    assert (ward.kind, ward.parent) == ("ward", world.city)
    new = {u.name: u for u in OrgUnit.objects.filter(ward=ward).exclude(pk=ward.pk)}
    # One unit per normalised name: "Phòng VHXH phường Mới" and "Phòng VH-XH phường Mới" are one.
    assert sorted(new) == ["Công an phường Mới", "Phòng VHXH phường Mới", "Trường Mầm non Mới 2",
                           "Trường Tiểu học Mới 1", "UBND phường Mới", "Đoàn Thanh niên phường Mới"]  # fmt: skip
    assert OrgUnit.objects.count() == before + 7
    assert [(new[n].kind, new[n].school_level) for n in ("UBND phường Mới", "Trường Mầm non Mới 2")] == [
        ("people_committee", ""), ("school", "MN")]  # fmt: skip
    plan = Plan.objects.get(number="1/KH-UBND-PM")
    assert plan.issuer == new["UBND phường Mới"]
    assert codes(plan.tasks.get(code="I.1").coordinating_units) == [new["Phòng VHXH phường Mới"].code]

    assert "0 mới, 0 cập nhật, 3 không đổi" in run(path, *args)
    assert OrgUnit.objects.count() == before + 7


def test_a_name_close_to_an_existing_unit_is_offered_never_created(world, tmp_path):
    rows = [HEADER, [1, "Nhiệm vụ A", "Phòng Văn hoá XH", "Trường Tiểu học D", "Quý I/2026", ""]]
    path = sheet_file(tmp_path / "pl.xlsx", rows)
    report = import_plan(path, plan_key="12/KH-UBND", issuer="T-W1-UBND", create_units=True, dry_run=True)
    assert report.similar_units == {"Phòng Văn hoá XH": world.vhxh}  # not "Trường Tiểu học B"
    assert "gần giống đơn vị có sẵn “Phòng Văn hóa - Xã hội” (T-W1-VHXH)" in str(report.problems[0])
    _, details = fails(path, "--plan", "12/KH-UBND", "--issuer", "T-W1-UBND", "--create-units")
    assert "gần giống" in details
    run(path, "--plan", "12/KH-UBND", "--issuer", "T-W1-UBND", "--create-units",
        "--map", "Phòng Văn hoá XH=T-W1-VHXH")  # fmt: skip
    task = Plan.objects.get(number="12/KH-UBND").tasks.get()
    assert codes(task.lead_units) == ["T-W1-VHXH"]
    assert world.vhxh.aliases.filter(text="Phòng Văn hoá XH").exists()
    assert OrgUnit.objects.filter(name="Trường Tiểu học D", kind="school", school_level="TH").exists()


def test_collective_phrases_with_a_qualifier_name_the_wards_units(world, tmp_path):
    rows = [HEADER, [1, "Nhiệm vụ A", "UBND phường", "Các trường trên địa bàn phường; đoàn thể của phường",
                     "Quý I/2026", ""]]  # fmt: skip
    run(sheet_file(tmp_path / "pl.xlsx", rows), "--plan", "13/KH-UBND", "--issuer", "T-W1-UBND")
    task = Plan.objects.get(number="13/KH-UBND").tasks.get()
    assert codes(task.coordinating_units) == ["T-W1-DTN", "T-W1-MN", "T-W1-TH"]


# --- files that try to break the readers ------------------------------------------------------------------


def rewrite_sheet(path, change):
    """Rewrite the first sheet's XML of an xlsx with `change(xml: str) -> str`."""
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    name = "xl/worksheets/sheet1.xml"
    members[name] = change(members[name].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for member, data in members.items():
            target.writestr(member, data)
    return path


GOOD = [HEADER, *([i, f"Nhiệm vụ {i}", "UBND phường", "", "Quý I/2026", ""] for i in range(1, 24))]


def test_a_sheet_whose_dimension_tag_lies_is_read_whole(world, tmp_path):
    path = sheet_file(tmp_path / "trap.xlsx", GOOD)
    rewrite_sheet(path, lambda xml: re.sub(r'<dimension ref="[^"]+"', '<dimension ref="A1:B1"', xml))
    assert "Đã nhập 23 nhiệm vụ" in run(path, "--plan", "14/KH-UBND", "--issuer", "T-W1-UBND")
    assert Plan.objects.get(number="14/KH-UBND").tasks.get(code="23").lead_text == "UBND phường"


def test_an_expansion_bomb_is_refused_before_it_is_read(world, tmp_path, settings):
    settings.IMPORT_MAX_EXPANDED_BYTES = 5 * 1024 * 1024
    path = sheet_file(tmp_path / "bomb.xlsx", GOOD)
    row = '<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    rewrite_sheet(path, lambda xml: xml.replace("</sheetData>", row * 200_000 + "</sheetData>"))
    assert path.stat().st_size < 200_000  # a small file that expands to about 10 MB
    error, _ = fails(path, "--plan", "15/KH-UBND", "--issuer", "T-W1-UBND")
    assert "quá giới hạn 5 MB" in error and "Không có gì được ghi." in error


def test_a_sheet_with_too_many_rows_is_refused(world, tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 20
    error, _ = fails(
        sheet_file(tmp_path / "long.xlsx", GOOD), "--plan", "16/KH-UBND", "--issuer", "T-W1-UBND"
    )
    assert "có hơn 20 dòng, quá giới hạn" in error


def test_malformed_sheet_xml_is_an_error_of_the_file(world, tmp_path):
    path = sheet_file(tmp_path / "broken.xlsx", GOOD)
    rewrite_sheet(path, lambda xml: xml.replace("</row>", "</rowx>", 5))
    error, _ = fails(path, "--plan", "17/KH-UBND", "--issuer", "T-W1-UBND")
    assert "Trang “Phụ lục” bị hỏng (nội dung XML không đọc được)" in error


def test_nan_infinity_and_overflow_cells_are_errors_of_their_cells(world, tmp_path):
    path = sheet_file(tmp_path / "nan.xlsx", GOOD)
    values = iter(["NaN", "INF", "1e9999"])
    # The STT cells of rows 2–4 are numbers: make them NaN, infinity and an overflowing number.
    rewrite_sheet(
        path,
        lambda xml: re.sub(r'(<c r="A[234]"[^>]*>)<v>\d+</v>', lambda m: f"{m[1]}<v>{next(values)}</v>", xml),
    )
    _, details = fails(path, "--plan", "18/KH-UBND", "--issuer", "T-W1-UBND")
    for row in (2, 3, 4):
        assert f"dòng {row}, cột “STT”: ô có giá trị không phải là số hữu hạn" in details


def test_a_formula_is_read_by_its_stored_result_or_refused(world, tmp_path):
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(
        [1, '=HYPERLINK("http://x","Nhiệm vụ có liên kết")', "UBND phường", "", "Quý I/2026", ""]
    )
    book.active.append([2, "=B2", "UBND phường", "", "Quý I/2026", ""])
    path = tmp_path / "f.xlsx"
    book.save(path)
    # As Excel saves it: the formula with its result. openpyxl writes none, like a script-made file.
    rewrite_sheet(path, lambda xml: re.sub(r'(<c r="B2"[^>]*)><f>(.*?)</f><v\s*/?>(</v>)?',
                                            r'\1 t="str"><f>\2</f><v>Nhiệm vụ có liên kết</v>', xml))  # fmt: skip
    _, details = fails(path, "--plan", "19/KH-UBND", "--issuer", "T-W1-UBND")
    assert "dòng 3, cột “Nội dung nhiệm vụ”: ô chứa công thức nhưng tệp không lưu kết quả" in details
    assert "dòng 2" not in details


def test_past_scores_refuse_nan_and_infinity_and_read_percent_cells(db, rubric, world, tmp_path):
    from kpi.imports import import_assessments
    from kpi.models import ScoreEntry
    from tests.test_kpi_import import HEADER as KPI_HEADER

    book = Workbook()
    book.active.append(KPI_HEADER)
    book.active.append(["03/2026", "Phòng VHXH", "1.1", "Hoàn thành một phần", 0.8, None, None, None])
    book.active["E2"].number_format = "0%"  # typed as 80% in Excel: stored 0.8
    book.active.append(["03/2026", "Phòng VHXH", "1.2", "Hoàn thành", None, "Infinity", "Lý do", None])
    book.active.append(["03/2026", "Phòng VHXH", "1.3", "Hoàn thành một phần", 12345, None, None, None])
    path = tmp_path / "kpi.xlsx"
    book.save(path)
    rewrite_sheet(path, lambda xml: xml.replace("<v>12345</v>", "<v>NaN</v>"))
    report = import_assessments(path, dry_run=True)
    messages = [str(e) for e in report.errors]
    assert any("dòng 3, cột “Điểm thẩm định”: “Infinity” không phải là số dùng được" in m for m in messages)
    assert any("dòng 4, cột “Tỷ lệ đạt”: ô có giá trị không phải là số hữu hạn" in m for m in messages)
    assert [r.ratio for r in report.rows] == [Decimal("0.8")]
    assert not ScoreEntry.objects.exists()


def test_the_units_sheet_declares_collective_phrases_an_appendix_then_uses(world, tmp_path):
    book = Workbook()
    book.active.append(["Mã", "Tên đầy đủ", "Loại", "Mã đơn vị cấp trên", "Cấp học", "Tên gọi tập thể"])
    book.active.append(
        ["T-W1-TH2", "Trường Tiểu học E", "Trường học", "T-W1", "TH", "các trường tiểu học; trường TH"]
    )
    units = tmp_path / "units.xlsx"
    book.save(units)
    call_command("import_data", "units", str(units), stdout=StringIO(), stderr=StringIO())
    phrase = CollectiveAlias.objects.get(text="các trường tiểu học")
    assert (phrase.kinds, phrase.school_level) == (["school"], "TH")
    rows = [HEADER, [1, "Nhiệm vụ A", "UBND phường", "Các trường tiểu học trên địa bàn", "Quý I/2026", ""]]
    run(sheet_file(tmp_path / "pl.xlsx", rows), "--plan", "20/KH-UBND", "--issuer", "T-W1-UBND")
    task = Plan.objects.get(number="20/KH-UBND").tasks.get()
    assert codes(task.coordinating_units) == ["T-W1-TH", "T-W1-TH2"]


def test_the_phrases_of_other_wards_are_known_from_the_start(world, tmp_path):
    party = OrgUnit.objects.create(code="T-W1-CB1", kind="party_cell", parent=world.ward, name="Chi bộ Khu 1")
    rows = [
        HEADER,
        [1, "Học tập nghị quyết", "Các chi, Đảng bộ trực thuộc Đảng ủy phường", "", "Quý I/2026", ""],
    ]
    run(sheet_file(tmp_path / "pl.xlsx", rows), "--plan", "21/KH-UBND", "--issuer", "T-W1-UBND")
    assert list(Plan.objects.get(number="21/KH-UBND").tasks.get().lead_units.all()) == [party]


def test_uploads_previewed_but_never_confirmed_are_deleted_after_a_day(settings, tmp_path):
    import os
    import time

    from django.core.files.uploadedfile import SimpleUploadedFile

    from plans.uploads import store_upload, upload_path

    settings.MEDIA_ROOT = tmp_path / "media"
    path = sheet_file(tmp_path / "x.xlsx", GOOD)
    content = path.read_bytes()
    old = upload_path(store_upload(SimpleUploadedFile("a.xlsx", content)))
    day_ago = time.time() - 24 * 3600 - 60
    os.utime(old, (day_ago, day_ago))
    fresh = upload_path(store_upload(SimpleUploadedFile("b.xlsx", content)))
    assert fresh.exists() and not old.exists()


@pytest.mark.parametrize("count", [30, 300])
def test_restarting_bulleted_appendices_take_the_same_queries_for_any_number_of_rows(
    world, tmp_path, count, django_assert_max_num_queries
):
    rows = [HEADER]
    for n in range(count):
        if n % 10 == 0:
            rows.append([f"NHÓM {n // 10 + 1}. Nhóm thử số {n // 10 + 1}"])
        rows.append([n % 10 + 1, f"Nhiệm vụ {n}", "- UBND phường;\n- Phòng VHXH.", f"Ban Mới {n % 7}, các trường",
                     "Quý II/2026", ""])  # fmt: skip
    path = sheet_file(tmp_path / "big.xlsx", rows)
    # The same ceiling at both sizes: the queries grow with the 7 new names (each unit is saved on its own, for
    # its path and ward), never with the rows or the groups.
    with django_assert_max_num_queries(130):
        report = import_plan(path, plan_key="30/KH-UBND", issuer="T-W1-UBND", create_units=True)
    assert report.created == count and report.restarted_numbering
    with django_assert_max_num_queries(25):
        assert import_plan(path, plan_key="30/KH-UBND").unchanged == count
