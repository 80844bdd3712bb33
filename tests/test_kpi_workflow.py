from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from kpi.models import LockedError, Scorecard, ScoreEntry, Transition
from kpi.scoring import Result
from kpi.selectors import month_rates, month_summary, scorecard_score
from kpi.services import (
    ConflictError,
    EntryInput,
    PermissionDenied,
    WorkflowError,
    rubric_create,
    rubric_new_version,
    rubric_set_points,
    scorecard_add_adhoc,
    scorecard_approve,
    scorecard_get_or_create,
    scorecard_reopen,
    scorecard_return,
    scorecard_review,
    scorecard_submit,
    scorecard_update_entries,
    split_points,
    submission_deadline,
)
from tests.kpi_helpers import NA_REASON, accept_not_applicable, settle

State = Scorecard.State
MARCH = date(2026, 3, 1)
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
ON_TIME = datetime(2026, 4, 5, 23, 0, tzinfo=HCM)
LATE = datetime(2026, 4, 6, 8, 0, tzinfo=HCM)


@pytest.fixture
def card(rubric, world):
    return scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=MARCH)


def fill(card, by, results: dict):
    """Set results; a scored criterion gets a written evidence reference unless the test gives its own, and
    "Không áp dụng" a reason."""
    entries = {}
    for code, values in results.items():
        values = dict(values)
        if values["result"] != Result.NOT_APPLICABLE:
            values.setdefault("evidence_note", f"Biên bản số {code}")
        else:
            values.setdefault("na_reason", NA_REASON)
        entries[code] = EntryInput(**values)
    return scorecard_update_entries(scorecard=card, by=by, version=card.version, entries=entries)


def submit(card, by, at):
    """Send the card as a unit does: every criterion not yet chosen marked "Không áp dụng" with a reason."""
    return scorecard_submit(scorecard=settle(card, by=by), by=by, at=at)


def review(card, by):
    """Confirm the review, accepting the unit's "Không áp dụng" claims."""
    return scorecard_review(scorecard=accept_not_applicable(card, by=by), by=by)


