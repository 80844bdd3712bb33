"""Units, indicators and the rubric as spreadsheets: export, template, import, and every refusal."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from kpi.models import Criterion, Rubric
from kpi.seed import load_seed_data
from kpi.services import scorecard_get_or_create
from plans.models import Indicator, OrgUnit, Plan


@pytest.fixture
def seeded(db):
    load_seed_data()


def export(table, path, *args):
    call_command("export_data", table, "-o", str(path), *args, stdout=StringIO())
    return path


def run(table, path, *args):
    out = StringIO()
    call_command("import_data", table, str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def fails(table, path, *args):
    err = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_data", table, str(path), *args, stdout=StringIO(), stderr=err)
    return str(exc.value), err.getvalue()


def edit(path, changes: dict, append=()):
    """Change cells {(row, column): value} of the first sheet, add rows, save."""
    book = load_workbook(path)
    sheet = book.active
    for (row, col), value in changes.items():
        sheet.cell(row, col).value = value
    for values in append:
        sheet.append(values)
    book.save(path)
    return path


@pytest.mark.parametrize("table", ["units", "indicators", "rubric"])
def test_it_exports_each_table_and_imports_it_back_unchanged(seeded, tmp_path, table):
    path = export(table, tmp_path / f"{table}.xlsx", "--plan", "29-KH/ĐU")
    output = run(table, path, "--plan", "29-KH/ĐU")
    assert "0 mới, 0 cập nhật" in output


def test_it_updates_and_adds_units_with_their_aliases(seeded, tmp_path):
    path = export("units", tmp_path / "u.xlsx")
    sheet = load_workbook(path).active
    row = next(r for r in range(4, sheet.max_row + 1) if sheet.cell(r, 1).value == "LB-VHXH")
    edit(path, {(row, 6): "Phòng VHXH; P.VHXH; Phòng Văn xã"},
         append=[["LB-DTT", "Đài truyền thanh phường", "", "Khác", "LB-UBND", "Loa phường", "", ""]])  # fmt: skip
    assert "1 mới, 1 cập nhật" in run("units", path)
    vhxh = OrgUnit.objects.get(code="LB-VHXH")
    # "Phòng VHXH" and the existing "Phòng VH-XH" are the same name once normalised: the old spelling stays.
    assert set(vhxh.aliases.values_list("normalized", flat=True)) == {"phongvhxh", "pvhxh", "phongvanxa"}
    radio = OrgUnit.objects.get(code="LB-DTT")
    assert (radio.kind, radio.parent.code, radio.ward.code) == ("other", "LB-UBND", "LB")


BAD_UNITS = [
    (["LB-X", "Đơn vị X", "", "Bộ", "LB", "", "", ""], "Loại", "loại “Bộ” không hợp lệ"),
    (["LB-X", "Đơn vị X", "", "Khác", "LB-KHONGCO", "", "", ""], "Mã đơn vị cấp trên", "không có đơn vị mã “LB-KHONGCO”"),
    (["LB-X", "", "", "Khác", "LB", "", "", ""], "Tên đầy đủ", "ô bắt buộc đang trống"),
    (["LB-X", "=1+1", "", "Khác", "LB", "", "", ""], "Tên đầy đủ", "dấu của công thức"),
]  # fmt: skip


@pytest.mark.parametrize(("row", "column", "message"), BAD_UNITS, ids=[b[2] for b in BAD_UNITS])
def test_it_refuses_bad_unit_rows_and_writes_nothing(seeded, tmp_path, row, column, message):
    path = tmp_path / "u.xlsx"
    book = Workbook()
    book.active.append(
        [
            "Mã",
            "Tên đầy đủ",
            "Tên viết tắt",
            "Loại",
            "Mã đơn vị cấp trên",
            "Tên gọi khác",
            "Cấp học",
            "Minh họa",
        ]
    )
    book.active.append(["LB-Y", "Đơn vị Y", "", "Khác", "LB", "", "", ""])
    book.active.append(row)
    for cell in book.active[3]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
    book.save(path)
    before = OrgUnit.objects.count()
    error, details = fails("units", path)
    assert "Không có gì được ghi." in error
    assert f"dòng 3, cột “{column}”: " in details and message in details
    assert OrgUnit.objects.count() == before


def test_it_refuses_a_cycle_in_the_tree(seeded, tmp_path):
    path = tmp_path / "u.xlsx"
    book = Workbook()
    book.active.append(["Mã", "Tên đầy đủ", "Loại", "Mã đơn vị cấp trên"])
    book.active.append(["A1", "A", "Khác", "B1"])
    book.active.append(["B1", "B", "Khác", "A1"])
    book.save(path)
    assert "đơn vị không thể nằm dưới chính nó" in fails("units", path)[1]


def test_it_imports_indicators_into_a_plan(seeded, tmp_path):
    path = export("indicators", tmp_path / "i.xlsx", "--plan", "KH-UBND-QLB-2025")
    edit(path, {}, append=[["I.3.9-1", "I.3.9", "Tỷ lệ thử", "≥", "97,5", "%", 2030, "", "", "Phòng GDĐT"]])
    assert "1 mới, 0 cập nhật, 16 không đổi" in run("indicators", path, "--plan", "KH-UBND-QLB-2025")
    new = Indicator.objects.get(plan__code="KH-UBND-QLB-2025", code="I.3.9-1")
    assert (new.comparator, new.target_value, new.responsible_unit.code) == (
        "gte",
        Decimal("97.5"),
        "QLB-GDDT",
    )
    bad = edit(path, {}, append=[["I.3.9-2", "", "Sai", "khoảng", "", "", "", "", "", ""]])
    assert "dùng ≥, ≤, =" in fails("indicators", bad, "--plan", "KH-UBND-QLB-2025")[1]
    with pytest.raises(CommandError, match="Cần --plan"):
        call_command("import_data", "indicators", str(path), stdout=StringIO())


def test_it_replaces_an_unused_rubric_and_versions_one_in_use(seeded, tmp_path):
    path = export("rubric", tmp_path / "r.xlsx", "--plan", "29-KH/ĐU")
    # Move 0.5 point from 7.2 to 7.1: still 5 in the group.
    sheet = load_workbook(path).active
    rows = {sheet.cell(r, 4).value: r for r in range(4, sheet.max_row + 1)}
    edit(path, {(rows["7.1"], 9): 3, (rows["7.2"], 9): 2})
    rubric = Rubric.objects.get(plan__number="29-KH/ĐU")
    assert "25 cập nhật" in run("rubric", path, "--plan", "29-KH/ĐU")
    assert Criterion.objects.get(group__rubric__plan__number="29-KH/ĐU", code="7.1").points == Decimal("3")
    assert Rubric.objects.filter(plan=rubric.plan).count() == 1  # not yet used: replaced in place

    used = Rubric.objects.get(plan__number="29-KH/ĐU")
    scorecard_get_or_create(unit=OrgUnit.objects.get(code="LB-VHXH"), rubric=used, month=date(2026, 3, 1))
    edit(path, {(rows["7.1"], 9): 2.5, (rows["7.2"], 9): 2.5})
    output = run("rubric", path, "--plan", "29-KH/ĐU")
    assert "phiên bản 1 đã dùng để chấm nên giữ nguyên" in output
    assert [r.version for r in Rubric.objects.filter(plan=used.plan).order_by("version")] == [1, 2]
    assert used.groups.get(code="7").criteria.get(code="7.1").points == Decimal("3")


def test_it_refuses_a_rubric_whose_points_do_not_add_up(seeded, tmp_path):
    path = export("rubric", tmp_path / "r.xlsx", "--plan", "29-KH/ĐU")
    sheet = load_workbook(path).active
    row = next(r for r in range(4, sheet.max_row + 1) if sheet.cell(r, 4).value == "7.1")
    edit(path, {(row, 9): 4, (row, 10): "99"})
    _, details = fails("rubric", path, "--plan", "29-KH/ĐU")
    assert "nhóm 7: các tiêu chí cộng lại 6,50, phải bằng 5,00" in details
    assert "kế hoạch không có nhiệm vụ STT 99" in details
    assert Criterion.objects.get(group__rubric__plan__number="29-KH/ĐU", code="7.1").points == Decimal("2.50")


@pytest.mark.parametrize("table", ["units", "indicators", "rubric"])
def test_it_offers_a_template_that_imports(seeded, tmp_path, table):
    path = export(table, tmp_path / f"mau-{table}.xlsx", "--template")
    assert "(mẫu" in load_workbook(path).active.cell(1, 1).value
    output = run(table, path, "--plan", "KH-UBND-LB-2026", "--dry-run")
    assert "Chạy thử" in output
    assert Plan.objects.get(code="KH-UBND-LB-2026").rubrics.count() == 0  # a dry run writes nothing
