"""The locks the database enforces (kpi 0007, docs/locks.md), on SQLite and PostgreSQL alike: every write path
that skips the models (raw SQL, queryset .update() and .delete(), bulk_update, M2M .clear(), a new instance
saved over an existing pk) is refused by a trigger with an IntegrityError; the models and services refuse the
same writes first, in Vietnamese. Each expected database failure runs in its own atomic block, so the test's
transaction stays usable after it."""

import importlib
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from kpi.models import Criterion, LockedError, Rubric, RubricGroup, Scorecard, ScoreEntry, Transition
from kpi.scoring import Result
from kpi.services import (
    EntryInput,
    scorecard_approve,
    scorecard_get_or_create,
    scorecard_reopen,
    scorecard_return,
    scorecard_review,
    scorecard_submit,
    scorecard_update_entries,
)
from plans.audit import audit_record
from plans.models import AuditEntry
from tasks.models import Evidence
from tasks.services import TaskError, evidence_add_link, evidence_delete
from tests.factories import PlanFactory
from tests.kpi_helpers import accept_not_applicable, settle

State = Scorecard.State
MARCH = date(2026, 3, 1)
SENT_AT = datetime(2026, 4, 3, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
LOCKS = importlib.import_module("kpi.migrations.0007_lock_triggers")
Link = ScoreEntry.evidence.through


@dataclass
class Card:
    card: Scorecard
    entry: ScoreEntry  # criterion 1.1, with the evidence attached
    evidence: Evidence


def card_in(state: str, world, rubric, people) -> Card:
    """Phòng VH-XH's March card, criterion 1.1 done with a link as evidence, carried to `state`."""
    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=MARCH)
    evidence = evidence_add_link(
        unit=world.vhxh, by=people.alice, url="https://phuong.example.vn/bao-cao/15", doc_number="15/BC-VHXH"
    )
    card = scorecard_update_entries(
        scorecard=card, by=people.alice, version=card.version,
        entries={"1.1": EntryInput(Result.DONE, evidence_ids=[evidence.pk])},
    )  # fmt: skip
    if state != State.DRAFT:
        card = scorecard_submit(scorecard=settle(card, by=people.alice), by=people.alice, at=SENT_AT)
    if state in (State.REVIEWED, State.APPROVED):
        card = scorecard_review(scorecard=accept_not_applicable(card, by=people.bob), by=people.bob)
    if state == State.APPROVED:
        card = scorecard_approve(scorecard=card, by=people.charlie)
    card.refresh_from_db()
    return Card(card, card.entries.get(criterion__code="1.1"), evidence)


@pytest.fixture
def approved(world, rubric, people) -> Card:
    return card_in(State.APPROVED, world, rubric, people)


@pytest.fixture
def submitted(world, rubric, people) -> Card:
    return card_in(State.SUBMITTED, world, rubric, people)


def refused(write, match: str | None = None):
    """`write` fails in the database with an IntegrityError (carrying `match`), inside its own savepoint."""
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        write()


def raw(sql: str, *params):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    return run


# --- raw SQL against every table of an approved card ------------------------------------------------------------