def test_it_splits_group_points_equally_in_hundredths():
    assert split_points(Decimal("15"), 4) == [Decimal("3.75")] * 4
    assert split_points(Decimal("10"), 3) == [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")]
    assert split_points(Decimal("5"), 2) == [Decimal("2.50")] * 2


def test_it_refuses_a_rubric_whose_points_do_not_add_up(plan):
    groups = [
        {"code": "1", "name": "A", "max_points": 60, "criteria": [{"code": "1.1", "name": "x", "points": 50}]}
    ]
    with pytest.raises(ValidationError) as exc:
        rubric_create(plan=plan, name="Sai", groups=groups)
    assert (
        "Nhóm 1: tổng điểm các tiêu chí là 50,00, phải bằng điểm tối đa của nhóm 60,00." in exc.value.messages
    )
    assert "Tổng điểm các nhóm là 60,00, phải bằng tổng điểm của bộ tiêu chí 100,00." in exc.value.messages


def test_it_changes_points_only_in_a_new_version_once_a_month_is_scored(rubric, card, people):
    with pytest.raises(WorkflowError, match="tạo phiên bản mới"):
        rubric_set_points(rubric=rubric, points={"1.1": Decimal("5"), "1.2": Decimal("2.5")})
    new = rubric_new_version(rubric=rubric, points={"1.1": Decimal("5"), "1.2": Decimal("2.50")})
    assert new.version == rubric.version + 1
    assert new.groups.get(code="1").criteria.get(code="1.1").points == Decimal("5")
    assert rubric.groups.get(code="1").criteria.get(code="1.1").points == Decimal(
        "3.75"
    )  # the old one keeps its
    assert set(new.units.all()) == set(rubric.units.all())
    with pytest.raises(ValidationError, match="Nhóm 1"):
        rubric_new_version(rubric=rubric, points={"1.1": Decimal("9")})


def test_it_creates_one_entry_per_criterion_not_assessed_until_scored(card):
    assert card.entries.count() == 25
    assert set(card.entries.values_list("result", flat=True)) == {Result.NOT_ASSESSED}
    score = scorecard_score(card)
    # Nothing chosen earns nothing, and nothing is ranked.
    assert (score.total, score.rank, len(score.unassessed)) == (Decimal("0.00"), None, 25)


def test_it_walks_the_whole_workflow_and_records_every_step(card, people):
    fill(card, people.alice, {"1.1": {"result": Result.DONE}, "1.2": {"result": Result.LATE}})
    submit(card, people.alice, ON_TIME)
    scorecard_return(scorecard=card, by=people.bob, reason="Thiếu minh chứng tiêu chí 1.2")
    card.refresh_from_db()
    fill(card, people.alice, {"1.2": {"result": Result.DONE, "evidence_note": "Biên bản số 12/BB"}})
    submit(card, people.alice, ON_TIME)
    review(card, people.bob)
    scorecard_approve(scorecard=card, by=people.charlie)

    card.refresh_from_db()
    assert card.state == State.APPROVED
    # 100 % of the 10 points that applied: too little of the rubric (under 50 %) to be ranked by arithmetic.
    assert (card.approved_total, card.approved_rank, card.approved_by) == (
        Decimal("100.00"),
        "",
        people.charlie,
    )
    steps = [(t.from_state, t.to_state, t.by, t.reason) for t in Transition.objects.filter(scorecard=card)]
    assert steps == [
        (State.DRAFT, State.SUBMITTED, people.alice, ""),
        (State.SUBMITTED, State.DRAFT, people.bob, "Thiếu minh chứng tiêu chí 1.2"),
        (State.DRAFT, State.SUBMITTED, people.alice, ""),
        (State.SUBMITTED, State.REVIEWED, people.bob, ""),
        (State.REVIEWED, State.APPROVED, people.charlie, ""),
    ]
    entry = card.entries.get(criterion__code="1.2")
    history = list(entry.history.order_by("history_date", "history_id"))

    def changes(field):
        values = [getattr(h, field) for h in history]
        return [v for i, v in enumerate(values) if i == 0 or v != values[i - 1]]

    assert changes("result") == [Result.NOT_ASSESSED, Result.LATE, Result.DONE]
    # The unit's claim at each submission: late (3.75 × 0.75), then done.
    assert changes("self_points") == [None, Decimal("2.81"), Decimal("3.75")]
    assert entry.self_points == Decimal("3.75")


def test_it_locks_an_approved_card_against_every_write_path(card, people):
    fill(card, people.alice, {"1.1": {"result": Result.DONE}})
    submit(card, people.alice, ON_TIME)
    review(card, people.bob)
    scorecard_approve(scorecard=card, by=people.charlie)
    card.refresh_from_db()

    with pytest.raises(LockedError):
        fill(card, people.alice, {"1.1": {"result": Result.NOT_DONE}})
    entry = card.entries.get(criterion__code="1.1")
    entry.result = Result.NOT_DONE
    with pytest.raises(LockedError):
        entry.save()
    with pytest.raises(LockedError):
        entry.delete()
    card.approved_total = Decimal("1")
    with pytest.raises(LockedError):
        card.save()
    with pytest.raises(LockedError):
        Scorecard.objects.get(pk=card.pk).delete()
    with pytest.raises(WorkflowError):
        scorecard_add_adhoc(scorecard=card, by=people.bob, group_code="1", title="Đột xuất")
    card.refresh_from_db()
    assert card.entries.get(criterion__code="1.1").result == Result.DONE
    assert card.approved_total == Decimal("100.00")

    with pytest.raises(PermissionDenied):
        scorecard_reopen(scorecard=card, by=people.alice, reason="Sửa")
    with pytest.raises(WorkflowError, match="cần ghi lý do"):
        scorecard_reopen(scorecard=card, by=people.charlie, reason=" ")
    scorecard_reopen(scorecard=card, by=people.charlie, reason="Phát hiện sai sót")
    card.refresh_from_db()
    assert (card.state, card.approved_total, card.approved_rank) == (State.REVIEWED, None, "")


@pytest.mark.parametrize(
    ("state", "action", "who", "error"),
    [
        (State.DRAFT, "review", "bob", WorkflowError),
        (State.DRAFT, "approve", "charlie", WorkflowError),
        (State.DRAFT, "return", "bob", WorkflowError),
        (State.DRAFT, "submit", "bob", PermissionDenied),  # a reviewer does not submit for the unit
        (State.DRAFT, "submit", "dave", PermissionDenied),  # an officer of another ward
        (State.SUBMITTED, "submit", "alice", WorkflowError),
        (State.SUBMITTED, "approve", "charlie", WorkflowError),  # must be reviewed first
        (State.SUBMITTED, "review", "alice", PermissionDenied),
        (State.SUBMITTED, "review", "charlie", PermissionDenied),
        (State.REVIEWED, "approve", "bob", PermissionDenied),
        (State.REVIEWED, "approve", "erin", PermissionDenied),  # a leader of another ward
        (State.REVIEWED, "review", "bob", WorkflowError),
        (State.REVIEWED, "reopen", "charlie", WorkflowError),
        (State.APPROVED, "return", "bob", WorkflowError),
        (State.APPROVED, "submit", "alice", WorkflowError),
    ],
)
def test_it_refuses_transitions_out_of_order_or_by_the_wrong_person(card, people, state, action, who, error):
    if state != State.DRAFT:
        submit(card, people.alice, ON_TIME)
    if state in (State.REVIEWED, State.APPROVED):
        review(card, people.bob)
    if state == State.APPROVED:
        scorecard_approve(scorecard=card, by=people.charlie)
    card.refresh_from_db()
    calls = {
        "submit": lambda by: scorecard_submit(scorecard=card, by=by),
        "review": lambda by: scorecard_review(scorecard=card, by=by),
        "approve": lambda by: scorecard_approve(scorecard=card, by=by),
        "return": lambda by: scorecard_return(scorecard=card, by=by, reason="Lý do"),
        "reopen": lambda by: scorecard_reopen(scorecard=card, by=by, reason="Lý do"),
    }
    before = Transition.objects.count()
    with pytest.raises(error):
        calls[action](getattr(people, who))
    card.refresh_from_db()
    assert card.state == state
    assert Transition.objects.count() == before


def test_it_needs_a_reason_to_return_a_card(card, people):
    submit(card, people.alice, ON_TIME)
    with pytest.raises(WorkflowError, match="cần ghi lý do"):
        scorecard_return(scorecard=card, by=people.bob, reason="")


def test_it_refuses_a_stale_copy_and_keeps_what_was_saved_first(card, people):
    stale_version = card.version
    fill(card, people.alice, {"1.1": {"result": Result.DONE}})
    with pytest.raises(ConflictError, match="đã được người khác lưu"):
        scorecard_update_entries(
            scorecard=card,
            by=people.alice,
            version=stale_version,
            entries={"1.1": EntryInput(Result.NOT_DONE)},
        )
    assert card.entries.get(criterion__code="1.1").result == Result.DONE


def test_it_records_timeliness_and_proposes_criterion_7_1(rubric, world, people):
    deadline = submission_deadline(rubric, MARCH)
    assert deadline == date(2026, 4, 5)
    on_time = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=MARCH)
    late = scorecard_get_or_create(unit=world.police, rubric=rubric, month=MARCH)
    submit(on_time, people.alice, ON_TIME)
    submit(late, None, LATE)
    on_time.refresh_from_db()
    late.refresh_from_db()
    assert (on_time.submitted_on_time, late.submitted_on_time) == (True, False)
    assert on_time.entries.get(criterion__code="7.1").result == Result.DONE
    assert late.entries.get(criterion__code="7.1").result == Result.LATE
    # The reviewer overrides the proposal, by hand and with a reason.
    scorecard_update_entries(
        scorecard=late, by=people.bob, version=late.version,
        entries={"7.1": EntryInput(Result.LATE, reviewed_points=Decimal("2.5"), review_reason="Trễ do lỗi hệ thống")},
    )  # fmt: skip
    assert scorecard_score(late).total == Decimal("100.00")
    rates = month_rates(rubric, MARCH)
    assert (rates.expected, rates.submitted, rates.timed, rates.on_time) == (3, 2, 2, 1)
    assert rates.completeness == Decimal(2) / 3 * 100
    assert rates.timeliness == Decimal(50)


