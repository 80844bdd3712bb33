"""Việc của tôi: sections that hide when empty, filters by plan, status and group, a search, each task once
(a sub-task under its appendix row), plans by number, and every month's card with its result."""

from datetime import date

import pytest
from django.urls import reverse

from tests.factories import PlanFactory, TaskFactory, TaskGroupFactory


@pytest.fixture
def tasks(world, plan):
    other_plan = PlanFactory(issuer=world.ubnd, number="29-KH/ĐU", title="Kế hoạch của Đảng ủy phường")
    group = TaskGroupFactory(plan=plan, code="NHÓM 1", title="Lãnh đạo, chỉ đạo", order=1)
    appendix = TaskFactory(plan=plan, group=group, code="1.", content="Tuyên truyền học tập suốt đời",
                           deadline_text="Năm 2030")  # fmt: skip
    sub = TaskFactory(plan=plan, group=group, parent=appendix, code="1.1.", content="Tuyên truyền trên loa",
                      deadline_text="Năm 2030")  # fmt: skip
    other = TaskFactory(plan=other_plan, code="2", content="Xây dựng thư viện số", deadline_text="Năm 2030")
    for task in (appendix, sub, other):
        task.lead_units.add(world.vhxh)
    return {"plan": plan, "other_plan": other_plan, "group": group, "appendix": appendix, "sub": sub,
            "other": other}  # fmt: skip


def test_it_shows_each_task_once_and_filters(tasks, people, client):
    client.force_login(people.alice)
    page = client.get(reverse("home")).content.decode()
    # The sub-task sits under its appendix row, once; no "1. 1.1." double numbering.
    assert page.count("Tuyên truyền trên loa") == 1 and "1.1. Tuyên truyền trên loa" in page
    assert '<ul class="subtasks">' in page and "1.. " not in page
    assert "(0)" not in page  # empty sections are not shown
    assert "29-KH/ĐU — Kế hoạch của Đảng ủy phường" in page  # plans by number and title in the filter

    only = client.get(reverse("home"), {"plan": tasks["other_plan"].pk}).content.decode()
    assert "Xây dựng thư viện số" in only and "Tuyên truyền học tập" not in only
    found = client.get(reverse("home"), {"q": "thu vien"}).content.decode()  # without diacritics
    assert "Xây dựng thư viện số" in found and "Tuyên truyền học tập" not in found
    grouped = client.get(reverse("home"), {"group": tasks["group"].pk}).content.decode()
    assert "Tuyên truyền học tập" in grouped and "Xây dựng thư viện số" not in grouped
    done = client.get(reverse("home"), {"status": "done"}).content.decode()
    assert "Không có nhiệm vụ nào khớp với bộ lọc." in done
    # Found by the search, the sub-task stands on its own when its appendix row is not shown.
    alone = client.get(reverse("home"), {"q": "loa"}).content.decode()
    assert "1.1. Tuyên truyền trên loa" in alone and "Tuyên truyền học tập" not in alone


def test_it_lists_every_months_card_with_its_total(world, rubric, people, client):
    from kpi.services import scorecard_get_or_create

    for month in (1, 2, 3):
        scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=date(2026, month, 1))
    client.force_login(people.alice)
    page = client.get(reverse("home")).content.decode()
    assert "Phiếu KPI các tháng" in page
    for month in ("01/2026", "02/2026", "03/2026"):
        assert month in page
