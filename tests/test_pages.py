"""The officers' pages: sign-in, "Việc của tôi", the task page — and who gets what."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from kpi.seed import load_seed_data
from plans.models import OrgUnit, Plan, UserProfile
from tasks.models import TaskProgress
from tests.factories import UserFactory, UserProfileFactory

Role = UserProfile.Role


@pytest.fixture
def ward(db):
    load_seed_data()


def person(username, unit_code, role):
    user = UserFactory(username=username)
    UserProfileFactory(user=user, unit=OrgUnit.objects.get(code=unit_code), role=role)
    return user


@pytest.fixture
def alice(ward):  # officer of Phòng VH-XH
    return person("alice", "LB-VHXH", Role.OFFICER)


@pytest.fixture
def frank(ward):  # officer of Công an phường
    return person("frank", "LB-CA", Role.OFFICER)


def task(plan, code):
    return Plan.objects.find(plan).tasks.get(code=code)


def test_it_signs_in_in_vietnamese_and_locks_after_repeated_failures(alice, client):
    page = client.get(reverse("login")).content.decode()
    assert "Đăng nhập" in page and "Tên đăng nhập" in page and "30 phút" in page
    wrong = client.post(reverse("login"), {"username": "alice", "password": "sai"})
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in wrong.content.decode()
    for _ in range(4):
        client.post(reverse("login"), {"username": "alice", "password": "sai"})
    locked = client.post(reverse("login"), {"username": "alice", "password": "password"})
    assert locked.status_code == 429
    assert "Tạm khóa đăng nhập" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_ends_sessions_after_thirty_idle_minutes(alice, client):
    response = client.post(reverse("login"), {"username": "alice", "password": "password"})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.session.get_expiry_age() == 30 * 60
    again = client.get(reverse("home"))
    assert again.cookies["sessionid"]["max-age"] == 30 * 60  # every request renews: only idleness expires it


def test_it_shows_an_officer_the_units_work_by_urgency(
    alice, client, django_assert_max_num_queries, settings
):
    client.force_login(alice)
    with django_assert_max_num_queries(25):
        page = client.get(reverse("home")).content.decode()
    assert "Việc của tôi — Phòng Văn hóa - Xã hội" in page
    for label in ["Quá hạn", "Đến hạn tháng này", "Sắp đến hạn", "Đang thực hiện", "Đã hoàn thành"]:
        assert label in page
    row1 = task(
        "KH-UBND-LB-2026", "1"
    )  # Phòng VHXXH leads it: "Quý II/2026", overdue by now (today is later)
    assert reverse("task", args=[row1.pk]) in page
    assert "chủ trì" in page and "phối hợp" in page
    assert "Phiếu KPI" in page and "hạn nộp" in page


def test_it_lets_coordinating_units_report_progress_and_only_the_lead_complete(alice, frank, client):
    row6 = task("29-KH/ĐU", "6")  # lead UBND phường; coordinating Công an, nhà trường
    row1 = task("KH-UBND-LB-2026", "1")  # lead Phòng VH-XH; coordinating CA phường and others
    client.force_login(frank)
    page = client.get(reverse("task", args=[row1.pk])).content.decode()
    assert "Cập nhật tiến độ" in page and 'name="complete"' not in page
    today = timezone.localdate().isoformat()
    done = client.post(
        reverse("task", args=[row1.pk]),
        {"p-reported_on": today, "p-percent": 40, "p-note": "Đã rà soát 3 trường"},
    )
    assert done.status_code == 302
    refused = client.post(
        reverse("task", args=[row1.pk]), {"complete": "1", "c-completed_on": today, "c-deliverable": "x"}
    )
    assert "Chỉ đơn vị chủ trì mới báo cáo hoàn thành" in refused.content.decode()
    assert list(TaskProgress.objects.filter(task=row1).values_list("percent", "unit__code")) == [
        (40, "LB-CA")
    ]
    assert client.get(reverse("task", args=[row6.pk])).status_code == 200  # Công an coordinates row 6

    client.force_login(alice)
    response = client.post(reverse("task", args=[row1.pk]), {
        "complete": "1", "c-completed_on": today, "c-deliverable": "Báo cáo rà soát CSVC số 12/BC-VHXH"})  # fmt: skip
    assert response.status_code == 302
    page = client.get(reverse("task", args=[row1.pk])).content.decode()
    assert "Báo cáo rà soát CSVC số 12/BC-VHXH" in page and "Hoàn thành" in page
    bad = client.post(
        reverse("task", args=[row1.pk]),
        {"p-reported_on": date(2099, 1, 1).isoformat(), "p-percent": 150, "p-note": "x"},
    )
    text = bad.content.decode()
    assert "Ngày báo cáo không được sau hôm nay." in text and "nhỏ hơn hoặc bằng với 99" in text


def test_it_answers_404_outside_the_users_scope_on_every_page(ward, alice, frank, client):
    school = person("gina", "LB-MN01", Role.OFFICER)
    reviewer = person("bob", "LB-VHXH", Role.REVIEWER)
    district = person("dave", "QLB-GDDT", Role.OFFICER)
    only_vhxh = task(
        "KH-UBND-LB-2026", "14"
    )  # 3.1: lead Phòng VHXXH, coordinating the schools; not the police
    only_ubnd = task("29-KH/ĐU", "2")  # lead UBND phường, coordinating Phòng VHXH
    urls = [reverse("home"), reverse("task", args=[only_vhxh.pk]), reverse("task", args=[only_ubnd.pk]),
            reverse("password_change")]  # fmt: skip
    expected = {
        None: (302, 302, 302, 302),  # signed out: to the sign-in page
        alice: (200, 200, 200, 200),
        frank: (200, 404, 404, 200),
        school: (200, 200, 404, 200),
        reviewer: (200, 200, 200, 200),
        district: (200, 404, 404, 200),
    }
    for user, codes in expected.items():
        client.logout()
        if user:
            client.force_login(user)
        got = tuple(client.get(url).status_code for url in urls)
        assert got == codes, user
    client.logout()
    assert client.get(urls[1]).url.startswith(reverse("login"))
    client.force_login(frank)
    assert (
        client.post(urls[1], {"p-reported_on": "2026-01-01", "p-percent": 10, "p-note": "x"}).status_code
        == 404
    )
    assert not TaskProgress.objects.exists()
