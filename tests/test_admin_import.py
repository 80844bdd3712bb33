import re
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from plans.models import OrgUnit, Plan
from plans.seed import load_units
from tasks.seed import SEED_DIR, read_toml
from tests.factories import UserFactory

HEADER = ["STT", "Nội dung nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời gian", "Sản phẩm"]


@pytest.fixture
def root(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    load_units(read_toml(SEED_DIR / "units.toml"), "units.toml")
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def xlsx(rows) -> SimpleUploadedFile:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("phu-luc.xlsx", buffer.getvalue())


ROWS = [
    HEADER,
    ["NHÓM 1. TUYÊN TRUYỀN"],
    [1, "Ban hành văn bản chỉ đạo", "UBND phường", "Phòng VHXH", "Tháng 01/2026", "Văn bản"],
    [2, "Tuyên truyền trên loa", "Đài truyền thanh", "MTTQ", "Theo lộ trình TP", "Tin, bài"],
]


def test_it_previews_then_imports_a_plan_with_an_unknown_unit_mapped(root):
    url = reverse("admin:plans_plan_import")
    issuer = OrgUnit.objects.get(code="LB-UBND")
    assert "Nhập kế hoạch từ Excel" in root.get(reverse("admin:plans_plan_changelist")).content.decode()
    preview = root.post(
        url, {"file": xlsx(ROWS), "plan": "15/KH-UBND", "title": "Kế hoạch thử", "issuer": issuer.pk}
    )
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "Nếu ghi: <b>2</b> mới" in page
    assert "Đài truyền thanh" in page and "Tạo đơn vị mới trong phường" in page
    assert "Dòng 4, STT 2: “Theo lộ trình TP”" in page
    assert not Plan.objects.exists()  # a preview writes nothing

    params = {k: preview.context["params"][k] for k in ("token", "plan", "title", "issuer", "ward")}
    ttvh = OrgUnit.objects.get(code="LB-TTVH")
    unmapped = root.post(url, {**params, "confirm": "1", "unknown_name": "Đài truyền thanh", "map_0": ""})
    assert "Chưa chọn cách xử lý tên đơn vị “Đài truyền thanh”." in unmapped.content.decode()
    assert not Plan.objects.exists()

    done = root.post(url, {**params, "confirm": "1", "unknown_name": "Đài truyền thanh", "map_0": ttvh.pk})
    plan = Plan.objects.get(number="15/KH-UBND")
    assert done.status_code == 302 and done.url == reverse("admin:plans_plan_change", args=[plan.pk])
    assert plan.tasks.get(code="2").lead_units.get() == ttvh
    assert ttvh.aliases.filter(text="Đài truyền thanh").exists()  # remembered for the next import


def test_it_refuses_a_file_that_is_not_a_spreadsheet_by_its_content(root):
    url = reverse("admin:plans_plan_import")
    png = SimpleUploadedFile("phu-luc.xlsx", b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    response = root.post(
        url, {"file": png, "plan": "15/KH-UBND", "issuer": OrgUnit.objects.get(code="LB-UBND").pk}
    )
    assert "không phải là bảng tính Excel .xlsx" in response.content.decode()
    empty = SimpleUploadedFile("rong.xlsx", b"")
    response = root.post(url, {"file": empty, "plan": "15/KH-UBND"})
    assert response.status_code == 200 and not Plan.objects.exists()


def test_it_shows_the_problems_of_a_bad_file_and_writes_nothing(root):
    url = reverse("admin:plans_plan_import")
    rows = [*ROWS, ["x", "Dòng hỏng", "UBND phường", "", "", ""]]
    response = root.post(
        url, {"file": xlsx(rows), "plan": "15/KH-UBND", "issuer": OrgUnit.objects.get(code="LB-UBND").pk}
    )
    page = response.content.decode()
    assert "Tệp có 1 lỗi" in page
    assert "dòng 5, cột “STT”: STT “x” không hợp lệ" in page
    assert 'name="confirm"' not in page


def test_it_offers_a_template_that_imports_as_is(root, tmp_path):
    response = root.get(reverse("admin:plans_plan_import_template"))
    assert response["Content-Disposition"] == 'attachment; filename="mau-phu-luc-nhiem-vu.xlsx"'
    book = load_workbook(BytesIO(response.content))
    assert [c.value for c in book.active[3]][:3] == ["STT", "Nội dung nhiệm vụ", "Đơn vị chủ trì"]
    preview = root.post(
        reverse("admin:plans_plan_import"),
        {
            "file": SimpleUploadedFile("mau.xlsx", response.content),
            "plan": "1/KH",
            "issuer": OrgUnit.objects.get(code="LB-UBND").pk,
        },
    )
    assert "Nếu ghi: <b>2</b> mới" in preview.content.decode()


def test_it_is_only_for_people_who_may_add_plans(client, db):
    client.force_login(UserFactory(username="staff", is_staff=True))
    assert client.get(reverse("admin:plans_plan_import")).status_code == 403


def test_it_previews_then_imports_past_kpi_months(client, db, rubric, world, settings, tmp_path):
    from kpi.models import Scorecard
    from tests.test_kpi_import import GOOD_ROWS, HEADER

    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    url = reverse("admin:kpi_scorecard_import")
    preview = client.post(url, {"file": xlsx([HEADER, *GOOD_ROWS])})
    assert "7 dòng hợp lệ. Nếu ghi: <b>2</b> phiếu mới" in preview.content.decode()
    assert not Scorecard.objects.exists()
    done = client.post(url, {"token": preview.context["token"], "confirm": "1"})
    assert done.status_code == 302
    assert Scorecard.objects.filter(state=Scorecard.State.REVIEWED).count() == 2

    bad = client.post(url, {"file": xlsx([HEADER, ["13/2026", "Phòng VHXH", "1.1", "Hoàn thành"]])})
    assert "dòng 2, cột “Tháng”" in bad.content.decode()
    assert 'name="confirm"' not in bad.content.decode()


def test_it_exports_previews_and_imports_reference_data(root):
    from plans.models import Plan

    page = root.get(reverse("admin:plans_tables"))
    assert "Bộ tiêu chí KPI" in page.content.decode() and "Tải tệp mẫu" in page.content.decode()
    units = root.get(reverse("admin:plans_table_download", args=["units"]))
    assert units["Content-Disposition"] == 'attachment; filename="units.xlsx"'
    template = root.get(reverse("admin:plans_table_download", args=["rubric"]) + "?template=1")
    assert load_workbook(BytesIO(template.content)).active.cell(3, 1).value == "Nhóm"
    assert root.get(reverse("admin:plans_table_download", args=["rubric"])).status_code == 404  # which plan?
    assert root.get(reverse("admin:plans_table_download", args=["nothing"])).status_code == 404

    plan = Plan.objects.create(
        code="KH-T", number="7/KH-UBND", issuer=OrgUnit.objects.get(code="LB-UBND"), title="T"
    )
    upload = SimpleUploadedFile("mau.xlsx", template.content)
    preview = root.post(reverse("admin:plans_tables"), {"table": "rubric", "plan": plan.pk, "file": upload})
    assert "Nếu ghi: <b>7</b> mới" in preview.content.decode()
    assert not plan.rubrics.exists()
    done = root.post(reverse("admin:plans_tables"), {
        "confirm": "1", "table": "rubric", "plan": plan.pk, "token": preview.context["token"]})  # fmt: skip
    assert done.status_code == 302
    assert plan.rubrics.get().groups.count() == 7

    missing_plan = root.post(
        reverse("admin:plans_tables"), {"table": "indicators", "file": SimpleUploadedFile("x.xlsx", b"x")}
    )
    assert "Cần chọn kế hoạch cho chỉ tiêu." in missing_plan.content.decode()


def test_it_keeps_reference_data_for_administrators(client, db):
    client.force_login(UserFactory(username="staff", is_staff=True))
    assert client.get(reverse("admin:plans_tables")).status_code == 403
    assert client.get(reverse("admin:plans_table_download", args=["units"])).status_code == 403


def test_the_preview_offers_a_close_name_as_the_existing_unit_and_accepts_a_missing_lead(root):
    url = reverse("admin:plans_plan_import")
    issuer = OrgUnit.objects.get(code="LB-UBND")
    rows = [
        HEADER,
        [1, "Ban hành văn bản", "Phòng Văn hoá XH", "", "Tháng 01/2026", ""],
        [2, "Tuyên truyền", None, "MTTQ", "Tháng 02/2026", ""],
    ]
    refused = root.post(url, {"file": xlsx(rows), "plan": "16/KH-UBND", "issuer": issuer.pk})
    page = refused.content.decode()
    assert "dòng 3, cột “Đơn vị chủ trì”: thiếu đơn vị chủ trì" in page
    assert not re.search(r"--[a-z]", page)  # no command-line flags for a web user
    assert 'name="confirm"' not in page

    preview = root.post(
        url, {"file": xlsx(rows), "plan": "16/KH-UBND", "issuer": issuer.pk, "allow_no_lead": "on"}
    )
    page = preview.content.decode()
    vhxh = OrgUnit.objects.get(code="LB-VHXH")
    assert f'<option value="{vhxh.pk}" selected>Là: {vhxh.name} (tên gần giống)</option>' in page
    params = {
        k: preview.context["params"][k] for k in ("token", "plan", "title", "issuer", "ward", "allow_no_lead")
    }
    done = root.post(url, {**params, "confirm": "1", "unknown_name": "Phòng Văn hoá XH", "map_0": vhxh.pk})
    assert done.status_code == 302
    plan = Plan.objects.get(number="16/KH-UBND")
    assert plan.tasks.get(code="1").lead_units.get() == vhxh
    assert not plan.tasks.get(code="2").lead_units.exists()
    assert vhxh.aliases.filter(text="Phòng Văn hoá XH").exists()
