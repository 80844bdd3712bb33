"""Every deadline expression found in the seeds (../shared/domain.md), with the schedule it must give."""

from datetime import date

import pytest

from tasks.deadlines import (
    Frequency,
    Kind,
    Schedule,
    due_dates,
    due_dates_in_month,
    due_dates_in_quarter,
    due_dates_in_year,
    parse_deadline,
)

D = date.fromisoformat
PERIOD = (2026, 2030)

# text, kind, frequency, due dates in 2026, needs a date
CASES = [
    ("Tháng 01/2026", Kind.ONCE, None, ["2026-01-31"], False),
    ("Quý I/2026", Kind.ONCE, None, ["2026-03-31"], False),
    ("Quý I/2026 (xây dựng KH)", Kind.ONCE, None, ["2026-03-31"], False),
    ("Quý II/2026", Kind.ONCE, None, ["2026-06-30"], False),
    ("Quý III/2026", Kind.ONCE, None, ["2026-09-30"], False),
    ("Quý IV/2026", Kind.ONCE, None, ["2026-12-31"], False),
    ("Hoàn thành trong Quý II năm 2026", Kind.ONCE, None, ["2026-06-30"], False),
    ("Từ Quý II/2026", Kind.CONTINUOUS, None, [], False),
    ("Từ Quý III/2026 và thực hiện thường xuyên", Kind.CONTINUOUS, None, [], False),
    ("Thường xuyên", Kind.CONTINUOUS, None, [], False),
    ("Thực hiện thường xuyên", Kind.CONTINUOUS, None, [], False),
    ("Định kỳ", Kind.RECURRING, Frequency.UNSPECIFIED, [], True),
    ("Định kỳ/đột xuất", Kind.RECURRING, Frequency.UNSPECIFIED, [], True),
    ("Hằng năm", Kind.RECURRING, Frequency.YEARLY, ["2026-12-31"], False),
    ("hàng năm", Kind.RECURRING, Frequency.YEARLY, ["2026-12-31"], False),
    ("1-2 đợt/năm", Kind.RECURRING, Frequency.YEARLY, ["2026-12-31"], False),
    ("2026-2027", Kind.RANGE, None, [], False),
    ("2026–2027", Kind.RANGE, None, [], False),
    ("Từ 2026", Kind.CONTINUOUS, None, [], False),
    ("Từ năm 2026", Kind.CONTINUOUS, None, [], False),
    ("Giai đoạn 2026 - 2030", Kind.RANGE, None, [], False),
    ("Giữa kỳ, cuối kỳ", Kind.RANGE, None, [], True),
    ("Theo lộ trình TP", Kind.ON_REQUEST, None, [], True),
    ("Theo lộ trình của Thành phố", Kind.ON_REQUEST, None, [], True),
    ("Theo kế hoạch đầu tư công trung hạn 2026 - 2030", Kind.RANGE, None, [], False),
    (
        "Theo yêu cầu của UBND Thành phố và Sở Giáo dục và Đào tạo (dự kiến Quý III/2026)",
        Kind.ON_REQUEST,
        None,
        ["2026-09-30"],
        False,
    ),
    ("Tháng 4/2026 và hàng năm", Kind.RECURRING, Frequency.YEARLY, ["2026-04-30"], False),
    ("Hoàn thành trong tháng 4 hàng năm", Kind.RECURRING, Frequency.YEARLY, ["2026-04-30"], False),
    ("trước ngày 15/8 hằng năm", Kind.RECURRING, Frequency.YEARLY, ["2026-08-15"], False),
    (
        "Thực hiện theo yêu cầu của UBND Thành phố và Sở Giáo dục và Đào tạo; đồng thời cập nhật, bổ sung hằng năm",
        Kind.RECURRING,
        Frequency.YEARLY,
        ["2026-12-31"],
        False,
    ),
    ("Từ Quý II/2026 và duy trì thường xuyên hằng năm", Kind.CONTINUOUS, None, [], False),
    (
        "Hằng tháng",
        Kind.RECURRING,
        Frequency.MONTHLY,
        [
            f"2026-{m:02d}-{d}"
            for m, d in [
                (1, 31),
                (2, 28),
                (3, 31),
                (4, 30),
                (5, 31),
                (6, 30),
                (7, 31),
                (8, 31),
                (9, 30),
                (10, 31),
                (11, 30),
                (12, 31),
            ]
        ],
        False,
    ),
    (
        "Hằng quý",
        Kind.RECURRING,
        Frequency.QUARTERLY,
        ["2026-03-31", "2026-06-30", "2026-09-30", "2026-12-31"],
        False,
    ),
    ("30/6/2026", Kind.ONCE, None, ["2026-06-30"], False),
    ("Sau khi có hướng dẫn", Kind.UNKNOWN, None, [], True),
    ("", Kind.UNKNOWN, None, [], True),
    ("Quý V/2026", Kind.UNKNOWN, None, [], True),
    ("Tháng 13/2026", Kind.UNKNOWN, None, [], True),
]


@pytest.mark.parametrize(
    ("text", "kind", "frequency", "due_2026", "needs_date"), CASES, ids=[c[0] for c in CASES]
)
def test_it_parses_every_seed_expression(text, kind, frequency, due_2026, needs_date):
    schedule = parse_deadline(text, period=PERIOD)
    assert schedule.kind == kind
    assert schedule.frequency == frequency
    assert [d.isoformat() for d in due_dates_in_year(schedule, 2026)] == due_2026
    assert schedule.needs_date is needs_date
    assert schedule.text == text.strip()


