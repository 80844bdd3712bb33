"""The synthetic-data generator (kpi/scale_data.py, command generate_scale_data), on small sizes."""

from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpi.models import Criterion, Rubric, Scorecard, ScoreEntry, Transition
from kpi.scale_data import ScaleDataError, digest, generate_scale_data
from kpi.scoring import Result, group_percents
from kpi.selectors import month_summary, scorecard_score
from kpi.services import rubric_errors, submission_deadline
from plans.models import OrgUnit, Plan, UserProfile
from tasks.deadlines import parse_deadline
from tasks.models import Evidence, Task, TaskProgress
from tests.factories import OrgUnitFactory, PlanFactory

State = Scorecard.State
MARCH = date(2026, 3, 1)
SMALL = {"wards": 2, "units_per_ward": 6, "months": 3, "until": MARCH}
PASSWORD = "mat-khau-thu-123"


@pytest.fixture
def generated(db, settings):
    settings.DEMO_PASSWORD = PASSWORD
    return generate_scale_data(**SMALL)


def test_it_builds_the_tree_plans_and_cards_in_the_expected_numbers(generated):
    assert OrgUnit.objects.count() == 1 + 2 + 2 * 6
    assert not OrgUnit.objects.exclude(code__startswith="GEN-").exists()
    assert not Plan.objects.exclude(code__startswith="GEN-").exists()
    city = OrgUnit.objects.get(code="GEN-CITY")
    assert city.name == "Thành phố Mô phỏng"
    ward = OrgUnit.objects.get(code="GEN-W001")
    assert (ward.name, ward.parent, ward.ward) == ("Phường Mô phỏng 001", city, ward)
    units = OrgUnit.objects.filter(ward=ward).exclude(pk=ward.pk)
    assert units.count() == 6
    assert units.get(code="GEN-W001-VHXH").name == "Phòng Văn hóa - Xã hội"
    assert units.get(code="GEN-W001-VHXH").parent.code == "GEN-W001-UBND"
    assert {u.school_level for u in units.filter(kind=OrgUnit.Kind.SCHOOL)} == {"MN", "TH", "THCS"}

    assert Plan.objects.count() == 2 and Task.objects.count() == 2 * 30
    rubric = Rubric.objects.get(plan__code="GEN-W001-KH-DU-29")
    assert rubric.groups.count() == 7
    assert Criterion.objects.filter(group__rubric=rubric).count() == 25
    assert rubric_errors(rubric) == []
    assert set(rubric.units.all()) == set(units)

    cards = Scorecard.objects.all()
    assert cards.count() + generated.missing == 2 * 6 * 3
    assert cards.count() == generated.cards
    assert ScoreEntry.objects.count() == cards.count() * 25 == generated.entries
    per_card = Counter(ScoreEntry.objects.values_list("scorecard_id", "criterion_id"))
    assert set(per_card.values()) == {1}


def test_it_reaches_all_four_states_with_the_fields_each_state_implies(generated):
    cards = list(Scorecard.objects.select_related("rubric"))
    assert {c.state for c in cards} == set(State.values)
    older = [c for c in cards if c.month < MARCH]
    assert sum(c.state == State.APPROVED for c in older) / len(older) > 0.8
    transitions = Counter(Transition.objects.values_list("scorecard_id", flat=True))
    reached = {State.DRAFT: 0, State.SUBMITTED: 1, State.REVIEWED: 2, State.APPROVED: 3}
    for card in cards:
        assert transitions[card.pk] == reached[card.state]
        submitted = card.state != State.DRAFT
        assert (card.submitted_at is not None) == (card.submitted_on_time is not None) == submitted
        assert (card.reviewed_by_id is not None) == (card.reviewed_at is not None)
        assert (card.reviewed_at is not None) == (card.state in (State.REVIEWED, State.APPROVED))
        assert (
            (card.approved_at is not None)
            == (card.approved_by_id is not None)
            == (card.state == State.APPROVED)
        )
        if card.state != State.APPROVED:
            assert card.approved_total is None and card.approved_rank == ""
    on_time = Counter(c.submitted_on_time for c in cards if c.state != State.DRAFT)
    assert on_time[True] > on_time[False] > 0  # mostly on time, some late


