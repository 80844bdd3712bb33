"""Phòng VH-XH's review queue and review page, the leader's approval and reopening, a card's history and the
live score preview (the world of tests/conftest.py: alice officer, bob reviewer, charlie leader of Phường Thử
Một; dave and erin of the other ward)."""

import json
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpi.models import Scorecard
from kpi.scoring import Result
from kpi.services import EntryInput, scorecard_get_or_create, scorecard_submit, scorecard_update_entries
from tasks.services import evidence_upload
from tests.factories import OrgUnitFactory
from tests.kpi_helpers import accept_not_applicable, settle

State = Scorecard.State
MARCH = date(2026, 3, 1)
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
ON_TIME = datetime(2026, 4, 3, 9, 0, tzinfo=HCM)
LATE = datetime(2026, 4, 9, 9, 0, tzinfo=HCM)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def submitted(unit, rubric, by, *, at=ON_TIME, results=None):
    """A card of the unit for March, scored and sent."""
    card = scorecard_get_or_create(unit=unit, rubric=rubric, month=MARCH)
    entries = {
        code: EntryInput(result, evidence_note=f"Văn bản {code}")
        for code, result in (results or {"1.1": Result.DONE, "1.2": Result.DONE, "2.1": Result.LATE}).items()
    }
    card = scorecard_update_entries(scorecard=card, by=by, entries=entries, version=card.version)
    return scorecard_submit(scorecard=settle(card, by=by), by=by, at=at)


@pytest.fixture
def officers(world, people):
    from plans.models import UserProfile
    from tests.factories import UserFactory, UserProfileFactory

    made = {}
    for name, unit in [("paul", world.police), ("mia", world.school_mn)]:
        made[name] = UserFactory(username=name)
        UserProfileFactory(user=made[name], unit=unit, role=UserProfile.Role.OFFICER)
    return made


def review_form(card, **overrides):
    data = {"version": card.version}
    for entry in card.entries.select_related("criterion"):
        data[f"result-{entry.pk}"] = entry.result
        data[f"ratio-{entry.pk}"] = f"{entry.ratio * 100:.0f}" if entry.ratio is not None else ""
        data[f"points-{entry.pk}"] = ""
        data[f"reason-{entry.pk}"] = entry.review_reason
        if entry.result == Result.NOT_APPLICABLE:
            data[f"na-ok-{entry.pk}"] = "on"  # the reviewer accepts the unit's reasons unless told otherwise
    for code, values in overrides.items():
        entry = card.entries.get(criterion__code=code)
        for name, value in values.items():
            data[f"{name}-{entry.pk}"] = value
    return data


def test_it_lists_the_months_cards_by_state_and_marks_late_ones(world, rubric, people, officers, client):
    submitted(world.vhxh, rubric, people.alice, at=LATE)
    scorecard_get_or_create(unit=world.school_mn, rubric=rubric, month=MARCH)  # a draft, never sent
    client.force_login(people.bob)
    page = client.get(reverse("review_queue"), {"month": "2026-03"}).content.decode()
    assert "Phiếu KPI tháng 03/2026" in page
    assert "Phòng Văn hóa - Xã hội" in page and "nộp muộn" in page
    assert "Trường Mầm non A" in page and "quá hạn 05/04" in page  # draft past the deadline
    assert "Công an phường Thử Một" in page and "Chưa có phiếu (1)" in page
    assert "Đã nộp (1)" in page and "Nháp (1)" in page
    assert reverse("review", args=[Scorecard.objects.get(unit=world.vhxh).pk]) in page
    # Filter by state.
    only = client.get(reverse("review_queue"), {"month": "2026-03", "state": "submitted"}).content.decode()
    assert "Phòng Văn hóa - Xã hội" in only and "Trường Mầm non A" not in only
    # The ward's summary downloads are offered for the month.
    assert reverse("reports:ward_summary", args=["T-W1", "2026-03", "pdf"]) in page


def test_it_keeps_the_queue_to_the_users_ward_and_role(world, rubric, people, client):
    submitted(world.vhxh, rubric, people.alice)
    client.force_login(people.erin)  # leader of the other ward
    page = client.get(reverse("review_queue"), {"month": "2026-03"}).content.decode()
    assert "Phòng Văn hóa - Xã hội" not in page
    client.force_login(people.alice)  # officers do not review
    assert client.get(reverse("review_queue")).status_code == 403
    client.force_login(people.bob)
    assert client.get(reverse("review_queue"), {"month": "13/2026"}).status_code == 404


