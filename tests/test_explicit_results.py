"""Scores that can be trusted (issue #12): every result explicit, N/A with a reason accepted in review, the
rubric's applicability by kind of unit, the low-applicability rule, one card per unit, plan and month, cards made
by POST only, the submission window, tampered forms, and the card-action table.

The world of tests/conftest.py: alice officer of Phòng VH-XH, bob reviewer, charlie leader of Phường Thử Một;
dave and erin of the other ward.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from kpi.access import CARD_ACTIONS, card_actions
from kpi.models import Scorecard, ScoreEntry
from kpi.scoring import Result
from kpi.services import (
    EntryInput,
    WorkflowError,
    rubric_new_version,
    scorecard_approve,
    scorecard_get_or_create,
    scorecard_move_to_rubric,
    scorecard_reopen,
    scorecard_review,
    scorecard_submit,
    scorecard_update_entries,
)
from plans.audit import audit_entries_for
from plans.models import AuditEntry
from tests.kpi_helpers import accept_not_applicable, settle

State = Scorecard.State
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = date(2026, 3, 1)
ON_TIME = datetime(2026, 4, 3, 9, 0, tzinfo=HCM)


@pytest.fixture
def card(rubric, world):
    return scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=MARCH)


def save(card, by, **entries):
    return scorecard_update_entries(
        scorecard=card,
        by=by,
        version=card.version,
        entries={k.replace("_", "."): v for k, v in entries.items()},
    )


def done(note="Biên bản số 1/BB"):
    return EntryInput(Result.DONE, evidence_note=note)


# --- every result explicit --------------------------------------------------------------------------------------


def test_it_refuses_to_submit_a_blank_card_and_names_the_criteria(card, people):
    with pytest.raises(WorkflowError, match=r"chưa chấm .*: 1\.1, 1\.2, 1\.3"):
        scorecard_submit(scorecard=card, by=people.alice, at=ON_TIME)
    card.refresh_from_db()
    assert (card.state, card.transitions.count(), card.submitted_at) == (State.DRAFT, 0, None)


def test_it_refuses_to_submit_while_one_criterion_is_left(card, people):
    settle(card, by=people.alice)
    card.refresh_from_db()
    save(card, people.alice, **{"4_2": EntryInput(Result.NOT_ASSESSED)})
    with pytest.raises(WorkflowError, match=r"chưa chấm .*: 4\.2\."):
        scorecard_submit(scorecard=card, by=people.alice, at=ON_TIME)


def test_it_leaves_7_1_to_the_systems_proposal(card, people):
    card = settle(card, by=people.alice)
    scorecard_submit(scorecard=card, by=people.alice, at=ON_TIME)
    entry = card.entries.get(criterion__code="7.1")
    assert entry.result == Result.DONE and "tự động" in entry.comment


def test_it_needs_a_reason_for_not_applicable(card, people):
    with pytest.raises(WorkflowError, match=r"Tiêu chí 1\.1: “Không áp dụng” cần ghi lý do\."):
        save(card, people.alice, **{"1_1": EntryInput(Result.NOT_APPLICABLE, na_reason="  ")})
    assert card.entries.get(criterion__code="1.1").result == Result.NOT_ASSESSED


def test_it_refuses_not_applicable_without_a_reason_in_the_database(card):
    entry = card.entries.get(criterion__code="1.1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoreEntry.objects.filter(pk=entry.pk).update(result=Result.NOT_APPLICABLE, na_reason="")


def test_it_makes_the_reviewer_accept_each_not_applicable_claim(card, people):
    save(
        card,
        people.alice,
        **{"1_1": done(), "1_2": EntryInput(Result.NOT_APPLICABLE, na_reason="Không có lớp")},
    )
    card = scorecard_submit(scorecard=settle(card, by=people.alice), by=people.alice, at=ON_TIME)
    with pytest.raises(WorkflowError, match=r"cần chấp nhận lý do .*: 1\.2, 1\.3"):
        scorecard_review(scorecard=card, by=people.bob)
    card = accept_not_applicable(card, by=people.bob)
    assert card.entries.get(criterion__code="1.2").na_accepted
    scorecard_review(scorecard=card, by=people.bob)


def test_it_needs_a_reason_when_the_reviewer_rejects_a_not_applicable_claim(card, people):
    save(card, people.alice, **{"1_1": done()})
    card = scorecard_submit(scorecard=settle(card, by=people.alice), by=people.alice, at=ON_TIME)
    card.refresh_from_db()
    with pytest.raises(WorkflowError, match=r"cần ghi lý do: 1\.2\."):
        save(card, people.bob, **{"1_2": EntryInput(Result.NOT_DONE)})
    card = save(
        card, people.bob, **{"1_2": EntryInput(Result.NOT_DONE, review_reason="Có lớp học trong tháng")}
    )
    entry = card.entries.get(criterion__code="1.2")
    assert (entry.result, entry.na_reason, entry.na_accepted) == (Result.NOT_DONE, "", False)


def test_it_presets_not_applicable_for_kinds_the_rubric_excludes(rubric, world, people):
    criterion = rubric.groups.get(code="3").criteria.get(code="3.1")
    criterion.applies_to = ["school"]
    criterion.save()
    police = scorecard_get_or_create(unit=world.police, rubric=rubric, month=MARCH)
    school = scorecard_get_or_create(unit=world.school_mn, rubric=rubric, month=MARCH)
    entry = police.entries.get(criterion=criterion)
    assert (entry.result, entry.na_by_rubric) == (Result.NOT_APPLICABLE, True)
    assert entry.na_reason == "Tiêu chí chỉ áp dụng cho: Trường học."
    assert school.entries.get(criterion=criterion).result == Result.NOT_ASSESSED
    with pytest.raises(WorkflowError, match="không áp dụng cho công an theo bộ tiêu chí"):
        save(police, None, **{"3_1": done()})


def test_it_does_not_offer_a_criterion_the_rubric_excludes(rubric, world, people, client):
    from plans.models import UserProfile
    from tests.factories import UserFactory, UserProfileFactory

    criterion = rubric.groups.get(code="3").criteria.get(code="3.1")
    criterion.applies_to = ["school"]
    criterion.not_applicable_reason = "Chỉ các trường tổ chức lớp học."
    criterion.save()
    paul = UserFactory(username="paul")
    UserProfileFactory(user=paul, unit=world.police, role=UserProfile.Role.OFFICER)
    card = scorecard_get_or_create(unit=world.police, rubric=rubric, month=MARCH)
    entry = card.entries.get(criterion=criterion)
    client.force_login(paul)
    page = client.get(reverse("scorecard", args=[card.pk])).content.decode()
    assert "Chỉ các trường tổ chức lớp học." in page
    assert f'name="result-{entry.pk}"' not in page
    other = card.entries.get(criterion__code="3.2")
    assert f'name="result-{other.pk}"' in page


def test_it_flags_a_card_with_too_little_of_the_rubric_applying(card, people, client):
    save(card, people.alice, **{"1_1": done()})
    card = settle(card, by=people.alice, timeliness=True)
    card.refresh_from_db()
    # 3.75 of 3.75 applicable points: 100 %, but of too little of the rubric to say "xuất sắc".
    assert (card.total, card.rank) == (Decimal("100.00"), "")
    client.force_login(people.alice)
    page = client.get(reverse("scorecard", args=[card.pk])).content.decode()
    assert "không được xếp loại tự động" in page
    assert "Hoàn thành xuất sắc" not in page


# --- one card per unit, plan and month ----------------------------------------------------------------------


def test_it_keeps_one_card_per_unit_plan_and_month_across_rubric_versions(card, rubric, world):
    newer = rubric_new_version(rubric=rubric)
    again = scorecard_get_or_create(unit=world.vhxh, rubric=newer, month=MARCH)
    assert again.pk == card.pk and again.rubric_id == rubric.pk
    assert Scorecard.objects.filter(unit=world.vhxh, month=MARCH).count() == 1


def test_it_refuses_a_second_card_in_the_database(card, rubric, world):
    newer = rubric_new_version(rubric=rubric)
    with pytest.raises(IntegrityError), transaction.atomic():
        Scorecard.objects.create(unit=world.vhxh, rubric=newer, month=MARCH)


def test_it_gives_a_new_rubric_version_to_months_without_a_card(card, rubric, world):
    newer = rubric_new_version(rubric=rubric)
    april = scorecard_get_or_create(unit=world.vhxh, rubric=newer, month=date(2026, 4, 1))
    assert april.rubric_id == newer.pk


def test_it_moves_a_draft_to_the_new_version_keeping_its_results(card, rubric, people):
    save(
        card,
        people.alice,
        **{"1_1": done("Kế hoạch 3/KH"), "2_1": EntryInput(Result.PARTIAL, ratio=Decimal("0.4"))},
    )
    newer = rubric_new_version(rubric=rubric)
    card.refresh_from_db()
    moved = scorecard_move_to_rubric(scorecard=card, by=people.alice, rubric=newer, version=card.version)
    assert moved.rubric_id == newer.pk and moved.entries.count() == 25
    e11 = moved.entries.get(criterion__code="1.1")
    assert (e11.criterion.group.rubric_id, e11.result, e11.evidence_note) == (
        newer.pk,
        Result.DONE,
        "Kế hoạch 3/KH",
    )
    assert moved.entries.get(criterion__code="2.1").ratio == Decimal("0.4")
    assert [a.action for a in audit_entries_for(card)] == [AuditEntry.Action.MOVE_RUBRIC]


def test_it_never_moves_a_sent_card(card, rubric, people):
    card = scorecard_submit(scorecard=settle(card, by=people.alice), by=people.alice, at=ON_TIME)
    newer = rubric_new_version(rubric=rubric)
    with pytest.raises(WorkflowError, match="chỉ phiếu nháp"):
        scorecard_move_to_rubric(scorecard=card, by=people.bob, rubric=newer)
    card.refresh_from_db()
    assert card.rubric_id == rubric.pk


# --- months that make sense ------------------------------------------------------------------------------------


def test_it_never_makes_a_card_by_opening_a_page(rubric, people, client):
    client.force_login(people.alice)
    page = client.get(reverse("self_assessment", args=["2026-03"]))
    assert page.status_code == 200 and "Lập phiếu tháng 03/2026" in page.content.decode()
    assert not Scorecard.objects.exists()
    made = client.post(reverse("self_assessment", args=["2026-03"]))
    card = Scorecard.objects.get()
    assert made.url == reverse("scorecard", args=[card.pk])


@pytest.mark.parametrize("month", ["2099-01", "2025-12", "2026-13", "abc"])
def test_it_answers_404_for_a_month_not_offered(rubric, people, client, month):
    # The plan runs from 2026: December 2025 is before it; 2099 is in the future.
    client.force_login(people.alice)
    assert client.get(reverse("self_assessment", args=[month])).status_code == 404
    assert client.post(reverse("self_assessment", args=[month])).status_code == 404
    assert not Scorecard.objects.exists()


def test_it_refuses_to_submit_a_month_before_its_submission_day(rubric, world, people):
    card = settle(scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=MARCH), by=people.alice)
    with pytest.raises(WorkflowError, match="nộp được từ ngày 25/03/2026"):
        scorecard_submit(scorecard=card, by=people.alice, at=datetime(2026, 3, 24, 23, 59, tzinfo=HCM))
    scorecard_submit(scorecard=card, by=people.alice, at=datetime(2026, 3, 25, 0, 1, tzinfo=HCM))


# --- tampered forms ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("version", "abc", "thiếu số phiên bản"),
        ("version", "²", "thiếu số phiên bản"),
        ("ratio", "NaN", "nhập tỷ lệ đạt"),
        ("ratio", "Infinity", "nhập tỷ lệ đạt"),
        ("ratio", "1e9999", "tỷ lệ đạt phải từ 0 đến 100%"),
        ("comment", "a\x00b", "có ký tự không hợp lệ"),
        ("na", "lý do\x00", "có ký tự không hợp lệ"),
        ("ev", "abc", "minh chứng chọn không hợp lệ"),
    ],
)
def test_it_answers_a_tampered_self_assessment_with_a_message(card, people, client, field, value, message):
    entry = card.entries.get(criterion__code="1.1")
    data = {"version": card.version, f"result-{entry.pk}": "partial", f"ratio-{entry.pk}": "50", "save": ""}
    data[field if field == "version" else f"{field}-{entry.pk}"] = value
    client.force_login(people.alice)
    response = client.post(reverse("scorecard", args=[card.pk]), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert card.entries.get(pk=entry.pk).result == Result.NOT_ASSESSED  # nothing written


@pytest.mark.parametrize("value", ["NaN", "-Infinity", "1e9999", "x"])
def test_it_answers_tampered_review_points_with_a_message(card, people, client, value):
    card = scorecard_submit(scorecard=settle(card, by=people.alice), by=people.alice, at=ON_TIME)
    entry = card.entries.get(criterion__code="1.2")
    client.force_login(people.bob)
    response = client.post(
        reverse("review", args=[card.pk]),
        {"version": card.version, f"result-{entry.pk}": "done", f"points-{entry.pk}": value, "save": ""},
    )
    assert response.status_code == 200 and "Tiêu chí 1.2: điểm thẩm định" in response.content.decode()


def test_it_answers_a_tampered_evidence_target_without_a_500(card, people, client):
    client.force_login(people.alice)
    response = client.post(reverse("scorecard_evidence", args=[card.pk]), {"entry": "abc"}, follow=True)
    assert response.status_code == 200


def test_it_answers_a_tampered_approval_list_without_a_500(card, people, client):
    client.force_login(people.charlie)
    response = client.post(reverse("approve_many"), {"card": ["abc", "²", "9" * 40]}, follow=True)
    assert response.status_code == 200 and "Chưa chọn phiếu nào" in response.content.decode()


# --- one table of card actions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state, who, allowed",
    [
        (State.DRAFT, "alice", {"save", "submit", "attach_evidence", "move_rubric", "add_adhoc"}),
        (State.DRAFT, "bob", {"move_rubric", "add_adhoc"}),
        (State.DRAFT, "charlie", set()),
        (State.SUBMITTED, "alice", set()),
        (State.SUBMITTED, "bob", {"review", "add_adhoc", "return"}),
        (State.SUBMITTED, "charlie", {"return"}),
        (State.REVIEWED, "charlie", {"return", "approve"}),
        (State.APPROVED, "charlie", {"reopen"}),
        (State.APPROVED, "bob", set()),
        (State.REVIEWED, "erin", set()),  # a leader of another ward
    ],
)
def test_it_offers_exactly_what_the_action_table_allows(card, people, state, who, allowed):
    if state != State.DRAFT:
        card = scorecard_submit(scorecard=settle(card, by=people.alice), by=people.alice, at=ON_TIME)
    if state in (State.REVIEWED, State.APPROVED):
        card = scorecard_review(scorecard=accept_not_applicable(card, by=people.bob), by=people.bob)
    if state == State.APPROVED:
        card = scorecard_approve(scorecard=card, by=people.charlie)
    card.refresh_from_db()
    assert card_actions(getattr(people, who), card) == allowed
    assert allowed <= set(CARD_ACTIONS)


# --- the audit trail ------------------------------------------------------------------------------------------


def test_it_records_approval_reopening_and_evidence_on_the_cards_history(card, people, world, client):
    from tasks.services import evidence_add_link

    link = evidence_add_link(unit=world.vhxh, by=people.alice, url="https://example.vn/bien-ban")
    save(card, people.alice, **{"1_1": EntryInput(Result.DONE, evidence_ids=[link.pk])})
    card = scorecard_submit(scorecard=settle(card, by=people.alice), by=people.alice, at=ON_TIME)
    card = scorecard_review(scorecard=accept_not_applicable(card, by=people.bob), by=people.bob)
    card = scorecard_approve(scorecard=card, by=people.charlie)
    scorecard_reopen(scorecard=card, by=people.charlie, reason="Sai sót ở tiêu chí 1.1")
    actions = [(a.action, a.by.username) for a in audit_entries_for(card)]
    assert actions == [("evidence_add", "alice"), ("approve", "charlie"), ("reopen", "charlie")]
    client.force_login(people.charlie)
    page = client.get(reverse("scorecard_history", args=[card.pk])).content.decode()
    assert "Gắn minh chứng “https://example.vn/bien-ban” vào tiêu chí 1.1." in page
    assert "Mở lại: Sai sót ở tiêu chí 1.1" in page


def test_it_keeps_evidence_of_a_sent_card_attached(card, people, world):
    from tasks.services import evidence_add_link

    link = evidence_add_link(unit=world.vhxh, by=people.alice, url="https://example.vn/bb")
    save(card, people.alice, **{"1_1": EntryInput(Result.DONE, evidence_ids=[link.pk])})
    card = scorecard_submit(scorecard=settle(card, by=people.alice), by=people.alice, at=ON_TIME)
    with pytest.raises(WorkflowError, match="không có quyền gắn minh chứng"):
        save(card, people.bob, **{"1_1": EntryInput(Result.DONE, evidence_ids=[])})
    card.refresh_from_db()
    with pytest.raises(WorkflowError, match="minh chứng chỉ gắn hoặc gỡ được khi phiếu còn là nháp"):
        save(card, None, **{"1_1": EntryInput(Result.DONE, evidence_ids=[])})
    assert list(card.entries.get(criterion__code="1.1").evidence.all()) == [link]


def test_it_flags_a_sent_card_with_too_little_applying_in_the_queue(card, people, client):
    save(card, people.alice, **{"1_1": done()})
    scorecard_submit(scorecard=settle(card, by=people.alice), by=people.alice, at=ON_TIME)
    client.force_login(people.bob)
    page = client.get(reverse("review_queue"), {"month": "2026-03"}).content.decode()
    assert "ít tiêu chí áp dụng" in page


# --- a save's cost --------------------------------------------------------------------------------------------


def test_it_saves_a_whole_card_in_a_fixed_number_of_queries(card, people, django_assert_max_num_queries):
    every = {e.criterion.code: done() for e in card.entries.select_related("criterion")}
    with django_assert_max_num_queries(11):  # not one query per criterion
        card = scorecard_update_entries(scorecard=card, by=people.alice, version=card.version, entries=every)
    assert set(card.entries.values_list("result", flat=True)) == {Result.DONE}
    history = card.entries.get(criterion__code="4.2").history.order_by("history_id")
    assert [h.result for h in history] == [Result.NOT_ASSESSED, Result.DONE]
    # The same form sent again changes no entry, and records no history.
    scorecard_update_entries(scorecard=card, by=people.alice, version=card.version, entries=every)
    assert card.entries.get(criterion__code="4.2").history.count() == 2