RAW = {
    "card update": ("UPDATE kpi_scorecard SET total = 1 WHERE id = %s", "card", "đã được phê duyệt"),
    "card delete": ("DELETE FROM kpi_scorecard WHERE id = %s", "card", "không thể xóa"),
    "entry update": ("UPDATE kpi_scoreentry SET comment = 'x' WHERE id = %s", "entry", "dòng chấm điểm"),
    "entry delete": ("DELETE FROM kpi_scoreentry WHERE id = %s", "entry", "dòng chấm điểm"),
    "link delete": ("DELETE FROM kpi_scoreentry_evidence WHERE scoreentry_id = %s", "entry", "gỡ minh chứng"),
    "link update": (
        "UPDATE kpi_scoreentry_evidence SET evidence_id = evidence_id WHERE scoreentry_id = %s", "entry",
        "minh chứng",
    ),
    "evidence update": ("UPDATE tasks_evidence SET summary = 'x' WHERE id = %s", "evidence", "phê duyệt"),
    "evidence delete": ("DELETE FROM tasks_evidence WHERE id = %s", "evidence", "không thể sửa hay xóa"),
    "criterion text": (
        "UPDATE kpi_criterion SET achievement = 'khác' WHERE group_id IN "
        "(SELECT id FROM kpi_rubricgroup WHERE rubric_id = %s)", "rubric", "phiên bản mới",
    ),
    "criterion delete": (
        "DELETE FROM kpi_criterion WHERE group_id IN (SELECT id FROM kpi_rubricgroup WHERE rubric_id = %s)",
        "rubric", "phiên bản mới",
    ),
    "group update": ("UPDATE kpi_rubricgroup SET name = 'khác' WHERE rubric_id = %s", "rubric", "phiên bản mới"),
    "group delete": ("DELETE FROM kpi_rubricgroup WHERE rubric_id = %s", "rubric", "phiên bản mới"),
    "rubric update": ("UPDATE kpi_rubric SET name = 'khác' WHERE id = %s", "rubric", "phiên bản mới"),
    "rubric delete": ("DELETE FROM kpi_rubric WHERE id = %s", "rubric", "phiên bản mới"),
    "transition delete": ("DELETE FROM kpi_transition WHERE scorecard_id = %s", "card", "Lịch sử"),
}  # fmt: skip


@pytest.mark.parametrize("case", RAW, ids=list(RAW))
def test_it_refuses_raw_sql_on_an_approved_card(approved, case):
    sql, target, message = RAW[case]
    pk = {
        "card": approved.card.pk,
        "entry": approved.entry.pk,
        "evidence": approved.evidence.pk,
        "rubric": approved.card.rubric_id,
    }[target]
    refused(raw(sql, pk), message)


def test_it_refuses_a_raw_insert_of_a_link_onto_an_approved_card(approved, world, people):
    other = evidence_add_link(unit=world.vhxh, by=people.alice, url="https://phuong.example.vn/khac")
    refused(
        raw("INSERT INTO kpi_scoreentry_evidence (scoreentry_id, evidence_id) VALUES (%s, %s)",
            approved.entry.pk, other.pk),
        "gắn hay gỡ minh chứng",
    )  # fmt: skip


def test_it_keeps_the_approved_card_as_it_was_after_the_refusals(approved):
    for sql, target, _ in RAW.values():
        if target == "card":
            refused(raw(sql, approved.card.pk))
    again = Scorecard.objects.get(pk=approved.card.pk)
    assert (again.state, again.total, again.version) == (
        State.APPROVED,
        approved.card.total,
        approved.card.version,
    )
    assert again.entries.count() == approved.card.entries.count()


# --- the ORM's paths around Model.save() / delete() -------------------------------------------------------------


def test_it_refuses_a_queryset_update_of_an_approved_card(approved):
    refused(lambda: Scorecard.objects.filter(pk=approved.card.pk).update(approved_total=100), "phê duyệt")


def test_it_refuses_a_queryset_update_of_an_approved_cards_entries(approved):
    refused(lambda: ScoreEntry.objects.filter(scorecard=approved.card).update(result=Result.NOT_DONE))


def test_it_refuses_bulk_update_of_an_approved_cards_entries(approved):
    entry = approved.entry
    entry.comment = "sửa sau khi duyệt"
    refused(lambda: ScoreEntry.objects.bulk_update([entry], ["comment"]), "dòng chấm điểm")


def test_it_refuses_bulk_create_of_an_entry_on_an_approved_card(approved):
    group = approved.card.rubric.groups.get(code="1")
    adhoc = ScoreEntry(scorecard=approved.card, group=group, adhoc_title="Việc thêm", weight=1)
    refused(lambda: ScoreEntry.objects.bulk_create([adhoc]), "dòng chấm điểm")


def test_it_refuses_a_queryset_delete_of_an_approved_cards_entries(approved):
    refused(lambda: ScoreEntry.objects.filter(scorecard=approved.card).delete())
    assert approved.card.entries.count() == 25


def test_it_refuses_a_queryset_delete_of_an_approved_card(approved):
    refused(lambda: Scorecard.objects.filter(pk=approved.card.pk).delete())
    assert Scorecard.objects.filter(pk=approved.card.pk, state=State.APPROVED).exists()