@pytest.mark.parametrize("units", [1, 12])
def test_it_builds_the_queue_in_fixed_queries(
    world, rubric, people, client, django_assert_max_num_queries, units
):
    extra = [
        OrgUnitFactory(code=f"T-W1-X{i}", parent=world.ward, name=f"Tổ dân phố {i}") for i in range(units)
    ]
    rubric.units.add(*extra)
    for unit in extra:
        scorecard_get_or_create(unit=unit, rubric=rubric, month=MARCH)
    client.force_login(people.bob)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("review_queue"), {"month": "2026-03"})
    assert (
        response.content.decode().count("<td>Tổ dân phố") == units
    )  # one table row each (Nhắc nộp lists them too)


def test_it_shows_the_units_claim_and_evidence_beside_the_review(
    world, rubric, people, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    [photo] = evidence_upload(unit=world.vhxh, by=people.alice, files=[SimpleUploadedFile("anh.png", PNG)],
                              summary="Ảnh buổi sinh hoạt")  # fmt: skip
    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=MARCH)
    card = scorecard_update_entries(
        scorecard=card, by=people.alice, version=card.version,
        entries={"1.1": EntryInput(Result.PARTIAL, ratio=Decimal("0.5"), comment="Mới xong nửa",
                                   evidence_ids=[photo.pk])},
    )  # fmt: skip
    scorecard_submit(scorecard=settle(card, by=people.alice), by=people.alice, at=ON_TIME)
    client.force_login(people.bob)
    page = client.get(reverse("review", args=[card.pk])).content.decode()
    assert "Thẩm định: Phòng Văn hóa - Xã hội — tháng 03/2026" in page
    assert "Hoàn thành một phần</b> (50%) · <b>1,88</b> điểm" in page  # 3.75 × 0.5, as the unit claimed it
    assert "Mới xong nửa" in page
    inline = reverse("evidence_download", args=[photo.pk]) + "?xem=1"
    assert f'<img src="{inline}"' in page
    response = client.get(inline)
    assert (
        response["Content-Disposition"].startswith("inline")
        and response["X-Content-Type-Options"] == "nosniff"
    )
    assert client.get(reverse("evidence_download", args=[photo.pk]))["Content-Disposition"].startswith(
        "attachment"
    )


def test_it_requires_a_reason_where_the_reviewed_points_differ(world, rubric, people, client):
    card = submitted(world.vhxh, rubric, people.alice)
    client.force_login(people.bob)
    url = reverse("review", args=[card.pk])
    changed = review_form(card, **{"1.2": {"result": Result.NOT_DONE}, "2.1": {"result": Result.DONE}})
    page = client.post(url, changed).content.decode()
    assert "Điểm thẩm định khác điểm tự chấm ở các tiêu chí sau, cần ghi lý do: 1.2, 2.1." in page
    assert card.entries.get(criterion__code="1.2").result == Result.DONE  # nothing written
    by_hand = client.post(url, review_form(card, **{"2.1": {"points": "4,5"}})).content.decode()
    assert "Tiêu chí 2.1: Điểm thẩm định nhập tay cần ghi lý do." in by_hand
    assert 'value="4,5"' in by_hand  # what was typed is kept

    explained = review_form(
        card,
        **{
            "1.2": {"result": Result.NOT_DONE, "reason": "Chưa có biên bản"},
            "2.1": {"points": "4,5", "reason": "Chậm 1 ngày, có lý do"},
        },
    )
    assert client.post(url, explained).status_code == 302
    entry = card.entries.get(criterion__code="2.1")
    assert entry.reviewed_points == Decimal("4.5") and entry.review_reason == "Chậm 1 ngày, có lý do"
    card.refresh_from_db()
    # 1.1 3.75 + 1.2 0 + 2.1 4.5 + 7.1 (proposed on time) 2.5 = 10.75 of 3.75 + 3.75 + 5 + 2.5 = 15.
    assert card.total == Decimal("71.67")

    other = submitted(world.police, rubric, None)  # sent by the system: no officer of the police here
    response = client.post(url, {**review_form(card), "done": "1", "note": "Đạt"})
    card.refresh_from_db()
    # On to the next card waiting for review; after the last one, back to the month's queue.
    assert response.status_code == 302 and response.url == reverse("review", args=[other.pk])
    last = client.post(reverse("review", args=[other.pk]), {**review_form(other), "done": "1"})
    assert last.url == reverse("review_queue") + "?month=2026-03"
    assert card.state == State.REVIEWED and card.reviewed_by == people.bob
    # Once reviewed, the review page sends the reviewer back to the card.
    assert client.get(url).status_code == 302


