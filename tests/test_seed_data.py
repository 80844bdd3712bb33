"""The real plans as data: counts and chosen rows checked against ../shared/seeds, and idempotent loading."""

import json
import tomllib
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from kpi.models import Criterion, Rubric
from kpi.seed import load_seed_data
from plans.models import Indicator, OrgUnit, Plan
from plans.units import UnitDirectory
from tasks.models import Task
from tasks.seed import SEED_DIR
from tasks.status import Status, task_status

D = date.fromisoformat
SCHOOLS = ["LB-MN01", "LB-MN02", "LB-TH01", "LB-TH02", "LB-THCS01", "LB-THCS02"]


@pytest.fixture
def seeded(db):
    load_seed_data()


def codes(units):
    return sorted(u.code for u in units.all())


def test_it_loads_plan_29_kh_du_with_its_appendix_as_published(seeded):
    plan = Plan.objects.get(number="29-KH/ĐU")
    assert (plan.issuer.code, plan.issued_on, plan.status) == ("LB-BTV", D("2026-01-30"), "issued")
    assert [b.number for b in plan.basis.all()] == ["05-CTr/TU"]
    assert [(g.code, g.tasks.count()) for g in plan.groups.order_by("order")] == [
        ("NHÓM 1", 5), ("NHÓM 2", 5), ("NHÓM 3", 5), ("NHÓM 4", 5), ("NHÓM 5", 5), ("NHÓM 6", 3), ("NHÓM 7", 2),
    ]  # fmt: skip
    assert plan.tasks.count() == 30

    row8 = plan.tasks.get(code="8")
    assert row8.content == "Kiểm tra PCCC tại các cơ sở giáo dục"
    assert [u.name for u in row8.lead_units.all()] == ["Ủy ban nhân dân phường Long Biên"]
    assert (row8.lead_text, row8.coordinating_text) == ("UBND phường", "Công an PCCC")
    assert [u.name for u in row8.coordinating_units.all()] == ["Công an phường Long Biên"]
    assert (row8.deadline_text, row8.deliverable) == ("1-2 đợt/năm", "Kết luận KT")
    assert row8.parsed_schedule().times_per_year == (1, 2)

    row3 = plan.tasks.get(code="3")
    assert row3.lead_text == "Ban XDĐ"
    assert codes(row3.lead_units) == ["LB-BXDD"]
    assert codes(row3.coordinating_units) == [
        "LB-CB01",
        "LB-CB02",
        "LB-CUMCSD",
        "LB-VPDU",
    ]  # "các tổ chức đảng"
    assert plan.tasks.get(code="9").lead_text == "Nhà trường"
    assert codes(plan.tasks.get(code="9").lead_units) == SCHOOLS

    # NHÓM 5 repeats NHÓM 4 word for word: kept as published, flagged, never dropped.
    for original, repeat in zip(range(16, 21), range(21, 26), strict=True):
        row, copy = plan.tasks.get(code=str(original)), plan.tasks.get(code=str(repeat))
        assert copy.duplicate_of == row
        assert (copy.content, copy.lead_text, copy.deliverable) == (
            row.content,
            row.lead_text,
            row.deliverable,
        )
        assert copy.group.code == "NHÓM 5"
    assert plan.tasks.get(code="21").deadline_text == "2026–2027"  # the en dash of the original
    assert plan.tasks.filter(duplicate_of__isnull=False).count() == 5
    assert [t.code for t in plan.tasks.all() if t.unresolved_units] == []  # every unit of seed 001 resolves