def test_it_refuses_clearing_an_approved_entrys_evidence(approved):
    refused(lambda: approved.entry.evidence.clear(), "gỡ minh chứng")
    assert list(approved.entry.evidence.all()) == [approved.evidence]


def test_it_refuses_a_new_card_saved_over_an_approved_cards_pk(approved):
    card = approved.card
    copy = Scorecard(pk=card.pk, unit=card.unit, rubric=card.rubric, plan=card.plan, month=card.month)
    refused(copy.save, "phê duyệt")


def test_it_refuses_a_new_evidence_row_saved_over_an_attached_one(approved):
    old = approved.evidence
    copy = Evidence(pk=old.pk, unit=old.unit, token=old.token, url=old.url, uploaded_by=old.uploaded_by,
                    uploaded_at=old.uploaded_at, summary="thay nội dung")  # fmt: skip
    refused(copy.save, "phê duyệt")


def test_it_refuses_queryset_updates_of_an_approved_rubric_its_groups_and_criteria(approved):
    rubric = approved.card.rubric
    refused(lambda: Rubric.objects.filter(pk=rubric.pk).update(late_factor=1))
    refused(lambda: RubricGroup.objects.filter(rubric=rubric).update(max_points=50))
    refused(lambda: Criterion.objects.filter(group__rubric=rubric).update(evidence="khác"))


def test_it_refuses_a_criterion_added_to_an_approved_rubric_in_bulk(approved):
    group = approved.card.rubric.groups.get(code="1")
    refused(lambda: Criterion.objects.bulk_create([Criterion(group=group, code="1.9", name="Mới", points=0)]))


# --- the friendly first line, in Vietnamese ----------------------------------------------------------------------


def test_it_tells_why_a_criterion_of_an_approved_rubric_cannot_change(approved):
    criterion = approved.entry.criterion
    criterion.name = "Tên khác"
    with pytest.raises(LockedError) as exc:
        criterion.save()
    assert str(exc.value) == (
        "Bộ tiêu chí “KPI thử (phiên bản 1)” đã được dùng cho phiếu KPI đã phê duyệt (Phòng Văn hóa - Xã hội "
        "tháng 03/2026): không thể sửa tiêu chí. Hãy tạo phiên bản mới của bộ tiêu chí; các tháng đã phê duyệt "
        "giữ nguyên bộ tiêu chí đã chấm."
    )


def test_it_tells_why_a_group_cannot_be_added_to_or_deleted_from_an_approved_rubric(approved):
    rubric = approved.card.rubric
    with pytest.raises(LockedError, match="không thể thêm nhóm tiêu chí"):
        RubricGroup(rubric=rubric, code="8", name="Nhóm mới", max_points=1).save()
    with pytest.raises(LockedError, match="không thể xóa nhóm tiêu chí"):
        rubric.groups.get(code="7").delete()


def test_it_tells_why_an_approved_rubric_cannot_be_edited_or_deleted(approved):
    rubric = approved.card.rubric
    rubric.name = "Tên khác"
    with pytest.raises(LockedError, match=r"không thể sửa\. Hãy tạo phiên bản mới"):
        rubric.save()
    with pytest.raises(LockedError, match="không thể xóa"):
        rubric.delete()


def test_it_lets_a_rubric_change_while_no_approved_card_uses_it(world, rubric, people):
    card_in(State.REVIEWED, world, rubric, people)
    criterion = Criterion.objects.get(group__rubric=rubric, code="1.1")
    criterion.achievement = "Có kế hoạch và báo cáo"
    criterion.save()
    assert Criterion.objects.get(pk=criterion.pk).achievement == "Có kế hoạch và báo cáo"


# --- the one way back: reopening ---------------------------------------------------------------------------------


def test_it_reopens_through_the_service_and_then_lets_edits_through(approved, people):
    card = scorecard_reopen(scorecard=approved.card, by=people.charlie, reason="Sai điểm tiêu chí 1.1")
    assert card.state == State.REVIEWED
    ScoreEntry.objects.filter(pk=approved.entry.pk).update(comment="Sửa sau khi mở lại")
    Criterion.objects.filter(pk=approved.entry.criterion_id).update(achievement="Mức đạt mới")
    card = scorecard_return(scorecard=card, by=people.bob, reason="Bổ sung minh chứng")
    approved.entry.evidence.clear()  # a returned card's evidence can be detached again
    assert ScoreEntry.objects.get(pk=approved.entry.pk).comment == "Sửa sau khi mở lại"
    assert not approved.entry.evidence.exists()