def test_it_refuses_manual_points_without_a_reason_or_above_the_criterion(card, people):
    submit(card, people.alice, ON_TIME)
    card.refresh_from_db()
    with pytest.raises(WorkflowError, match="cần ghi lý do"):
        scorecard_update_entries(
            scorecard=card, by=people.bob, version=card.version,
            entries={"1.1": EntryInput(Result.DONE, reviewed_points=Decimal("2"))},
        )  # fmt: skip
    with pytest.raises(WorkflowError, match="từ 0 đến 3,75"):
        scorecard_update_entries(
            scorecard=card, by=people.bob, version=card.version,
            entries={"1.1": EntryInput(Result.DONE, reviewed_points=Decimal("4"), review_reason="x")},
        )  # fmt: skip


def test_it_adds_ad_hoc_tasks_that_share_their_groups_points(card, people):
    fill(card, people.alice, {"7.1": {"result": Result.DONE}, "7.2": {"result": Result.DONE}})
    settle(card, by=people.alice)
    scorecard_add_adhoc(
        scorecard=card,
        by=people.alice,
        group_code="7",
        title="Báo cáo đột xuất vụ việc",
        result=Result.NOT_DONE,
    )
    result = scorecard_score(card)
    assert result.group_possible["7"] == Decimal("5")
    assert result.groups["7"] == Decimal("5") * 2 / 3
    assert result.total == Decimal("66.67")


