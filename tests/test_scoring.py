"""The scoring policy, table-driven, plus properties that must hold for any month."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.scoring import Item, Policy, Rank, Result, ScoringError, round2, score

R = Result
P = Decimal
POLICY = Policy()

# Two groups shaped like the rubric's group 1 (4 × 3.75 = 15) and group 7 (2 × 2.50 = 5).
GROUP_MAX = {"1": P("15"), "7": P("5")}
CRITERIA = [("1.1", "1", P("3.75")), ("1.2", "1", P("3.75")), ("1.3", "1", P("3.75")), ("1.4", "1", P("3.75")),
            ("7.1", "7", P("2.50")), ("7.2", "7", P("2.50"))]  # fmt: skip


def month(results: dict, ratios: dict | None = None, manual: dict | None = None, adhoc: list | None = None):
    ratios, manual = ratios or {}, manual or {}
    items = [
        Item(code, group, points, results.get(code, R.DONE), ratios.get(code), manual.get(code))
        for code, group, points in CRITERIA
    ]
    for key, group, weight, result, ratio in adhoc or []:
        items.append(Item(key, group, weight, result, ratio, adhoc=True))
    return score(items, GROUP_MAX, POLICY)


# results, ratios, manual points, expected achieved, applicable, total
CASES = [
    ("all done", {}, {}, {}, "20", "20", "100.00"),
    ("one late", {"1.1": R.LATE}, {}, {}, "19.0625", "20", "95.31"),
    ("one partial 0.4", {"1.1": R.PARTIAL}, {"1.1": P("0.4")}, {}, "17.75", "20", "88.75"),
    ("one late partial 0.4", {"1.1": R.LATE_PARTIAL}, {"1.1": P("0.4")}, {}, "17.375", "20", "86.88"),
    ("one not done", {"7.1": R.NOT_DONE}, {}, {}, "17.5", "20", "87.50"),
    ("one not applicable", {"1.1": R.NOT_APPLICABLE}, {}, {}, "16.25", "16.25", "100.00"),
    ("n/a and not done", {"1.1": R.NOT_APPLICABLE, "7.1": R.NOT_DONE}, {}, {}, "13.75", "16.25", "84.62"),
    ("manual points", {}, {}, {"1.2": P("2")}, "18.25", "20", "91.25"),
    ("manual zero on a done item", {}, {}, {"7.2": P("0")}, "17.5", "20", "87.50"),
]


@pytest.mark.parametrize(("name", "results", "ratios", "manual", "achieved", "applicable", "total"), CASES)
def test_it_scores_each_result_kind(name, results, ratios, manual, achieved, applicable, total):
    result = month(results, ratios, manual)
    assert result.achieved == P(achieved)
    assert result.applicable == P(applicable)
    assert result.total == P(total)
    assert str(result.total) == total  # two decimals, as printed


def test_it_rounds_once_at_the_end_half_up():
    # 3.75 × 0.75 = 2.8125 for each of four late items: rounding per item would give 2.81 × 4 = 11.24.
    result = month({c: R.LATE for c in ("1.1", "1.2", "1.3", "1.4")}, {})
    assert result.achieved == P("16.25")
    assert result.total == P("81.25")
    assert result.groups["1"] == P("11.25")


@pytest.mark.parametrize(
    ("total", "rank"),
    [
        ("100", Rank.EXCELLENT), ("90.00", Rank.EXCELLENT), ("89.995", Rank.EXCELLENT), ("89.994", Rank.GOOD),
        ("80.00", Rank.GOOD), ("79.99", Rank.PASS), ("65.00", Rank.PASS), ("64.99", Rank.FAIL), ("0", Rank.FAIL),
    ],
)  # fmt: skip
def test_it_ranks_from_the_rounded_total(total, rank):
    items = [Item("x", "g", P("100"), R.PARTIAL, P(total) / 100)]
    result = score(items, {"g": P("100")}, POLICY)
    assert result.total == round2(P(total))
    assert result.rank == rank


def test_it_ranks_by_the_bands_of_the_policy():
    strict = Policy(excellent_from=P("95"), good_from=P("85"), pass_from=P("70"))
    items = [Item("x", "g", P("100"), R.PARTIAL, P("0.9"))]
    assert score(items, {"g": P("100")}, strict).rank == Rank.GOOD
    assert score(items, {"g": P("100")}, Policy(late_factor=P("0.5"))).total == P("90.00")
    late = [Item("x", "g", P("100"), R.LATE)]
    assert score(late, {"g": P("100")}, Policy(late_factor=P("0.5"))).total == P("50.00")


def test_it_has_no_total_and_no_rank_when_nothing_applies():
    result = month({code: R.NOT_APPLICABLE for code, _, _ in CRITERIA})
    assert result.total is None
    assert result.rank is None
    assert result.rank_label == "Chưa xếp loại (không có tiêu chí áp dụng)"


def test_it_shares_a_groups_points_with_ad_hoc_items_by_weight():
    # Group 7 (5 points) gets an ad-hoc task weighing as much as a criterion: three items of 5/3 each.
    result = month({"7.2": R.NOT_DONE}, adhoc=[("đx1", "7", P("2.50"), R.DONE, None)])
    shares = {item.key: item.possible for item in result.items if item.group == "7"}
    assert shares == {"7.1": P("5") / 3, "7.2": P("5") / 3, "đx1": P("5") / 3}
    assert result.group_possible["7"] == P("5")
    assert result.applicable == P("20")  # the total stays out of 100 (here, of 20 applicable points)
    assert result.total == round2((P("15") + P("10") / 3) / P("20") * 100)
    # Not applicable items leave the group's points to the others.
    alone = month(
        {"7.1": R.NOT_APPLICABLE, "7.2": R.NOT_APPLICABLE}, adhoc=[("đx1", "7", P("1"), R.DONE, None)]
    )
    assert {i.key: i.possible for i in alone.items if i.applicable and i.group == "7"} == {"đx1": P("5")}


def test_it_refuses_numbers_outside_the_rules():
    with pytest.raises(ScoringError, match="tỷ lệ đạt phải từ 0 đến 1"):
        month({"1.1": R.PARTIAL}, {"1.1": P("1.2")})
    with pytest.raises(ScoringError, match="tỷ lệ đạt"):
        month({"1.1": R.PARTIAL}, {})
    with pytest.raises(ScoringError, match="điểm thẩm định 4,00 phải từ 0 đến 3,75"):
        month({}, {}, {"1.1": P("4")})


# --- properties --------------------------------------------------------------------------------------------

RESULTS = [R.DONE, R.LATE, R.PARTIAL, R.LATE_PARTIAL, R.NOT_DONE, R.NOT_APPLICABLE]
ratios = st.decimals(min_value=0, max_value=1, places=2)
entries = st.lists(
    st.tuples(st.sampled_from(RESULTS), ratios), min_size=len(CRITERIA), max_size=len(CRITERIA)
)


def build(pairs):
    return [
        Item(code, group, points, result, ratio)
        for (code, group, points), (result, ratio) in zip(CRITERIA, pairs, strict=True)
    ]


@settings(max_examples=300, deadline=None)
@given(entries)
def test_property_total_stays_between_0_and_100(pairs):
    result = score(build(pairs), GROUP_MAX, POLICY)
    if result.total is not None:
        assert P("0") <= result.total <= P("100")


# Each result's worth, from worst to best, for a given ratio: improving means moving right.
def better_results(result, ratio):
    worth = {
        R.NOT_DONE: 0,
        R.LATE_PARTIAL: ratio * POLICY.late_factor,
        R.PARTIAL: ratio,
        R.LATE: POLICY.late_factor,
        R.DONE: 1,
    }
    return [r for r, v in worth.items() if v >= worth[result]]


@settings(max_examples=300, deadline=None)
@given(entries, st.integers(min_value=0, max_value=len(CRITERIA) - 1), st.data())
def test_property_improving_one_result_never_lowers_the_total(pairs, index, data):
    result, ratio = pairs[index]
    if result == R.NOT_APPLICABLE:
        return  # applicability is not an improvement; covered by the N/A cases above
    before = score(build(pairs), GROUP_MAX, POLICY)
    improved = data.draw(st.sampled_from(better_results(result, ratio)))
    new_ratio = ratio
    if improved in (R.PARTIAL, R.LATE_PARTIAL) and improved == result:
        new_ratio = data.draw(st.decimals(min_value=ratio, max_value=1, places=2))
    changed = list(pairs)
    changed[index] = (improved, new_ratio)
    after = score(build(changed), GROUP_MAX, POLICY)
    assert after.total >= before.total


def test_it_counts_a_criterion_not_yet_assessed_as_earning_nothing_and_ranks_nothing():
    result = month({"1.1": R.NOT_ASSESSED})
    assert (result.achieved, result.applicable, result.total) == (P("16.25"), P("20"), P("81.25"))
    assert (result.rank, result.unassessed) == (None, ["1.1"])
    assert result.rank_label == "Chưa xếp loại (còn 1 tiêu chí chưa chấm)"


@pytest.mark.parametrize(
    ("not_applicable", "applicable", "ranked"),
    [
        (["1.1", "1.2", "1.3", "1.4"], "5", False),  # 5 of 20 points: under half
        (["1.1", "1.2", "7.1", "7.2"], "7.50", False),
        (["1.1", "7.1", "7.2"], "11.25", True),  # over half
        (["7.1", "7.2"], "15", True),
    ],
)
def test_it_ranks_only_when_enough_of_the_rubric_applies(not_applicable, applicable, ranked):
    result = month(dict.fromkeys(not_applicable, R.NOT_APPLICABLE))
    assert result.applicable == P(applicable) and result.total == P("100.00")
    assert result.low_applicability is not ranked
    assert (result.rank == Rank.EXCELLENT) is ranked
    if not ranked:
        assert "điểm áp dụng" in result.rank_label


def test_it_takes_the_low_applicability_share_from_the_policy():
    items = [Item(code, group, points, R.DONE) for code, group, points in CRITERIA[:2]]  # 7.5 of 20
    assert score(items, GROUP_MAX, Policy(min_applicable_percent=P("30"))).rank == Rank.EXCELLENT
    assert score(items, GROUP_MAX, Policy(min_applicable_percent=P("40"))).rank is None
