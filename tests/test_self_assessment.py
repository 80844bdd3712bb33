"""Tự chấm tháng: the officer's monthly self-assessment page."""

from datetime import date

import pytest
from django.urls import reverse

from kpi.models import Scorecard
from kpi.scoring import Result
from kpi.seed import load_seed_data
from plans.models import OrgUnit
from tasks.services import evidence_add_link
from tests.factories import UserFactory, UserProfileFactory


@pytest.fixture
def people(db):
    load_seed_data()
    made = {}
    for name, code, role in [("alice", "LB-VHXH", "officer"), ("frank", "LB-CA", "officer"),
                             ("bob", "LB-VHXH", "reviewer")]:  # fmt: skip
        user = UserFactory(username=name)
        UserProfileFactory(user=user, unit=OrgUnit.objects.get(code=code), role=role)
        made[name] = user
    return made


def open_month(client, month="2026-03"):
    response = client.get(reverse("self_assessment", args=[month]))
    assert response.status_code == 302
    return Scorecard.objects.get(pk=int(response.url.rstrip("/").split("/")[-1])), response.url


def test_it_lets_an_officer_score_save_and_submit_the_month(people, client):
    client.force_login(people["alice"])
    card, url = open_month(client)
    page = client.get(url).content.decode()
    assert "Tự chấm tháng 03/2026 — Phòng Văn hóa - Xã hội" in page
    assert "Nhóm 2. An toàn trường học – kỷ cương, nền nếp" in page
    assert "Mức đạt: Đúng hạn, đủ nội dung" in page
    assert page.count('name="result-') == 25
    e11 = card.entries.get(criterion__code="1.1")
    e23 = card.entries.get(criterion__code="2.3")
    link = evidence_add_link(unit=card.unit, by=people["alice"], url="https://example.vn/van-ban-15")
    data = {"version": card.version, f"result-{e11.pk}": Result.DONE, f"ev-{e11.pk}": [link.pk],
            f"result-{e23.pk}": Result.PARTIAL, f"ratio-{e23.pk}": "50", f"note-{e23.pk}": "Chuyên đề số 3",
            "save": "1"}  # fmt: skip
    assert client.post(url, data).status_code == 302
    page = client.get(url).content.decode()
    # 1.1 done (3.75) + 2.3 half (2.50 of 5): 6.25 of 8.75 applicable -> 71.43, computed by the engine.
    assert (
        "Tổng tạm tính: <span data-total>71,43</span>" in page
        and "(<span data-rank>Hoàn thành</span>)" in page
    )

    stale = client.post(url, {**data, f"ratio-{e23.pk}": "90"})  # the version it carries is now old
    assert "đã được người khác lưu" in stale.content.decode()
    assert card.entries.get(pk=e23.pk).ratio == 0.5

    card.refresh_from_db()
    submitted = client.post(url, {**data, "version": card.version, "submit": "1"})
    assert submitted.status_code == 302
    card.refresh_from_db()
    assert card.state == Scorecard.State.SUBMITTED
    page = client.get(url).content.decode()
    assert "Phiếu chỉ xem" in page and 'name="submit"' not in page


def test_it_refuses_to_submit_without_evidence_and_keeps_what_was_typed(people, client):
    client.force_login(people["alice"])
    card, url = open_month(client)
    e11 = card.entries.get(criterion__code="1.1")
    response = client.post(url, {"version": card.version, f"result-{e11.pk}": Result.DONE,
                                 f"comment-{e11.pk}": "Đã ban hành 3 văn bản", "submit": "1"})  # fmt: skip
    page = response.content.decode()
    assert "chưa có minh chứng: 1.1" in page
    assert "Đã ban hành 3 văn bản" in page  # nothing lost on the page
    card.refresh_from_db()
    assert card.state == Scorecard.State.DRAFT


def test_it_keeps_cards_of_other_units_out_of_reach(people, client):
    client.force_login(people["alice"])
    card, url = open_month(client)
    client.force_login(people["frank"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"version": card.version, "submit": "1"}).status_code == 404
    client.force_login(people["bob"])  # the reviewer reads it, but does not fill it in for the unit
    page = client.get(url).content.decode()
    assert "Phiếu chỉ xem" in page
    assert client.get(reverse("self_assessment", args=["2026-13"])).status_code == 404
    assert Scorecard.objects.count() == 1 and Scorecard.objects.get().month == date(2026, 3, 1)
