from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.urls import reverse

from kpi.scoring import Result
from kpi.services import (
    EntryInput,
    scorecard_approve,
    scorecard_get_or_create,
    scorecard_review,
    scorecard_submit,
    scorecard_update_entries,
)
from tests.factories import TaskFactory, TaskGroupFactory, TaskProgressFactory, UserFactory
from tests.kpi_helpers import accept_not_applicable, settle

SENT_AT = datetime(2026, 4, 3, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture
def admin_client_(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def approved_card(rubric, world, people):
    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=date(2026, 3, 1))
    scorecard_update_entries(
        scorecard=card, by=people.alice, version=card.version,
        entries={"1.1": EntryInput(Result.DONE, evidence_note="Văn bản số 1/VHXH")},
    )  # fmt: skip
    scorecard_submit(scorecard=settle(card, by=people.alice), by=people.alice, at=SENT_AT)
    scorecard_review(scorecard=accept_not_applicable(card, by=people.bob), by=people.bob)
    return scorecard_approve(scorecard=card, by=people.charlie)


def test_it_opens_every_admin_list_and_change_page(admin_client_, approved_card, plan):
    group = TaskGroupFactory(plan=plan)
    task = TaskFactory(plan=plan, group=group)
    TaskProgressFactory(task=task, reported_on=date(2026, 3, 1), percent=20)
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = admin_client_.get(url)
        assert response.status_code == 200, url
        obj = model_admin.get_queryset(response.wsgi_request).first()
        if obj is not None:
            change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
            assert admin_client_.get(change).status_code == 200, change


def test_it_shows_an_approved_card_read_only(admin_client_, approved_card):
    url = reverse("admin:kpi_scorecard_change", args=[approved_card.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client_.post(url, {}).status_code == 403


def test_it_refuses_group_points_that_do_not_add_up(admin_client_, rubric):
    group = rubric.groups.get(code="7")
    criteria = list(group.criteria.order_by("order"))
    url = reverse("admin:kpi_rubricgroup_change", args=[group.pk])
    data = {
        "code": group.code, "name": group.name, "order": group.order,
        "criteria-TOTAL_FORMS": "2", "criteria-INITIAL_FORMS": "2", "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for i, (criterion, points) in enumerate(zip(criteria, ["3.00", "3.00"], strict=True)):
        data.update(
            {
                f"criteria-{i}-id": criterion.pk, f"criteria-{i}-group": group.pk, f"criteria-{i}-code": criterion.code,
                f"criteria-{i}-name": criterion.name, f"criteria-{i}-frequency": "Tháng",
                f"criteria-{i}-points": points, f"criteria-{i}-order": i + 1,
            }
        )  # fmt: skip
    response = admin_client_.post(url, data)
    assert response.status_code == 200
    assert (
        "Các tiêu chí cộng lại 6,00 điểm, phải bằng điểm tối đa của nhóm 5,00." in response.content.decode()
    )
    assert [c.points for c in group.criteria.order_by("order")] == [c.points for c in criteria]


def test_it_lists_a_plans_tasks_and_copies_a_rubric_in_use_as_a_new_version(
    admin_client_, approved_card, plan
):
    TaskFactory(plan=plan, code="8", content="Kiểm tra PCCC tại các cơ sở giáo dục")
    page = admin_client_.get(reverse("admin:plans_plan_change", args=[plan.pk]))
    assert "Kiểm tra PCCC tại các cơ sở giáo dục" in page.content.decode()

    rubric = approved_card.rubric
    response = admin_client_.post(
        reverse("admin:kpi_rubric_changelist"),
        {"action": "copy_as_new_version", "_selected_action": [rubric.pk]},
        follow=True,
    )
    assert "các tháng đã chấm vẫn giữ phiên bản cũ" in response.content.decode()
    new = rubric.plan.rubrics.get(version=rubric.version + 1)
    assert new.groups.count() == 7
    assert admin_client_.get(reverse("admin:kpi_rubric_change", args=[new.pk])).status_code == 200
