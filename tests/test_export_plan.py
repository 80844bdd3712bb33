import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import PlanFactory, TaskFactory, TaskGroupFactory, TaskProgressFactory


@pytest.fixture
def exported_plan(plan, world):
    plan.number = "12-KH/ĐU"
    plan.save()
    basis = PlanFactory(issuer=world.city_ubnd, number="45/KH-UBND", is_loaded_in_full=False)
    plan.basis.add(basis)
    group = TaskGroupFactory(plan=plan, code="NHÓM 1", title="AN TOÀN TRƯỜNG HỌC", order=1)
    row = TaskFactory(plan=plan, group=group, code="8", order=1, content="Kiểm tra PCCC tại các cơ sở giáo dục",
                      deadline_text="1-2 đợt/năm", deliverable="Kết luận KT")  # fmt: skip
    row.lead_units.add(world.ubnd)
    row.coordinating_units.add(world.police)
    sub = TaskFactory(plan=plan, group=group, parent=row, code="8.1", order=2, content="Lập kế hoạch kiểm tra",
                      deadline_text="Quý I/2026")  # fmt: skip
    TaskProgressFactory(task=sub, reported_on=date(2026, 3, 20), percent=100)
    TaskFactory(plan=plan, group=group, code="9", order=3, content="Nhiệm vụ trùng", duplicate_of=row,
                deadline_text="Sau khi có hướng dẫn")  # fmt: skip
    return plan


def export(*args):
    out = StringIO()
    call_command("export_plan", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_exports_a_plan_as_json_with_the_contract_keys(exported_plan):
    data = json.loads(
        export("--plan", "12 - kh/đu", "--format", "json", "--today", "2026-04-01", "--year", "2026")
    )
    assert {"code", "number", "title", "issuer", "issued_on", "basis", "indicators", "groups"} <= set(data)
    assert data["number"] == "12-KH/ĐU"
    assert data["basis"] == ["45/KH-UBND"]
    assert data["issuer"] == "Ủy ban nhân dân phường"
    [group] = data["groups"]
    assert (group["code"], group["title"]) == ("NHÓM 1", "AN TOÀN TRƯỜNG HỌC")
    assert [t["code"] for t in group["tasks"]] == ["8", "9"]  # sub-tasks are nested, not repeated
    row = group["tasks"][0]
    assert row["lead_units"] == ["Ủy ban nhân dân phường"]
    assert row["coordinating_units"] == ["Công an phường Thử Một"]
    assert row["deadline_text"] == "1-2 đợt/năm"
    assert row["schedule"] == {"kind": "recurring", "due_dates": ["2026-12-31"], "needs_date": False}
    assert row["status"] == "not_started"
    assert row["duplicate_of"] is None
    [sub] = row["subtasks"]
    assert (sub["code"], sub["status"], sub["status_label"]) == ("8.1", "done_on_time", "Hoàn thành đúng hạn")
    assert sub["schedule"]["due_dates"] == ["2026-03-31"]
    duplicate = group["tasks"][1]
    assert duplicate["duplicate_of"] == "8"
    assert duplicate["schedule"] == {"kind": "unknown", "due_dates": [], "needs_date": True}


def test_it_finds_a_draft_by_its_code_and_writes_a_file(world, tmp_path):
    PlanFactory(code="KH-NHAP", number="", issuer=world.ubnd, status="draft", title="Dự thảo")
    target = tmp_path / "kh.json"
    export("--plan", "kh-nhap", "--format", "json", "-o", str(target))
    data = json.loads(target.read_text(encoding="utf-8"))
    assert (data["code"], data["number"], data["issued_on"]) == ("KH-NHAP", None, None)


def test_it_lists_plans_one_per_line(exported_plan):
    lines = export("--list").splitlines()
    assert f"{exported_plan.code}\t12-KH/ĐU\t{exported_plan.title}" in lines


def test_it_fails_clearly_on_an_unknown_plan(db):
    with pytest.raises(CommandError, match="Không tìm thấy kế hoạch “99-KH/XX”"):
        export("--plan", "99-KH/XX")
    with pytest.raises(CommandError, match="Cần --plan"):
        export()


def test_it_exports_with_a_fixed_number_of_queries(exported_plan, django_assert_max_num_queries):
    for i in range(20):
        TaskFactory(plan=exported_plan, code=f"x{i}", order=10 + i)
    with django_assert_max_num_queries(12):
        export("--plan", "12-KH/ĐU")