def test_it_refuses_a_raw_reopen_without_a_reopen_transition(approved):
    refused(raw("UPDATE kpi_scorecard SET state = 'reviewed' WHERE id = %s", approved.card.pk), "mở lại")


def test_it_refuses_leaving_approved_for_any_state_but_reviewed(approved, people):
    Transition.objects.create(scorecard=approved.card, from_state=State.APPROVED, to_state=State.REVIEWED)
    refused(raw("UPDATE kpi_scorecard SET state = 'draft' WHERE id = %s", approved.card.pk))


def test_it_does_not_let_an_earlier_reopen_unlock_a_later_approval(approved, people):
    card = scorecard_reopen(scorecard=approved.card, by=people.charlie, reason="Xem lại")
    scorecard_approve(scorecard=card, by=people.charlie)
    refused(raw("UPDATE kpi_scorecard SET state = 'reviewed' WHERE id = %s", card.pk), "mở lại")


# --- the card's plan is its rubric's plan ------------------------------------------------------------------------


def test_it_refuses_a_card_whose_plan_is_not_its_rubrics(world, rubric):
    other = PlanFactory(issuer=world.ubnd)
    card = Scorecard(unit=world.police, rubric=rubric, plan=other, month=MARCH)
    refused(lambda: Scorecard.objects.bulk_create([card]), "kế hoạch của bộ tiêu chí")


def test_it_refuses_moving_a_card_to_another_plan(world, rubric):
    card = scorecard_get_or_create(unit=world.police, rubric=rubric, month=MARCH)
    other = PlanFactory(issuer=world.ubnd)
    refused(lambda: Scorecard.objects.filter(pk=card.pk).update(plan=other), "kế hoạch của bộ tiêu chí")


def test_it_refuses_moving_a_scored_rubric_to_another_plan(world, rubric):
    scorecard_get_or_create(unit=world.police, rubric=rubric, month=MARCH)
    other = PlanFactory(issuer=world.ubnd)
    refused(lambda: Rubric.objects.filter(pk=rubric.pk).update(plan=other), "chuyển sang kế hoạch khác")


# --- the Nhật ký is append-only -------------------------------------------------------------------------------


def test_it_refuses_to_change_or_delete_the_audit_log(world, people):
    entry = audit_record(action=AuditEntry.Action.IMPORT, by=people.bob, unit=world.ward, summary="Nhập")
    refused(lambda: AuditEntry.objects.filter(pk=entry.pk).update(summary="khác"), "chỉ được ghi thêm")
    refused(raw("DELETE FROM plans_auditentry WHERE id = %s", entry.pk), "chỉ được ghi thêm")
    refused(entry.delete, "chỉ được ghi thêm")
    assert AuditEntry.objects.get(pk=entry.pk).summary == "Nhập"


# --- evidence behind a sent card ---------------------------------------------------------------------------------


def test_it_tells_why_evidence_of_a_submitted_card_cannot_be_deleted(submitted, people):
    with pytest.raises(TaskError) as exc:
        evidence_delete(evidence=submitted.evidence, by=people.alice)
    assert str(exc.value) == (
        "Minh chứng đang gắn với phiếu KPI tháng 03/2026 của Phòng Văn hóa - Xã hội đã nộp (tiêu chí 1.1). "
        "Chỉ xóa được sau khi phiếu được trả lại."
    )
    assert Evidence.objects.get(pk=submitted.evidence.pk).deleted_at is None


def test_it_refuses_soft_deleting_evidence_of_a_submitted_card_in_the_database(submitted, people):
    refused(
        lambda: Evidence.objects.filter(pk=submitted.evidence.pk).update(
            deleted_at=SENT_AT, deleted_by=people.alice
        ),
        "cho đến khi phiếu được trả lại",
    )