def test_it_summarises_a_month_in_a_fixed_number_of_queries(
    rubric, world, people, django_assert_max_num_queries
):
    for unit in (world.vhxh, world.police):
        card = scorecard_get_or_create(unit=unit, rubric=rubric, month=MARCH)
        fill(
            card,
            None,
            {"1.1": {"result": Result.DONE}, "2.1": {"result": Result.PARTIAL, "ratio": Decimal("0.5")}},
        )
        settle(card, timeliness=True)
    with django_assert_max_num_queries(4):
        rows = month_summary(rubric, MARCH)
    # 1.1 done (3.75) + 2.1 half done (2.50 of 5): 6.25 of 8.75 applicable points.
    assert [(r.unit, r.state, r.score and r.score.total) for r in rows] == [
        (world.police, State.DRAFT, Decimal("71.43")),
        (world.school_mn, None, None),
        (world.vhxh, State.DRAFT, Decimal("71.43")),
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_it_refuses_a_second_approval_while_the_first_holds_the_row(rubric, world, people):
    import threading

    from django.db import connections, transaction

    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=MARCH)
    submit(card, people.alice, ON_TIME)
    review(card, people.bob)
    errors = []
    locked, release = threading.Event(), threading.Event()

    def first_leader():
        with transaction.atomic():
            Scorecard.objects.select_for_update().get(pk=card.pk)
            locked.set()
            release.wait(10)
        connections.close_all()

    thread = threading.Thread(target=first_leader)
    thread.start()
    locked.wait(10)
    try:
        scorecard_approve(scorecard=card, by=people.charlie)
    except ConflictError as exc:
        errors.append(str(exc))
    release.set()
    thread.join()
    assert errors == ["Phiếu đang được người khác xử lý. Vui lòng thử lại sau giây lát."]
    card.refresh_from_db()
    assert card.state == State.REVIEWED
    scorecard_approve(scorecard=card, by=people.charlie)  # once the lock is gone, it goes through
    assert ScoreEntry.objects.filter(scorecard=card).count() == 25


def test_it_shows_what_linked_tasks_ask_of_the_month(rubric, world, plan, django_assert_max_num_queries):
    from kpi.selectors import criterion_work
    from tasks.models import TaskProgress
    from tests.factories import TaskFactory

    quarterly = TaskFactory(plan=plan, code="6", deadline_text="Quý I/2026")
    quarterly.lead_units.add(world.vhxh)
    yearly = TaskFactory(plan=plan, code="11", deadline_text="Hằng năm")
    yearly.coordinating_units.add(world.vhxh)
    other = TaskFactory(plan=plan, code="12", deadline_text="Quý I/2026")
    other.lead_units.add(world.police)
    criterion = rubric.groups.get(code="2").criteria.get(code="2.1")
    criterion.tasks.set([quarterly, yearly, other])
    TaskProgress.objects.create(task=quarterly, unit=world.vhxh, reported_on=date(2026, 2, 10), percent=40)
    TaskProgress.objects.create(task=quarterly, unit=world.vhxh, reported_on=date(2026, 3, 10), percent=70)

    with django_assert_max_num_queries(6):
        march = criterion_work(rubric, world.vhxh, MARCH)[criterion.pk]
    by_code = {w.task.code: w for w in march}
    assert set(by_code) == {"6", "11"}  # not the police's task
    assert (by_code["6"].role, by_code["6"].due_in_month, by_code["6"].period_ends) == (
        "chủ trì", [date(2026, 3, 31)], True,
    )  # fmt: skip
    assert by_code["6"].unit_percent == 70
    assert by_code["6"].status.status == "in_progress"
    assert (by_code["11"].role, by_code["11"].due_in_month, by_code["11"].period_ends) == (
        "phối hợp",
        [],
        False,
    )
    february = criterion_work(rubric, world.vhxh, date(2026, 2, 1))[criterion.pk]
    assert {w.task.code: w.unit_percent for w in february} == {"6": 40, "11": 0}
    april = criterion_work(rubric, world.vhxh, date(2026, 4, 1))[criterion.pk]
    assert {w.task.code: w.status.status for w in april} == {"6": "overdue", "11": "not_started"}