def test_it_loads_the_targets_of_every_plan(seeded):
    plan29 = Plan.objects.get(number="29-KH/ĐU")
    assert plan29.indicators.count() == 15
    teachers = plan29.indicators.get(text__startswith="≥ 95% giáo viên")
    assert (teachers.comparator, teachers.target_value, teachers.unit) == ("gte", Decimal("95"), "%")
    assert plan29.indicators.filter(comparator=Indicator.Comparator.NONE_OCCURS).count() >= 2

    ubnd = Plan.objects.get(code="KH-UBND-LB-2026")
    assert ubnd.indicators.count() == 21
    poisoning = ubnd.indicators.get(code="II.2.1-4")
    assert poisoning.comparator == "none_occurs" and poisoning.target_value is None
    assert "Phần đầu" in ubnd.indicators.get(code="II.2.2-2").text  # the typo is the document's

    district = Plan.objects.get(code="KH-UBND-QLB-2025")
    assert district.indicators.count() == 16
    wards = district.indicators.get(code="I.3.1-3")
    assert (wards.comparator, wards.target_value, wards.unit) == ("eq", Decimal("13"), "phường")
    assert district.indicators.get(code="I.3.2-1").target_value == Decimal("99.9")
    assert district.indicators.filter(responsible_unit__code="QLB-GDDT").count() == 16


def test_it_loads_the_ubnd_draft_with_its_appendix_and_section_iii(seeded):
    plan = Plan.objects.get(code="KH-UBND-LB-2026")
    assert (plan.number, plan.issued_on, plan.status) == ("", None, "draft")
    assert [b.number for b in plan.basis.order_by("issued_on")] == [
        "71-NQ/TW",
        "05-CTr/TU",
        "45/KH-UBND",
        "29-KH/ĐU",
    ]
    rows = plan.tasks.filter(parent__isnull=True)
    assert rows.count() == 42
    assert plan.tasks.filter(parent__isnull=False).count() == 64
    assert plan.groups.count() == 9

    row1 = rows.get(code="1")
    assert (row1.lead_text, row1.deadline_text) == ("Phòng VHXXH", "Quý II/2026")
    assert codes(row1.lead_units) == ["LB-VHXH"]  # the typo VHXXH resolves, and is kept as written
    assert codes(row1.coordinating_units) == sorted(["LB-KTHTDT", "LB-BQLDA", "LB-CA", *SCHOOLS])
    assert row1.parsed_schedule().due == D("2026-06-30")
    assert codes(rows.get(code="40").lead_units) == ["LB-UBND", "LB-VHXH"]  # "UBND phường / P.VHXXH"
    assert codes(rows.get(code="33").coordinating_units) == [
        "LB-MN01",
        "LB-MN02",
        "LB-TDP01",
        "LB-TDP02",
        "LB-TDP03",
    ]
    row18 = rows.get(code="18")  # "Trường; DN": a business is not a unit of the ward, kept as written
    assert (row18.coordinating_text, row18.unresolved_units) == ("Trường; DN", [])
    assert codes(row18.coordinating_units) == SCHOOLS
    assert all(not t.unresolved_units for t in plan.tasks.all())  # every name is a unit or a known phrase

    sub = plan.tasks.get(code="2.2.2")
    assert (sub.parent.code, sub.lead_text) == ("9", "Phòng Kinh tế, Hạ tầng và Đô thị")
    assert codes(sub.lead_units) == ["LB-KTHTDT"]
    assert plan.tasks.get(code="6.3.3").parent.code == "39"
    assert plan.tasks.get(code="5.4.2").lead_units.get().code == "LB-TYT"

    # Every sub-task hangs under the appendix row that says it covers it.
    with (SEED_DIR / "plan_ubnd_lb_2026.toml").open("rb") as handle:
        covers = {t["code"]: set(t["covers"]) for t in tomllib.load(handle)["task"]}
    for task in plan.tasks.filter(parent__isnull=False).select_related("parent"):
        assert task.code in covers[task.parent.code], task.code