def test_it_records_submission_times_against_the_deadline(generated):
    from zoneinfo import ZoneInfo

    hcm = ZoneInfo("Asia/Ho_Chi_Minh")
    for card in Scorecard.objects.exclude(state=State.DRAFT).select_related("rubric"):
        deadline = submission_deadline(card.rubric, card.month)
        assert card.submitted_on_time == (card.submitted_at.astimezone(hcm).date() <= deadline)
        timeliness = card.entries.get(criterion__code="7.1")
        assert timeliness.result == (Result.DONE if card.submitted_on_time else Result.LATE)


def test_it_stores_the_engines_score_on_every_card(generated):
    for card in Scorecard.objects.select_related("rubric"):
        result = scorecard_score(card)
        assert card.total == result.total
        assert card.rank == (result.rank or "")
        assert card.group_percents == group_percents(result)
        if card.state == State.APPROVED:
            assert (card.approved_total, card.approved_rank) == (card.total, card.rank)


def test_it_gives_self_points_to_submitted_cards_only(generated):
    entries = ScoreEntry.objects.select_related("scorecard")
    for entry in entries:
        if entry.scorecard.state == State.DRAFT or entry.result == Result.NOT_APPLICABLE:
            assert entry.self_points is None
        else:
            assert entry.self_points is not None
    scored = entries.exclude(result=Result.NOT_APPLICABLE).exclude(scorecard__state=State.DRAFT)
    # A card could not have been submitted with a scored criterion lacking evidence (note or attachment).
    assert not scored.filter(evidence_note="", evidence__isnull=True).exists()


def test_it_agrees_with_month_summary(generated):
    for rubric in Rubric.objects.all():
        for month in (date(2026, 1, 1), date(2026, 2, 1), MARCH):
            rows = month_summary(rubric, month)
            assert len(rows) == 6
            for row in rows:
                if row.card is None:
                    continue
                assert row.score.total == row.card.total
                stored = row.card.approved_total if row.card.state == State.APPROVED else row.card.total
                assert row.official_total == stored
                assert (row.official_rank or "") == (
                    row.card.approved_rank if row.card.state == State.APPROVED else row.card.rank
                )


def test_it_varies_by_unit_so_rankings_differ(db):
    generate_scale_data(wards=1, units_per_ward=20, months=2, until=MARCH)
    totals = list(Scorecard.objects.filter(month=date(2026, 2, 1)).values_list("total", flat=True))
    assert len(set(totals)) > len(totals) // 2
    results = Counter(ScoreEntry.objects.values_list("result", flat=True))
    assert results[Result.DONE] > results[Result.LATE] > 0
    assert all(results[r] > 0 for r in Result.values)


def test_it_maps_task_units_onto_the_wards_generated_units(generated):
    plan = Plan.objects.get(code="GEN-W001-KH-DU-29")
    tasks = {t.code: t for t in plan.tasks.prefetch_related("lead_units", "coordinating_units")}
    assert [u.code for u in tasks["2"].lead_units.all()] == ["GEN-W001-UBND"]
    assert [u.code for u in tasks["2"].coordinating_units.all()] == ["GEN-W001-VHXH"]
    schools = {"GEN-W001-MN01", "GEN-W001-TH01", "GEN-W001-THCS01"}
    assert {u.code for u in tasks["9"].lead_units.all()} == schools
    # Units this small ward does not have stay as written, flagged, as an import would leave them.
    assert "Đảng ủy phường" in tasks["30"].unresolved_units
    for task in tasks.values():
        assert task.schedule == parse_deadline(task.deadline_text, period=plan.period).to_dict()
    criterion = Criterion.objects.get(group__rubric__plan=plan, code="1.1")
    assert sorted(t.code for t in criterion.tasks.all()) == ["1", "2"]
    assert tasks["21"].duplicate_of == tasks["16"]


def test_it_writes_evidence_links_and_task_progress(generated):
    evidence = Evidence.objects.all()
    assert evidence.exists()
    assert not evidence.exclude(file="").exists()
    assert not evidence.filter(url="").exists()
    for entry in ScoreEntry.objects.filter(evidence__isnull=False).select_related("scorecard"):
        assert {e.unit_id for e in entry.evidence.all()} == {entry.scorecard.unit_id}
    progress = TaskProgress.objects.all()
    assert progress.exists()
    assert all(0 <= p.percent <= 100 and p.reported_on <= date(2026, 3, 31) for p in progress)