def test_it_refuses_a_stale_review(world, rubric, people, client):
    card = submitted(world.vhxh, rubric, people.alice)
    client.force_login(people.bob)
    old = review_form(card, **{"1.2": {"result": Result.NOT_DONE, "reason": "Thiếu"}})
    old["version"] = card.version - 1
    page = client.post(reverse("review", args=[card.pk]), old).content.decode()
    assert "đã được người khác lưu" in page
    assert card.entries.get(criterion__code="1.2").result == Result.DONE


def test_it_returns_a_card_to_the_unit_with_a_reason(world, rubric, people, client):
    card = submitted(world.vhxh, rubric, people.alice)
    client.force_login(people.bob)
    url = reverse("scorecard_action", args=[card.pk, "return"])
    client.post(url, {"reason": "  "})
    card.refresh_from_db()
    assert card.state == State.SUBMITTED
    client.post(url, {"reason": "Bổ sung biên bản tiêu chí 1.2"})
    card.refresh_from_db()
    assert card.state == State.DRAFT
    client.force_login(people.alice)
    page = client.get(reverse("scorecard", args=[card.pk])).content.decode()
    assert "Bổ sung biên bản tiêu chí 1.2" in page and 'name="submit"' in page  # editable again


def test_it_lets_a_leader_approve_many_reviewed_cards_and_names_the_refusals(
    world, rubric, people, officers, client
):
    from kpi.services import scorecard_review

    first = scorecard_review(
        scorecard=accept_not_applicable(submitted(world.vhxh, rubric, people.alice)), by=people.bob
    )
    second = scorecard_review(
        scorecard=accept_not_applicable(submitted(world.police, rubric, officers["paul"])), by=people.bob
    )
    pending = submitted(world.school_mn, rubric, officers["mia"])  # not reviewed yet
    client.force_login(people.charlie)
    queue = client.get(reverse("review_queue"), {"month": "2026-03"}).content.decode()
    assert f'name="card" value="{first.pk}"' in queue and f'name="card" value="{pending.pk}"' not in queue
    response = client.post(reverse("approve_many"), {"card": [first.pk, second.pk, pending.pk]}, follow=True)
    page = response.content.decode()
    assert "Đã phê duyệt 2 phiếu." in page
    assert "Trường Mầm non A: Chỉ phê duyệt được phiếu đã thẩm định" in page
    # The way back is a path of this site only: an outside address in `next` is ignored.
    elsewhere = client.post(reverse("approve_many"), {"card": [pending.pk], "next": "https://example.com/x"})
    assert elsewhere.url == reverse("review_queue")
    states = dict(Scorecard.objects.values_list("unit__code", "state"))
    assert states == {"T-W1-VHXH": State.APPROVED, "T-W1-CA": State.APPROVED, "T-W1-MN": State.SUBMITTED}
    first.refresh_from_db()
    assert first.approved_total == first.total and first.approved_by == people.charlie


def test_it_never_approves_a_card_outside_the_leaders_ward(world, rubric, people, client):
    from kpi.services import scorecard_review

    card = scorecard_review(
        scorecard=accept_not_applicable(submitted(world.vhxh, rubric, people.alice)), by=people.bob
    )
    client.force_login(people.erin)
    client.post(reverse("approve_many"), {"card": [card.pk]})
    assert client.post(reverse("scorecard_action", args=[card.pk, "approve"])).status_code == 404
    card.refresh_from_db()
    assert card.state == State.REVIEWED
    client.force_login(people.bob)  # a reviewer does not approve
    assert client.post(reverse("scorecard_action", args=[card.pk, "approve"])).status_code == 403
    assert client.post(reverse("approve_many"), {"card": [card.pk]}).status_code == 403


def test_it_keeps_an_approved_card_locked_until_a_leader_reopens_it_with_a_reason(
    world, rubric, people, client
):
    from kpi.services import scorecard_approve, scorecard_review

    card = scorecard_review(
        scorecard=accept_not_applicable(submitted(world.vhxh, rubric, people.alice)), by=people.bob
    )
    card = scorecard_approve(scorecard=card, by=people.charlie)
    client.force_login(people.alice)
    url = reverse("scorecard", args=[card.pk])
    page = client.get(url).content.decode()
    assert "Phiếu đã khóa." in page and 'name="result-' not in page
    entry = card.entries.get(criterion__code="1.1")
    client.post(url, {"version": card.version, f"result-{entry.pk}": Result.NOT_DONE, "save": "1"})
    assert card.entries.get(criterion__code="1.1").result == Result.DONE
    assert (
        client.post(reverse("scorecard_action", args=[card.pk, "reopen"]), {"reason": "x"}).status_code == 403
    )

    client.force_login(people.charlie)
    reopen = reverse("scorecard_action", args=[card.pk, "reopen"])
    assert "Mở lại phiếu cần ghi lý do." in client.post(reopen, {"reason": ""}, follow=True).content.decode()
    card.refresh_from_db()
    assert card.state == State.APPROVED
    client.post(reopen, {"reason": "Sai điểm tiêu chí 2.1"})
    card.refresh_from_db()
    assert card.state == State.REVIEWED and card.approved_total is None