def test_it_keeps_the_text_as_written_when_it_cannot_understand_it():
    schedule = parse_deadline("Khi có chỉ đạo của cấp trên")
    assert schedule.kind == Kind.UNKNOWN
    assert schedule.text == "Khi có chỉ đạo của cấp trên"
    assert schedule.due is None
    assert schedule.label == "Cần xác định thời hạn"


def test_it_reads_the_details_of_each_kind():
    assert parse_deadline("Quý I/2026 (xây dựng KH)").note == "xây dựng KH"
    assert parse_deadline("Từ Quý III/2026 và thực hiện thường xuyên").start == D("2026-07-01")
    assert parse_deadline("Từ năm 2026").start == D("2026-01-01")
    assert parse_deadline("1-2 đợt/năm").times_per_year == (1, 2)
    assert parse_deadline("Định kỳ/đột xuất").ad_hoc is True
    assert parse_deadline("Định kỳ").ad_hoc is False
    rng = parse_deadline("Giai đoạn 2026 - 2030")
    assert (rng.start, rng.end, rng.due) == (D("2026-01-01"), D("2030-12-31"), D("2030-12-31"))
    assert parse_deadline("2026–2027").due == D("2027-12-31")
    yearly = parse_deadline("trước ngày 15/8 hằng năm")
    assert (yearly.month, yearly.day) == (8, 15)
    assert parse_deadline("Tháng 4/2026 và hàng năm").start == D("2026-04-01")
    request = parse_deadline("Theo yêu cầu của UBND Thành phố (dự kiến Quý III/2026)")
    assert request.on_request and request.due == D("2026-09-30")


def test_it_reads_the_details_of_longer_sentences():
    milestone = parse_deadline("Hoàn thành trong Quý I/2026; tiếp tục theo dõi, kiểm tra định kỳ hằng năm")
    assert milestone.first_due == D("2026-03-31")
    assert parse_deadline("Theo lộ trình của Thành phố (dự kiến từ năm 2027)").start == D("2027-01-01")
    assert parse_deadline("Theo lộ trình của Thành phố (dự kiến từ năm 2027)").due is None
    assert parse_deadline("Theo lộ trình của Thành phố (dự kiến hoàn thành mục tiêu vào năm 2028)").due == D(
        "2028-12-31"
    )
    until = parse_deadline("Từ Quý II/2026 và thực hiện theo lộ trình của Thành phố đến năm 2030")
    assert (until.start, until.end, until.on_request) == (D("2026-04-01"), D("2030-12-31"), True)
    ongoing = parse_deadline("Triển khai từ Quý I/2026 và thực hiện thường xuyên giai đoạn 2026 - 2030")
    assert (ongoing.start, ongoing.end) == (D("2026-01-01"), D("2030-12-31"))
    assert parse_deadline("Thực hiện thường xuyên hằng năm và theo yêu cầu của cấp có thẩm quyền").on_request


def test_it_places_mid_and_end_of_term_only_when_the_plan_period_is_known():
    with_period = parse_deadline("Giữa kỳ, cuối kỳ", period=PERIOD)
    assert with_period.due == D("2030-12-31")
    assert with_period.milestones == ("giữa kỳ", "cuối kỳ")
    assert with_period.needs_date  # the mid-term date is written nowhere
    assert parse_deadline("Giữa kỳ, cuối kỳ").kind == Kind.UNKNOWN


@pytest.mark.parametrize(
    ("text", "year", "expected"),
    [
        ("Hằng năm", 2027, ["2027-12-31"]),
        ("Tháng 4/2026 và hàng năm", 2025, []),  # starts in 2026
        ("Tháng 4/2026 và hàng năm", 2028, ["2028-04-30"]),
        ("2026-2027", 2027, ["2027-12-31"]),
        ("Giai đoạn 2026 - 2030", 2030, ["2030-12-31"]),
        ("Quý I/2026", 2027, []),
        ("Thường xuyên", 2026, []),
    ],
)
def test_it_lists_due_dates_of_other_years(text, year, expected):
    assert [d.isoformat() for d in due_dates_in_year(parse_deadline(text), year)] == expected


def test_it_lists_due_dates_inside_a_month_or_a_quarter():
    quarterly = parse_deadline("Hằng quý")
    assert due_dates_in_month(quarterly, 2026, 5) == []
    assert due_dates_in_month(quarterly, 2026, 6) == [D("2026-06-30")]
    assert due_dates_in_quarter(parse_deadline("Quý II/2026"), 2026, 2) == [D("2026-06-30")]
    assert due_dates_in_quarter(parse_deadline("Quý II/2026"), 2026, 3) == []
    assert due_dates_in_quarter(parse_deadline("trước ngày 15/8 hằng năm"), 2026, 3) == [D("2026-08-15")]
    assert due_dates_in_month(parse_deadline("Hằng tháng"), 2024, 2) == [D("2024-02-29")]
    assert due_dates(parse_deadline("Hằng tháng"), D("2026-03-15"), D("2026-05-15")) == [
        D("2026-03-31"),
        D("2026-04-30"),
    ]


def test_it_round_trips_through_json():
    for text, *_ in CASES:
        schedule = parse_deadline(text, period=PERIOD)
        assert Schedule.from_dict(schedule.to_dict()) == schedule
