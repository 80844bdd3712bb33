from datetime import date

import pytest

from tasks.services import TaskError, task_record_progress
from tasks.status import Status, task_status
from tests.factories import TaskFactory


@pytest.fixture
def task(plan, world):
    task = TaskFactory(plan=plan, code="6", deadline_text="Quý I/2026", content="Rà soát điều kiện an toàn")
    task.lead_units.add(world.vhxh)
    task.coordinating_units.add(world.police)
    return task


@pytest.fixture
def officers(world, people):
    from plans.models import UserProfile
    from tests.factories import UserFactory, UserProfileFactory

    frank = UserFactory(username="frank")
    UserProfileFactory(user=frank, unit=world.police, role=UserProfile.Role.OFFICER)
    return people.alice, frank


def test_it_lets_the_lead_unit_complete_and_the_coordinating_unit_report_progress(task, world, officers):
    alice, frank = officers
    task_record_progress(task=task, by=frank, unit=world.police, reported_on=date(2026, 2, 1), percent=30)
    with pytest.raises(TaskError, match="Chỉ đơn vị chủ trì mới báo cáo hoàn thành"):
        task_record_progress(
            task=task, by=frank, unit=world.police, reported_on=date(2026, 3, 1), percent=100
        )
    task_record_progress(
        task=task, by=alice, unit=world.vhxh, reported_on=date(2026, 3, 25), percent=100, note="Xong"
    )
    result = task_status(task, date(2026, 4, 2))
    assert (result.status, result.completed_on) == (Status.DONE_ON_TIME, date(2026, 3, 25))
    assert [p.created_by for p in task.progress.order_by("reported_on")] == [frank, alice]


def test_it_refuses_units_not_named_on_the_task_and_people_outside_the_unit(task, world, people):
    from plans.models import UserProfile
    from tests.factories import UserFactory, UserProfileFactory

    gina = UserFactory(username="gina")
    UserProfileFactory(user=gina, unit=world.school_mn, role=UserProfile.Role.OFFICER)
    with pytest.raises(TaskError, match="không chủ trì hay phối hợp"):
        task_record_progress(
            task=task, by=gina, unit=world.school_mn, reported_on=date(2026, 2, 1), percent=10
        )
    with pytest.raises(TaskError, match="không có quyền"):
        task_record_progress(
            task=task, by=people.alice, unit=world.ubnd, reported_on=date(2026, 2, 1), percent=10
        )
    with pytest.raises(TaskError, match="không có quyền"):
        task_record_progress(
            task=task, by=people.dave, unit=world.vhxh, reported_on=date(2026, 2, 1), percent=10
        )
    with pytest.raises(TaskError):
        task_record_progress(task=task, by=None, unit=world.vhxh, reported_on=date(2026, 2, 1), percent=120)
    assert task.progress.count() == 0


def test_it_files_a_recurring_tasks_report_under_its_period(plan, world):
    yearly = TaskFactory(plan=plan, code="9", deadline_text="trước ngày 15/8 hằng năm")
    yearly.lead_units.add(world.vhxh)
    early = task_record_progress(
        task=yearly, by=None, unit=world.vhxh, reported_on=date(2026, 8, 1), percent=50
    )
    late = task_record_progress(
        task=yearly, by=None, unit=world.vhxh, reported_on=date(2026, 9, 1), percent=10
    )
    assert (early.period_due, late.period_due) == (date(2026, 8, 15), date(2027, 8, 15))


def test_it_does_not_let_a_department_act_for_what_its_parent_leads(plan, world, people):
    from tasks.services import task_role_of

    led_by_ubnd = TaskFactory(plan=plan, code="2", deadline_text="Tháng 01/2026")
    led_by_ubnd.lead_units.add(world.ubnd)
    led_by_ubnd.coordinating_units.add(world.vhxh)
    assert task_role_of(led_by_ubnd, world.vhxh) == "coordinating"  # not "lead" because UBND is its parent
    with pytest.raises(TaskError, match="Chỉ đơn vị chủ trì mới báo cáo hoàn thành"):
        task_record_progress(
            task=led_by_ubnd, by=people.alice, unit=world.vhxh, reported_on=date(2026, 1, 20), percent=100
        )