def test_it_creates_demo_leaders(generated):
    User = get_user_model()
    city_leader = User.objects.get(username="gen.lanhdao")
    assert city_leader.check_password(PASSWORD)
    assert (city_leader.profile.unit.code, city_leader.profile.role) == ("GEN-CITY", UserProfile.Role.LEADER)
    ward_leader = User.objects.get(username="gen.lanhdao.w001")
    assert (ward_leader.profile.unit.code, ward_leader.profile.role) == ("GEN-W001", UserProfile.Role.LEADER)
    assert User.objects.get(username="gen.thamdinh.w002").profile.role == UserProfile.Role.REVIEWER


def test_it_is_deterministic_for_a_seed(generated):
    first = digest()
    generate_scale_data(**SMALL)  # deletes the earlier run, approved (locked) cards included
    assert digest() == first
    assert Scorecard.objects.count() == generated.cards
    generate_scale_data(**SMALL, seed=2)
    assert digest() != first


def test_it_refuses_when_real_data_exists_without_force(db):
    OrgUnitFactory(code="LB", kind=OrgUnit.Kind.WARD, name="Phường Long Biên")
    with pytest.raises(ScaleDataError, match="--force"):
        generate_scale_data(**SMALL)
    assert OrgUnit.objects.count() == 1
    assert not Scorecard.objects.exists() and not Plan.objects.exists()
    assert not get_user_model().objects.filter(username__startswith="gen.").exists()
    with pytest.raises(CommandError, match="dữ liệu thật"):
        call_command("generate_scale_data", "--wards", "1", "--units-per-ward", "4", "--months", "1",
                     stdout=StringIO())  # fmt: skip


def test_it_also_refuses_a_real_plan_or_a_lower_case_code(db):
    plan = PlanFactory(issuer=OrgUnitFactory(code="GEN-X", kind=OrgUnit.Kind.WARD), code="KH-1")
    with pytest.raises(ScaleDataError, match="0 đơn vị và 1 kế hoạch"):
        generate_scale_data(**SMALL)
    plan.delete()
    OrgUnitFactory(code="gen-not-ours", kind=OrgUnit.Kind.WARD)  # the prefix is case-sensitive
    with pytest.raises(ScaleDataError, match="1 đơn vị và 0 kế hoạch"):
        generate_scale_data(**SMALL)


def test_it_proceeds_beside_real_data_with_force(db):
    real = OrgUnitFactory(code="LB", kind=OrgUnit.Kind.WARD, name="Phường Long Biên")
    plan = PlanFactory(issuer=real)
    summary = generate_scale_data(**SMALL, force=True)
    assert summary.cards == Scorecard.objects.count() > 0
    generate_scale_data(**SMALL, force=True)  # again: the real rows are never touched
    assert OrgUnit.objects.filter(pk=real.pk).exists() and Plan.objects.filter(pk=plan.pk).exists()
    assert not Scorecard.objects.filter(unit=real).exists()


def test_it_uses_a_fixed_number_of_queries_per_ward(db):
    def queries(wards):
        with CaptureQueriesContext(connection) as captured:
            generate_scale_data(wards=wards, units_per_ward=4, months=1, until=MARCH)
        return len(captured)

    queries(3)  # a first run creates the demo accounts; later runs update them
    one, two, three = queries(1), queries(2), queries(3)
    # Each ward costs the same fixed number of queries (the deletion of the earlier run is a fixed number too).
    assert two - one == three - two < 40


def test_it_rejects_bad_arguments(db):
    with pytest.raises(ScaleDataError, match="--wards"):
        generate_scale_data(wards=0, units_per_ward=6, months=1)
    with pytest.raises(CommandError, match="tháng phải từ 1 đến 12"):
        call_command("generate_scale_data", "--wards", "1", "--units-per-ward", "4", "--months", "1",
                     "--until", "2026-13", stdout=StringIO())  # fmt: skip


def test_it_prints_progress_and_a_summary_in_vietnamese(db, settings):
    settings.DEMO_PASSWORD = PASSWORD
    out = StringIO()
    call_command("generate_scale_data", "--wards", "2", "--units-per-ward", "4", "--months", "2",
                 "--until", "2026-03", "--seed", "5", stdout=out)  # fmt: skip
    text = out.getvalue()
    assert "Phường 001/002: 4 đơn vị" in text and "Phường 002/002" in text
    assert "tháng 02/2026–03/2026" in text
    assert f"{Scorecard.objects.count()} phiếu chấm" in text
    assert f"gen.lanhdao        / {PASSWORD}" in text and "gen.lanhdao.w001" in text
    assert "sinh ngẫu nhiên" not in text