def test_it_refuses_deleting_or_detaching_evidence_of_a_submitted_card_in_the_database(submitted):
    refused(lambda: Evidence.objects.filter(pk=submitted.evidence.pk).delete(), "đã nộp")
    refused(lambda: submitted.entry.evidence.clear(), "không thể gỡ minh chứng")


def test_it_still_lets_the_reviewer_edit_a_submitted_cards_entry(submitted, people):
    card = scorecard_update_entries(
        scorecard=submitted.card, by=people.bob, version=submitted.card.version, review=True,
        entries={"1.1": EntryInput(Result.LATE, review_reason="Nộp sản phẩm chậm")},
    )  # fmt: skip
    assert card.entries.get(criterion__code="1.1").result == Result.LATE


def test_it_lets_evidence_go_once_the_card_is_returned_and_detaches_it(submitted, people):
    scorecard_return(scorecard=submitted.card, by=people.bob, reason="Thiếu minh chứng")
    evidence_delete(evidence=submitted.evidence, by=people.alice)
    assert Evidence.objects.get(pk=submitted.evidence.pk).deleted_by == people.alice
    assert not submitted.entry.evidence.exists()  # a draft cannot be sent on a hidden file


def test_it_records_the_removal_on_the_evidence_and_on_each_card(world, rubric, people):
    draft = card_in(State.DRAFT, world, rubric, people)
    evidence_delete(evidence=draft.evidence, by=people.alice)
    removals = AuditEntry.objects.filter(action=AuditEntry.Action.EVIDENCE_REMOVE).order_by("id")
    assert [(e.object_id, e.by, e.unit) for e in removals] == [
        (draft.evidence.pk, people.alice, world.vhxh),
        (draft.card.pk, people.alice, world.vhxh),
    ]
    assert removals[1].summary == (
        "Gỡ minh chứng “15/BC-VHXH” khỏi phiếu KPI tháng 03/2026 của Phòng Văn hóa - Xã hội (tiêu chí 1.1): "
        "minh chứng đã bị xóa."
    )


def test_it_records_each_evidence_added(world, people):
    evidence = evidence_add_link(unit=world.vhxh, by=people.alice, url="https://phuong.example.vn/tin/1")
    [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.EVIDENCE_ADD)
    assert (entry.object_id, entry.by, entry.unit) == (evidence.pk, people.alice, world.vhxh)
    assert entry.details == {"url": "https://phuong.example.vn/tin/1"}


# --- the confirmation page ---------------------------------------------------------------------------------------


def test_it_asks_before_removing_evidence_and_names_the_cards(world, rubric, people, client):
    draft = card_in(State.DRAFT, world, rubric, people)
    client.force_login(people.alice)
    page = client.get(reverse("evidence_remove", args=[draft.evidence.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Xóa minh chứng?" in text and "15/BC-VHXH" in text
    assert "Phiếu KPI tháng 03/2026 của Phòng Văn hóa - Xã hội (tiêu chí 1.1) — Nháp" in text
    assert Evidence.objects.get(pk=draft.evidence.pk).deleted_at is None  # looking removes nothing
    response = client.post(reverse("evidence_remove", args=[draft.evidence.pk]))
    assert response.status_code == 302
    assert Evidence.objects.get(pk=draft.evidence.pk).deleted_by == people.alice


def test_it_shows_why_evidence_of_a_sent_card_cannot_be_removed_and_offers_no_button(
    submitted, people, client
):
    client.force_login(people.alice)
    text = client.get(reverse("evidence_remove", args=[submitted.evidence.pk])).content.decode()
    assert "Chỉ xóa được sau khi phiếu được trả lại." in text
    assert "Xóa minh chứng</button>" not in text


def test_it_hides_the_confirmation_page_from_another_wards_officer(submitted, people, client):
    client.force_login(people.dave)
    assert client.get(reverse("evidence_remove", args=[submitted.evidence.pk])).status_code == 404


# --- the triggers are all there -----------------------------------------------------------------------------------


def test_it_has_every_lock_trigger_once_all_migrations_have_run(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        present = {row[0] for row in cursor.fetchall()}
    assert set(LOCKS.NAMES) <= present
    assert len(LOCKS.NAMES) == len(set(LOCKS.NAMES)) == 29