def test_it_loads_the_kpi_rubric_with_points_split_in_hundredths(seeded):
    rubric = Rubric.objects.get(plan__number="29-KH/ĐU")
    groups = list(rubric.groups.order_by("order"))
    assert [g.max_points for g in groups] == [Decimal(p) for p in ("15", "20", "15", "20", "15", "10", "5")]
    assert Criterion.objects.filter(group__rubric=rubric).count() == 25
    points = {g.code: [c.points for c in g.criteria.order_by("order")] for g in groups}
    assert points["1"] == [Decimal("3.75")] * 4
    assert points["6"] == [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")]
    assert points["7"] == [Decimal("2.50")] * 2
    assert sum(sum(p) for p in points.values()) == Decimal("100")
    c23 = Criterion.objects.get(group__rubric=rubric, code="2.3")
    assert c23.frequency == "Tháng"
    assert c23.name.startswith("Phòng, chống bạo lực học đường")
    assert [t.code for t in c23.tasks.all()] == ["9"]
    assert Criterion.objects.get(group__rubric=rubric, code="5.2").frequency == "Tháng/Đợt"
    assert rubric.units.filter(code="LB-VHXH").exists()
    assert not rubric.units.filter(code="LB-BTV").exists()  # the issuer scores, it is not scored


def test_it_resolves_aliases_and_collectives_of_the_real_ward(seeded):
    ward = OrgUnit.objects.get(code="LB")
    directory = UnitDirectory(ward)
    for written in ["P.VHXXH", "Phòng VHXXH", "Phòng VH-XH", "P.VHXH", "phong van hoa xa hoi"]:
        assert [u.code for u in directory.resolve(written).units] == ["LB-VHXH"], written
    assert [u.code for u in directory.resolve("CA").units] == ["LB-CA"]
    assert sorted(u.code for u in directory.resolve("các cơ sở giáo dục").units) == SCHOOLS
    assert sorted(u.code for u in directory.resolve("Trường MN").units) == ["LB-MN01", "LB-MN02"]
    assert all(u.is_demo for u in directory.resolve("các trường").units)


def test_it_loads_twice_without_changing_anything(seeded):
    def snapshot():
        return {
            "units": list(OrgUnit.objects.order_by("code").values()),
            "tasks": list(Task.objects.order_by("plan_id", "code").values()),
            "indicators": list(Indicator.objects.order_by("plan_id", "code").values()),
            "criteria": list(Criterion.objects.order_by("group_id", "code").values()),
            "links": sorted(Task.lead_units.through.objects.values_list("task_id", "orgunit_id")),
        }

    before = snapshot()
    out = StringIO()
    call_command("load_seed_data", stdout=out)
    assert "Xong: 0 thay đổi." in out.getvalue()
    assert snapshot() == before


def test_it_gives_real_tasks_their_status_at_chosen_dates(seeded):
    plan = Plan.objects.get(number="29-KH/ĐU")
    row6 = plan.tasks.get(code="6")  # "Quý I/2026"
    assert task_status(row6, D("2026-03-25")).due_soon
    overdue = task_status(row6, D("2026-04-10"))
    assert (overdue.status, overdue.days_late) == (Status.OVERDUE, 10)
    assert (
        task_status(plan.tasks.get(code="7"), D("2026-04-10")).status == Status.NOT_STARTED
    )  # "Thường xuyên"
    assert task_status(plan.tasks.get(code="11"), D("2026-04-10")).due == D("2026-12-31")  # "Hằng năm"


def test_it_exports_the_real_plan_as_the_contract_says(seeded):
    out = StringIO()
    call_command("export_plan", "--plan", "29-kh/đu", "--format", "json", "--today", "2026-04-10", stdout=out)
    data = json.loads(out.getvalue())
    assert (data["number"], data["issued_on"], data["basis"]) == ("29-KH/ĐU", "2026-01-30", ["05-CTr/TU"])
    assert len(data["indicators"]) == 15
    assert [len(g["tasks"]) for g in data["groups"]] == [5, 5, 5, 5, 5, 3, 2]
    row8 = data["groups"][1]["tasks"][2]
    assert row8["code"] == "8"
    assert row8["lead_units"] == ["Ủy ban nhân dân phường Long Biên"]
    assert row8["schedule"] == {"kind": "recurring", "due_dates": ["2026-12-31"], "needs_date": False}
    assert data["groups"][4]["tasks"][0]["duplicate_of"] == "16"
    draft = StringIO()
    call_command("export_plan", "--plan", "KH-UBND-LB-2026", stdout=draft)
    rows = json.loads(draft.getvalue())["groups"][0]["tasks"]
    assert rows[0]["code"] == "1" and [s["code"] for s in rows[0]["subtasks"]] == ["1.1"]
