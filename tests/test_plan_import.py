"""Plan appendices as wards really write them, through import_plan and export_plan --format xlsx."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from kpi.models import Rubric
from kpi.seed import load_seed_data
from plans.models import OrgUnit, Plan
from plans.seed import load_units
from tasks.models import Task
from tasks.plan_import import import_plan
from tasks.seed import SEED_DIR, read_toml

SCHOOLS = ["LB-MN01", "LB-MN02", "LB-TH01", "LB-TH02", "LB-THCS01", "LB-THCS02"]


@pytest.fixture
def units(db):
    """The real org tree of phường Long Biên, with no plan: an "empty database" for plans."""
    load_units(read_toml(SEED_DIR / "units.toml"), "units.toml")


def sheet_file(path, rows, merges=()):
    book = Workbook()
    sheet = book.active
    sheet.title = "Phụ lục I"
    for row in rows:
        sheet.append(row)
    for merge in merges:
        sheet.merge_cells(merge)
    book.save(path)
    return path


def run(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_plan", str(path), *args, stdout=out, stderr=err)
    return out.getvalue()


def fails(path, *args):
    err = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_plan", str(path), *args, stdout=StringIO(), stderr=err)
    return str(exc.value), err.getvalue()


HEADER_001 = ["STT", "Nội dung công việc", "Đơn vị chủ trì", "Đơn vị tham mưu/phối hợp thực hiện", "Thời gian",
              "Sản phẩm/kết quả"]  # fmt: skip
# PHỤ LỤC I of seed 001, as a ward types it: title rows, merged group rows, the header under each group,
# multi-line cells, Phòng VH-XH written three ways, and NHÓM 5 repeating NHÓM 4.
MESSY_001 = [
    ["PHỤ LỤC I"],
    ["BIỂU NHIỆM VỤ TRỌNG TÂM THỰC HIỆN CHƯƠNG TRÌNH HÀNH ĐỘNG SỐ 05-CTr/TU"],
    [],
    HEADER_001,
    ["NHÓM 1. CÔNG TÁC LÃNH ĐẠO, CHỈ ĐẠO - TUYÊN TRUYỀN"],
    [1, "Ban hành Kế hoạch của Ban Thường vụ Đảng ủy\nphường", "Ban Thường vụ Đảng ủy phường", "VP Đảng ủy",
     "Tháng 01/2026", "Kế hoạch"],
    [2, "Ban hành Văn bản chỉ đạo thực hiện Kế hoạch", "UBND phường", "Phòng VHXH", "Tháng 01/2026", "Văn bản"],
    ["NHÓM 2. AN TOÀN TRƯỜNG HỌC -KỶ CƯƠNG, NỀ NẾP"],
    HEADER_001,
    [6, "Rà soát điều kiện an toàn trường học, cổng trường", "UBND phường", "Công an, nhà trường", "Quý I/2026",
     "Báo cáo rà soát"],
    [8, "Kiểm tra PCCC tại các cơ sở giáo dục", "UBND phường", "Công an PCCC", "1-2 đợt/năm", "Kết luận KT"],
    ["NHÓM 4. CHUYỂN ĐỔI SỐ - TRƯỜNG HỌC SỐ"],
    HEADER_001,
    [16, "Số hóa hồ sơ, dữ liệu giáo dục", "Nhà trường", "P.VHXXH", "2026-2027", "CSDL số"],
    [17, "Ứng dụng phần mềm quản lý trường học", "Nhà trường", "phong van hoa xa hoi", "Hằng năm", "Phần mềm vận hành"],
    ["NHÓM 5. Y TẾ HỌC ĐƯỜNG - THỂ CHẤT, DINH DƯỠNG"],
    [21, "Số hóa hồ sơ, dữ liệu giáo dục", "Nhà trường", "UBND phường", "2026–2027", "CSDL số"],
    [30, "Sơ kết, tổng kết việc thực hiện Kế hoạch", "Đảng ủy phường", "UBND phường,\nMTTQ", "Giữa kỳ, cuối kỳ",
     "Báo cáo sơ kết, tổng kết"],
]  # fmt: skip
MERGES = ["A5:F5", "A8:F8", "A12:F12", "A16:F16"]


def test_it_imports_a_messy_appendix_as_wards_write_it(units, tmp_path):
    path = sheet_file(tmp_path / "pl1.xlsx", MESSY_001, MERGES)
    output = run(
        path,
        "--plan",
        "29-KH/ĐU",
        "--issuer",
        "Ban Thường vụ Đảng ủy phường",
        "--title",
        "Thực hiện 05-CTr/TU",
    )
    assert (
        "Đã nhập 8 nhiệm vụ, 4 nhóm từ trang “Phụ lục I”: 8 mới, 0 cập nhật, 0 không đổi (tạo kế hoạch mới)."
        in output
    )
    assert "Dòng 17 (STT 21) trùng nội dung STT 16: đã đánh dấu." in output
    assert "dòng 18, STT 30: “Giữa kỳ, cuối kỳ”" in output

    plan = Plan.objects.get(number="29-KH/ĐU")
    assert (plan.issuer.code, plan.title, plan.status) == ("LB-BTV", "Thực hiện 05-CTr/TU", "issued")
    assert [(g.code, g.title) for g in plan.groups.order_by("order")] == [
        ("NHÓM 1", "CÔNG TÁC LÃNH ĐẠO, CHỈ ĐẠO - TUYÊN TRUYỀN"),
        ("NHÓM 2", "AN TOÀN TRƯỜNG HỌC -KỶ CƯƠNG, NỀ NẾP"),
        ("NHÓM 4", "CHUYỂN ĐỔI SỐ - TRƯỜNG HỌC SỐ"),
        ("NHÓM 5", "Y TẾ HỌC ĐƯỜNG - THỂ CHẤT, DINH DƯỠNG"),
    ]
    row8 = plan.tasks.get(code="8")
    assert (row8.group.code, row8.lead_units.get().code, row8.coordinating_units.get().code) == (
        "NHÓM 2",
        "LB-UBND",
        "LB-CA",
    )
    assert row8.parsed_schedule().times_per_year == (1, 2)
    assert plan.tasks.get(code="1").content == "Ban hành Kế hoạch của Ban Thường vụ Đảng ủy\nphường"
    # The same unit written three ways.
    for code in ("2", "16", "17"):
        assert plan.tasks.get(code=code).coordinating_units.get().code == "LB-VHXH", code
    assert sorted(u.code for u in plan.tasks.get(code="16").lead_units.all()) == SCHOOLS
    assert sorted(u.code for u in plan.tasks.get(code="6").coordinating_units.all()) == sorted(
        ["LB-CA", *SCHOOLS]
    )
    assert sorted(u.code for u in plan.tasks.get(code="30").coordinating_units.all()) == [
        "LB-MTTQ",
        "LB-UBND",
    ]
    assert plan.tasks.get(code="21").duplicate_of.code == "16"


def test_it_reads_columns_in_any_order_under_other_names(units, tmp_path):
    rows = [
        ["PHỤ LỤC: BIỂU PHÂN CÔNG NHIỆM VỤ VÀ TIẾN ĐỘ THỰC HIỆN"],
        ["Thời gian hoàn thành", "Sản phẩm", "Tên nhiệm vụ cụ thể", "Số TT", "Cơ quan phối hợp", "Cơ quan chủ trì"],
        ["Quý II/2026", "Báo cáo rà soát CSVC 2026", "1.1. Các tồn tại tối thiểu về cơ sở vật chất", "1",
         "P.KTHTĐT; BQLDA; CA phường; các trường", "Phòng VHXXH"],
        ["Quý IV/2026", "Báo cáo tổng hợp 2026", "7.1 → 7.4. Cơ chế tài chính, xã hội hóa, PPP", "40",
         "P.KTHTĐT; trường", "UBND phường / P.VHXXH"],
        ["Quý IV/2026", "Báo cáo triển khai", "3.4.1. Mô hình “Giáo viên liên kết”", "18", "Trường; DN", "Phòng VHXXH"],
    ]  # fmt: skip
    path = sheet_file(tmp_path / "pl.xlsx", rows)
    run(path, "--plan", "KH-NHAP-2026", "--issuer", "UBND phường")
    plan = Plan.objects.get(code="KH-NHAP-2026")
    assert (plan.number, plan.status) == ("", "draft")
    assert sorted(u.code for u in plan.tasks.get(code="1").coordinating_units.all()) == sorted(
        ["LB-KTHTDT", "LB-BQLDA", "LB-CA", *SCHOOLS]
    )
    assert sorted(u.code for u in plan.tasks.get(code="40").lead_units.all()) == ["LB-UBND", "LB-VHXH"]
    row18 = plan.tasks.get(code="18")
    assert (row18.coordinating_text, row18.unresolved_units) == ("Trường; DN", [])  # "DN" names no unit


def test_it_round_trips_a_plan_through_its_own_xlsx(db, tmp_path):
    load_seed_data()

    def snapshot(plan):
        return [
            (t.code, t.group.code if t.group else None, t.parent.code if t.parent else None, t.order, t.content,
             t.lead_text, t.coordinating_text, t.deliverable, t.deadline_text, t.schedule, t.notes,
             t.duplicate_of.code if t.duplicate_of else None, sorted(u.code for u in t.lead_units.all()),
             sorted(u.code for u in t.coordinating_units.all()))
            for t in plan.tasks.select_related("group", "parent", "duplicate_of").order_by("order")
        ]  # fmt: skip

    for key in ("29-KH/ĐU", "KH-UBND-LB-2026"):
        plan = Plan.objects.find(key)
        before = snapshot(plan)
        groups = list(plan.groups.order_by("order").values_list("code", "title"))
        target = tmp_path / "plan.xlsx"
        call_command("export_plan", "--plan", key, "--format", "xlsx", "-o", str(target), stderr=StringIO())
        issuer, title, code, issued = plan.issuer.code, plan.title, plan.code, (plan.issued_on, plan.status)
        Rubric.objects.filter(plan=plan).delete()
        plan.delete()
        assert not Task.objects.filter(plan__code=code).exists()

        run(target, "--plan", key)  # issuer, title, period… come from the file's "Thông tin kế hoạch" sheet
        again = Plan.objects.find(key)
        assert (again.code, again.issuer.code, again.title, again.period) == (
            code,
            issuer,
            title,
            (2026, 2030),
        )
        assert (again.issued_on, again.status) == issued
        assert list(again.groups.order_by("order").values_list("code", "title")) == groups
        assert snapshot(again) == before


def test_it_updates_tasks_by_stt_when_the_same_plan_is_imported_again(units, tmp_path):
    path = sheet_file(tmp_path / "a.xlsx", MESSY_001, MERGES)
    args = ["--plan", "29-KH/ĐU", "--issuer", "LB-BTV"]
    run(path, *args)
    assert "0 mới, 0 cập nhật, 8 không đổi" in run(path, *args)
    changed = [list(r) for r in MESSY_001]
    changed[9][5] = "Báo cáo rà soát (bản sửa)"
    output = run(sheet_file(tmp_path / "b.xlsx", changed, MERGES), *args)
    assert "0 mới, 1 cập nhật, 7 không đổi" in output
    plan = Plan.objects.get(number="29-KH/ĐU")
    assert plan.tasks.count() == 8
    assert plan.tasks.get(code="6").deliverable == "Báo cáo rà soát (bản sửa)"


def test_it_writes_nothing_on_a_dry_run(units, tmp_path):
    output = run(
        sheet_file(tmp_path / "a.xlsx", MESSY_001, MERGES),
        "--plan",
        "29-KH/ĐU",
        "--issuer",
        "LB-BTV",
        "--dry-run",
    )
    assert "Chạy thử — nếu ghi thật sẽ nhập 8 nhiệm vụ" in output
    assert "8 mới" in output
    assert not Plan.objects.exists()


def with_row(row):
    return [
        HEADER_001,
        [1, "Ban hành Kế hoạch", "UBND phường", "Phòng VHXH", "Tháng 01/2026", "Kế hoạch"],
        row,
    ]


BAD_ROWS = [
    ([2, "Tuyên truyền Kế hoạch", "Phòng Ma", "", "Thường xuyên", ""], "Đơn vị chủ trì", "không có đơn vị “Phòng Ma”"),
    ([2, "=HYPERLINK(\"http://x\")", "UBND phường", "", "", ""], "Nội dung nhiệm vụ", "dấu của công thức"),
    (["2a", "Tuyên truyền", "UBND phường", "", "", ""], "STT", "STT “2a” không hợp lệ"),
    ([1, "Tuyên truyền", "UBND phường", "", "", ""], "STT", "STT 1 đã có ở dòng 2"),
    ([None, "Tuyên truyền", "UBND phường", "", "Quý I/2026", ""], "STT", "thiếu STT"),
]  # fmt: skip


@pytest.mark.parametrize(("row", "column", "message"), BAD_ROWS, ids=[b[2] for b in BAD_ROWS])
def test_it_refuses_a_file_with_a_bad_row_and_says_where(units, tmp_path, row, column, message):
    rows = with_row(row)
    path = tmp_path / "bad.xlsx"
    book = Workbook()
    for values in rows:
        book.active.append(values)
    for cell in book.active[3]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
    book.save(path)
    error, details = fails(path, "--plan", "29-KH/ĐU", "--issuer", "LB-BTV")
    assert "Không có gì được ghi." in error
    assert f"dòng 3, cột “{column}”: " in details
    assert message in details
    assert not Plan.objects.exists()
    assert not Task.objects.exists()


def test_it_lists_unknown_units_with_their_rows_and_creates_them_when_asked(units, tmp_path):
    rows = [HEADER_001, [1, "Nhiệm vụ A", "Phòng Ma", "Ban Khác", "Quý I/2026", ""],
            [2, "Nhiệm vụ B", "UBND phường", "Phòng Ma", "Quý II/2026", ""]]  # fmt: skip
    path = sheet_file(tmp_path / "u.xlsx", rows)
    _, details = fails(path, "--plan", "29-KH/ĐU", "--issuer", "LB-BTV")
    assert "Đơn vị chưa có: “Ban Khác” (dòng 2); “Phòng Ma” (dòng 2, 3)" in details
    before = OrgUnit.objects.count()
    output = run(path, "--plan", "29-KH/ĐU", "--issuer", "LB-BTV", "--create-units")
    assert "Đơn vị tạo mới (2): Phòng Ma; Ban Khác" in output
    created = OrgUnit.objects.get(name="Phòng Ma")
    # Its kind from its name ("Phòng …"), so collectives and filters by kind see it.
    assert (created.ward.code, created.kind, OrgUnit.objects.count()) == ("LB", "department", before + 2)
    assert Plan.objects.get(number="29-KH/ĐU").tasks.get(code="2").coordinating_units.get() == created


def test_it_maps_an_unknown_name_to_an_existing_unit_and_remembers_it(units, tmp_path):
    rows = [HEADER_001, [1, "Nhiệm vụ A", "Phòng Văn hoá XH", "", "Quý I/2026", ""]]
    path = sheet_file(tmp_path / "m.xlsx", rows)
    vhxh = OrgUnit.objects.get(code="LB-VHXH")
    report = import_plan(path, plan_key="29-KH/ĐU", issuer="LB-BTV", unit_map={"Phòng Văn hoá XH": vhxh})
    assert report.written and not report.problems
    assert Plan.objects.get(number="29-KH/ĐU").tasks.get().lead_units.get() == vhxh
    assert import_plan(path, plan_key="29-KH/ĐU", dry_run=True).unknown_units == {}  # the alias is kept


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a spreadsheet at all", "không phải là bảng tính Excel .xlsx"),
        (b"PK\x03\x04 a broken zip", "không phải là bảng tính Excel .xlsx"),
        # A password-protected workbook is an OLE2 container, not a zip.
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "có mật khẩu"),
    ],
)
def test_it_refuses_files_it_cannot_read(units, tmp_path, content, message):
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    error, _ = fails(path, "--plan", "29-KH/ĐU", "--issuer", "LB-BTV")
    assert message in error
    assert "Không có gì được ghi." in error


def test_it_refuses_a_table_without_required_columns_or_rows(units, tmp_path):
    no_lead = sheet_file(
        tmp_path / "a.xlsx",
        [["STT", "Nội dung nhiệm vụ", "Thời gian", "Sản phẩm"], [1, "A", "Quý I/2026", ""]],
    )
    assert "thiếu cột bắt buộc: Đơn vị chủ trì" in fails(no_lead, "--plan", "X/KH", "--issuer", "LB-BTV")[0]
    empty = sheet_file(tmp_path / "b.xlsx", [HEADER_001])
    assert "không có dòng nhiệm vụ nào" in fails(empty, "--plan", "X/KH", "--issuer", "LB-BTV")[0]
    blank = sheet_file(tmp_path / "c.xlsx", [])
    assert "Không tìm thấy bảng nhiệm vụ" in fails(blank, "--plan", "X/KH", "--issuer", "LB-BTV")[0]
    no_issuer = fails(sheet_file(tmp_path / "d.xlsx", MESSY_001), "--plan", "X/KH")[0]
    assert "cần chọn đơn vị ban hành để tạo mới. (lệnh: --issuer)" in no_issuer


@pytest.mark.parametrize("count", [20, 200])
def test_it_imports_with_the_same_number_of_queries_for_any_number_of_rows(
    units, tmp_path, count, django_assert_max_num_queries
):
    rows = [HEADER_001, ["NHÓM 1. Nhóm thử"]]
    rows += [[i, f"Nhiệm vụ số {i}", "UBND phường", "P.VHXH; CA phường; các trường", "Quý II/2026", "Báo cáo"]
             for i in range(1, count + 1)]  # fmt: skip
    path = sheet_file(tmp_path / "big.xlsx", rows)
    with django_assert_max_num_queries(40):
        report = import_plan(path, plan_key="99-KH/UBND", issuer="LB-UBND")
    assert report.created == count
    with django_assert_max_num_queries(40):
        again = import_plan(path, plan_key="99-KH/UBND")
    assert again.unchanged == count


def test_it_creates_a_ward_that_does_not_exist_yet_when_asked(units, tmp_path):
    rows = [
        HEADER_001,
        [1, "Rà soát cơ sở vật chất", "UBND phường Mới", "Công an phường Mới", "Quý II/2026", "Báo cáo"],
    ]
    path = sheet_file(tmp_path / "w.xlsx", rows)
    error, _ = fails(path, "--plan", "3/KH-UBND", "--issuer", "UBND Thành phố", "--ward", "Phường Mới")
    assert (
        "Không tìm thấy phường “Phường Mới”. Có thể tạo phường mới khi nhập. (lệnh: --create-units)" in error
    )
    run(path, "--plan", "3/KH-UBND", "--issuer", "UBND Thành phố", "--ward", "Phường Mới", "--create-units")
    ward = OrgUnit.objects.get(name="Phường Mới")
    assert (ward.kind, ward.parent.code, ward.ward) == ("ward", "HN", ward)
    task = Plan.objects.get(number="3/KH-UBND").tasks.get()
    assert task.lead_units.get().ward == ward
    assert task.coordinating_units.get().name == "Công an phường Mới"