def test_it_shows_the_cards_full_history(world, rubric, people, client):
    card = submitted(world.vhxh, rubric, people.alice)
    client.force_login(people.bob)
    form = review_form(card, **{"1.2": {"result": Result.NOT_DONE, "reason": "Thiếu biên bản"}})
    client.post(reverse("review", args=[card.pk]), form)
    client.post(reverse("scorecard_action", args=[card.pk, "return"]), {"reason": "Nộp lại biên bản"})
    client.force_login(people.alice)
    page = client.get(reverse("scorecard_history", args=[card.pk])).content.decode()
    assert "Nháp → Đã nộp" in page and "Đã nộp → Nháp" in page and "Lý do: Nộp lại biên bản" in page
    assert "Tiêu chí 1.2" in page
    assert "Kết quả: <del>Hoàn thành</del> → <b>Không hoàn thành</b>" in page
    assert "Lý do điểm thẩm định: <del>—</del> → <b>Thiếu biên bản</b>" in page
    assert page.index("Nháp → Đã nộp") < page.index("Thiếu biên bản") < page.index("Đã nộp → Nháp")
    assert "bob" in page and "alice" in page


def test_it_previews_the_total_with_the_engine_without_saving(world, rubric, people, client):
    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=MARCH)
    client.force_login(people.alice)
    url = reverse("score_preview", args=[card.pk])
    blank = json.loads(client.post(url, {}).content)
    assert blank["total"] == "0,00" and blank["rank"] == "Chưa xếp loại (còn 25 tiêu chí chưa chấm)"
    card = settle(card, by=people.alice, timeliness=True)  # the rest does not apply this month
    e11 = card.entries.get(criterion__code="1.1")
    e12 = card.entries.get(criterion__code="1.2")
    data = json.loads(client.post(url, {f"result-{e11.pk}": "done", f"result-{e12.pk}": "partial",
                                         f"ratio-{e12.pk}": "50"}).content)  # fmt: skip
    # 5.625 of the 7.5 points that apply; too few of the rubric's 100 to rank.
    assert (
        data["total"] == "75,00" and data["applicable"] == "7,50" and data["rank"].startswith("Chưa xếp loại")
    )
    assert data["items"][str(e12.pk)] == "1,88"
    assert card.entries.get(pk=e11.pk).result == Result.NOT_APPLICABLE  # nothing saved
    bad = json.loads(client.post(url, {f"result-{e12.pk}": "partial", f"ratio-{e12.pk}": "abc"}).content)
    assert "1.2" in bad["error"]
    client.force_login(people.bob)  # a draft is the unit's to score, not the reviewer's
    assert client.post(url, {}).status_code == 403
    client.force_login(people.dave)
    assert client.post(url, {}).status_code == 404


def test_it_takes_evidence_on_the_self_assessment_page_and_attaches_it(
    world, rubric, people, client, settings, tmp_path
):
    from tasks.models import Evidence

    settings.MEDIA_ROOT = tmp_path
    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=MARCH)
    entry = card.entries.get(criterion__code="1.3")
    client.force_login(people.alice)
    url = reverse("scorecard_evidence", args=[card.pk])
    response = client.post(url, {"entry": entry.pk, "e-files": [SimpleUploadedFile("anh.png", PNG)],
                                 "e-summary": "Ảnh hội nghị"}, follow=True)  # fmt: skip
    assert "Đã lưu 1 minh chứng và gắn vào tiêu chí 1.3." in response.content.decode()
    photo = Evidence.objects.get()
    assert photo.unit == world.vhxh and list(entry.evidence.all()) == [photo]
    # A file that is not what its name says is refused, and nothing is stored or attached.
    fake = SimpleUploadedFile("bao-cao.pdf", b"<html><script>alert(1)</script></html>")
    refused = client.post(url, {"entry": entry.pk, "e-files": [fake]}, follow=True).content.decode()
    assert "bao-cao.pdf" in refused and Evidence.objects.count() == 1
    client.force_login(people.bob)  # the draft is the unit's
    assert client.post(url, {"e-files": [SimpleUploadedFile("b.png", PNG)]}).status_code == 403
    client.force_login(people.dave)
    assert client.post(url, {"e-files": [SimpleUploadedFile("c.png", PNG)]}).status_code == 404
    assert Evidence.objects.count() == 1