def test_it_lets_a_reviewer_of_phong_vhxh_review_every_unit_of_the_ward(card, world, people, rubric):
    from plans.access import unit_in_scope
    from plans.models import UserProfile
    from tests.factories import UserFactory, UserProfileFactory

    hana = UserFactory(username="hana")
    UserProfileFactory(user=hana, unit=world.vhxh, role=UserProfile.Role.REVIEWER)
    police_card = scorecard_get_or_create(unit=world.police, rubric=rubric, month=MARCH)
    submit(police_card, None, ON_TIME)
    review(police_card, hana)
    assert unit_in_scope(hana, world.school_th)
    assert not unit_in_scope(hana, world.other_school)  # not another ward
    assert not unit_in_scope(people.alice, world.police)  # an officer of the same department: only her unit


def test_it_refuses_to_submit_scored_criteria_without_evidence(card, people, world):
    from tasks.services import evidence_add_link

    scorecard_update_entries(
        scorecard=card, by=people.alice, version=card.version,
        entries={"1.1": EntryInput(Result.DONE), "2.3": EntryInput(Result.LATE), "3.1": EntryInput(Result.NOT_APPLICABLE, na_reason="Không có sự kiện")},
    )  # fmt: skip
    with pytest.raises(WorkflowError, match=r"chưa có minh chứng: 1\.1, 2\.3\."):
        submit(card, people.alice, ON_TIME)
    card.refresh_from_db()
    link = evidence_add_link(unit=world.vhxh, by=people.alice, url="https://example.vn/bien-ban")
    scorecard_update_entries(
        scorecard=card, by=people.alice, version=card.version,
        entries={"1.1": EntryInput(Result.DONE, evidence_ids=[link.pk]), "2.3": EntryInput(Result.LATE, evidence_note="Kế hoạch 5/KH")},
    )  # fmt: skip
    submit(card, people.alice, ON_TIME)
    assert list(card.entries.get(criterion__code="1.1").evidence.all()) == [link]
    other = evidence_add_link(unit=world.police, by=_police_officer(world), url="https://example.vn/x")
    card.refresh_from_db()
    scorecard_return(scorecard=card, by=people.bob, reason="Xem lại")
    card.refresh_from_db()
    with pytest.raises(WorkflowError, match="chỉ đính kèm được minh chứng của chính đơn vị"):
        scorecard_update_entries(scorecard=card, by=people.alice, version=card.version,
                                 entries={"1.1": EntryInput(Result.DONE, evidence_ids=[other.pk])})  # fmt: skip


def _police_officer(world):
    from plans.models import UserProfile
    from tests.factories import UserFactory, UserProfileFactory

    user = UserFactory(username="frank")
    UserProfileFactory(user=user, unit=world.police, role=UserProfile.Role.OFFICER)
    return user


def test_it_stores_the_engines_score_on_the_card_at_every_step(card, people):
    def stored_matches():
        card.refresh_from_db()
        engine = scorecard_score(card)
        assert card.total == engine.total
        assert card.rank == (engine.rank or "")
        return card

    assert stored_matches().total == Decimal("0.00")  # nothing chosen, nothing earned
    fill(
        card,
        people.alice,
        {
            "1.1": {"result": Result.DONE},
            "1.2": {"result": Result.PARTIAL, "ratio": Decimal("0.5")},
            "2.1": {"result": Result.NOT_DONE},
        },
    )
    settle(card, by=people.alice, timeliness=True)
    stored = stored_matches()
    # 3.75 + 1.875 of 3.75 + 3.75 + 5 points applicable.
    assert stored.total == Decimal("45.00")
    assert stored.group_percents["1"] == "75.00"
    assert stored.group_percents["2"] == "0.00"
    assert stored.group_percents["3"] is None  # nothing applied in group 3
    submit(card, people.alice, ON_TIME)  # proposes 7.1 "done"
    assert stored_matches().total == scorecard_score(card).total
    scorecard_update_entries(
        scorecard=card, by=people.bob, version=card.version,
        entries={"2.1": EntryInput(Result.NOT_DONE, reviewed_points=Decimal("2.5"), review_reason="Có làm")},
    )  # fmt: skip
    assert stored_matches().group_percents["2"] == "50.00"
