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
from tests.kpi_helpers import settle


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


def open_month(client, month="2026-03", *, settled_but=None, by=None):
    """Open the month and start its card (the POST that makes it); with `settled_but`, every criterion but
    those is then marked "Không áp dụng" with a reason, as a unit does for work that did not arise."""
    assert client.get(reverse("self_assessment", args=[month])).status_code == 200
    response = client.post(reverse("self_assessment", args=[month]))
    assert response.status_code == 302
    card = Scorecard.objects.get(pk=int(response.url.rstrip("/").split("/")[-1]))
    if settled_but is not None:
        card = settle(card, by=by, timeliness=True, keep=settled_but)
    return card, response.url


def test_it_lets_an_officer_score_save_and_submit_the_month(people, client):
    client.force_login(people["alice"])
    card, url = open_month(client)
    page = client.get(url).content.decode()
    # 7.1 may stay "Chưa chấm" (proposed on submission), so 24 are left to choose.
    assert "còn <b data-unassessed>24</b> tiêu chí chưa chấm" in page
    card = settle(card, by=people["alice"], timeliness=True, keep=["1.1", "2.3"])
    page = client.get(url).content.decode()
    assert "Tự chấm tháng 03/2026 — Phòng Văn hóa - Xã hội" in page
    assert "Nhóm 2. An toàn trường học – kỷ cương, nền nếp" in page
    assert "Mức đạt: Đúng hạn, đủ nội dung" in page
    assert page.count('value="done"') == 25  # each criterion's result, as large choices
    e11 = card.entries.get(criterion__code="1.1")
    e23 = card.entries.get(criterion__code="2.3")
    link = evidence_add_link(unit=card.unit, by=people["alice"], url="https://example.vn/van-ban-15")
    data = {"version": card.version, f"result-{e11.pk}": Result.DONE, f"ev-{e11.pk}": [link.pk],
            f"result-{e23.pk}": Result.PARTIAL, f"ratio-{e23.pk}": "50", f"note-{e23.pk}": "Chuyên đề số 3",
            "save": "1"}  # fmt: skip
    assert client.post(url, data).status_code == 302
    page = client.get(url).content.decode()
    # 1.1 done (3.75) + 2.3 half (2.50 of 5): 6.25 of 8.75 applicable -> 71.43, computed by the engine;
    # 8.75 of the rubric's 100 points is too little to rank on.
    assert "Tổng tạm tính: <b data-total>71,43</b>" in page
    assert "(Chưa xếp loại (chỉ 8,75 điểm áp dụng: lãnh đạo xem xét))" in page

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
    card, url = open_month(client, settled_but=["1.1"], by=people["alice"])
    e11 = card.entries.get(criterion__code="1.1")
    response = client.post(url, {"version": card.version, f"result-{e11.pk}": Result.DONE,
                                 f"comment-{e11.pk}": "Đã ban hành 3 văn bản", "submit": "1"})  # fmt: skip
    page = response.content.decode()
    assert "chưa có minh chứng: 1.1" in page
    assert "Đã ban hành 3 văn bản" in page  # nothing lost on the page
    card.refresh_from_db()
    assert card.state == Scorecard.State.DRAFT
    # A refused submit writes nothing, not even the save that came with it.
    assert card.entries.get(pk=e11.pk).result == Result.NOT_ASSESSED


def test_it_keeps_cards_of_other_units_out_of_reach(people, client):
    client.force_login(people["alice"])
    card, url = open_month(client)
    client.force_login(people["frank"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"version": card.version, "submit": "1"}).status_code == 404
    client.force_login(people["bob"])  # the reviewer reads it, but does not fill it in for the unit
    page = client.get(url).content.decode()
    assert "Phiếu chỉ xem" in page
    assert client.get(reverse("self_assessment", args=["2026-03"])).status_code == 403
    client.force_login(people["alice"])
    assert client.get(reverse("self_assessment", args=["2026-13"])).status_code == 404
    assert Scorecard.objects.count() == 1 and Scorecard.objects.get().month == date(2026, 3, 1)


def test_without_script_the_draft_save_uploads_each_criterions_files(people, client, settings, tmp_path):
    """No JavaScript: files chosen under a criterion go up with "Lưu nháp", attached to that criterion, and
    everything typed is saved by the same post; a refused save keeps neither the files nor the results."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tasks.models import Evidence

    settings.MEDIA_ROOT = tmp_path
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    client.force_login(people["alice"])
    card, url = open_month(client)
    e11 = card.entries.get(criterion__code="1.1")
    e12 = card.entries.get(criterion__code="1.2")
    data = {"version": card.version, f"result-{e11.pk}": Result.DONE, f"comment-{e11.pk}": "Ba văn bản",
            f"file-{e11.pk}": SimpleUploadedFile("van-ban.pdf", pdf), "save": "1"}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302
    e11.refresh_from_db()
    assert e11.result == Result.DONE and e11.comment == "Ba văn bản"
    assert [ev.original_name for ev in e11.evidence.all()] == ["van-ban.pdf"]
    page = client.get(url).content.decode()
    assert "van-ban.pdf" in page and "Đã lưu nháp. Đã lưu 1 minh chứng." in page
    card.refresh_from_db()
    refused = client.post(url, {"version": card.version, f"result-{e12.pk}": Result.PARTIAL,
                                f"file-{e12.pk}": SimpleUploadedFile("b.pdf", pdf + b"2"), "save": "1"})  # fmt: skip
    assert "nhập tỷ lệ đạt" in refused.content.decode()
    assert Evidence.objects.count() == 1 and card.entries.get(pk=e12.pk).result == Result.NOT_ASSESSED


def test_the_autosave_and_the_background_upload_answer_in_json(people, client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client.force_login(people["alice"])
    card, url = open_month(client)
    e11 = card.entries.get(criterion__code="1.1")
    fetch = {"HTTP_X_REQUESTED_WITH": "fetch"}
    saved = client.post(url, {"version": card.version, f"result-{e11.pk}": Result.LATE, "save": "1"}, **fetch)
    card.refresh_from_db()
    assert saved.json()["version"] == card.version and card.entries.get(pk=e11.pk).result == Result.LATE
    stale = client.post(url, {"version": card.version - 1, f"result-{e11.pk}": Result.DONE}, **fetch).json()
    assert "đã được người khác lưu" in stale["error"]
    upload = reverse("scorecard_evidence", args=[card.pk])
    answer = client.post(upload, {"entry": e11.pk, "e-files": [SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")]},
                         **fetch).json()  # fmt: skip
    assert (
        answer["message"] == "Đã tải lên 1 minh chứng."
        and f'name="ev-{e11.pk}"' in answer["evidence"][0]["html"]
    )
    # Stored for the unit, ticked on the page; attached by the next save, so the open form's version holds.
    card.refresh_from_db()
    assert card.version == saved.json()["version"] and not card.entries.get(pk=e11.pk).evidence.exists()
    bad = client.post(
        upload, {"entry": "abc", "e-files": [SimpleUploadedFile("a.pdf", b"%PDF-1.4\n")]}, **fetch
    )
    assert "Không rõ tiêu chí" in bad.json()["error"]
