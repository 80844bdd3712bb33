"""Understand Vietnamese deadline expressions ("Quý II/2026", "Hằng năm", "trước ngày 15/8 hằng năm").

`parse_deadline(text)` is a pure function from the text a plan prints to a `Schedule`; `due_dates(schedule,
start, end)` lists the dates something is due inside any window (a month, a quarter, a year). What cannot be
understood is kept as written with kind UNKNOWN and `needs_date=True` ("cần xác định thời hạn"): a wrong
guessed date would make a task look on time or late when nobody decided it.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date


class Kind:
    ONCE = "once"  # one due date: end of a month, quarter or year, or a given day
    RECURRING = "recurring"  # monthly, quarterly, yearly, N times a year, "Định kỳ"
    CONTINUOUS = "continuous"  # "Thường xuyên", "Từ Quý II/2026": ongoing, no due date
    RANGE = "range"  # "2026-2027", "Giai đoạn 2026 - 2030": due at the end of the range
    ON_REQUEST = "on_request"  # "Theo yêu cầu …", "Theo lộ trình TP": someone else sets the date
    UNKNOWN = "unknown"  # not understood: kept as written, needs a date

    LABELS = {
        "once": "Một lần",
        "recurring": "Định kỳ",
        "continuous": "Thường xuyên",
        "range": "Trong giai đoạn",
        "on_request": "Theo yêu cầu",
        "unknown": "Cần xác định thời hạn",
    }


class Frequency:
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    UNSPECIFIED = "unspecified"  # "Định kỳ" without saying how often


NEEDS_DATE_LABEL = "cần xác định thời hạn"


@dataclass(frozen=True)
class Schedule:
    kind: str
    text: str = ""
    due: date | None = None  # ONCE: the date; RANGE: its end; ON_REQUEST: the expected date ("dự kiến")
    first_due: date | None = (
        None  # a milestone before the recurrence ("Hoàn thành trong Quý I/2026; … hằng năm")
    )
    start: date | None = None  # first day it applies (Từ …, a range's start, a recurring start)
    end: date | None = None  # last day it applies (a range's end)
    frequency: str | None = None  # RECURRING only
    times_per_year: tuple[int, int] | None = None  # "1-2 đợt/năm" -> (1, 2)
    month: int | None = None  # yearly anchor: "tháng 4 hằng năm" -> 4
    day: int | None = None  # yearly anchor: "trước ngày 15/8" -> 15
    on_request: bool = False  # also done when a higher body asks
    ad_hoc: bool = False  # "đột xuất": also when something happens
    milestones: tuple[str, ...] = field(default_factory=tuple)  # "giữa kỳ", "cuối kỳ"
    note: str = ""  # what the text adds in brackets, e.g. "xây dựng KH"
    needs_date: bool = False

    @property
    def label(self) -> str:
        return Kind.LABELS[self.kind]

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("due", "first_due", "start", "end"):
            data[key] = data[key].isoformat() if data[key] else None
        data["times_per_year"] = list(self.times_per_year) if self.times_per_year else None
        data["milestones"] = list(self.milestones)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Schedule:
        values = dict(data)
        for key in ("due", "first_due", "start", "end"):
            values[key] = date.fromisoformat(values[key]) if values.get(key) else None
        values["times_per_year"] = tuple(values["times_per_year"]) if values.get("times_per_year") else None
        values["milestones"] = tuple(values.get("milestones") or ())
        return cls(**values)


# --- helpers -----------------------------------------------------------------------------------------------

ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def fold(text: str) -> str:
    """Lower case, no diacritics (đ -> d), one kind of dash, single spaces: 'Hằng năm' == 'hàng năm'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)  # – — ‒ − -> -
    return re.sub(r"\s+", " ", text).strip()


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * quarter - 2, 1)


def quarter_end(year: int, quarter: int) -> date:
    return month_end(year, 3 * quarter)


def _valid_day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


YEAR = r"(20\d\d)"
QUARTER = r"quy (iv|iii|ii|i|[1-4])\b"
QUARTER_YEAR = QUARTER + r"\s*(?:/|nam|-)\s*" + YEAR
MONTH_YEAR = r"thang (\d{1,2})\s*(?:/|nam|-)\s*" + YEAR
DAY_MONTH_YEAR = r"(\d{1,2})/(\d{1,2})/" + YEAR
YEARLY = r"(?:hang|moi) nam"


def _quarter_number(token: str) -> int:
    return ROMAN.get(token) or int(token)


def _find_date(folded: str) -> tuple[date | None, date | None]:
    """The first explicit point in time in the text, as (start, due): a day, a month, a quarter or a year."""
    if m := re.search(r"\b" + DAY_MONTH_YEAR, folded):
        d = _valid_day(int(m[3]), int(m[2]), int(m[1]))
        return (d, d) if d else (None, None)
    if m := re.search(QUARTER_YEAR, folded):
        year, quarter = int(m[2]), _quarter_number(m[1])
        return quarter_start(year, quarter), quarter_end(year, quarter)
    if m := re.search(MONTH_YEAR, folded):
        month, year = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            return date(year, month, 1), month_end(year, month)
        return None, None
    if m := re.search(r"\b" + YEAR + r"\b", folded):
        year = int(m[1])
        return date(year, 1, 1), date(year, 12, 31)
    return None, None


# --- the parser --------------------------------------------------------------------------------------------

# A higher body decides when: "Theo yêu cầu …", "Theo lộ trình …", "Theo chỉ đạo …", "Theo kế hoạch của Thành phố".
ON_REQUEST = re.compile(r"theo (yeu cau|lo trinh|chi dao|ke hoach cua (thanh pho|tp|ubnd))")
FROM = re.compile(r"\btu (?=quy|nam|thang|ngay|20\d\d)")
UNTIL_YEAR = re.compile(r"\bden (?:het )?nam " + YEAR)
FOLLOWING_YEARS = "cac nam tiep theo"


def parse_deadline(text: str, *, period: tuple[int, int] | None = None) -> Schedule:
    """Parse a deadline as a plan writes it. `period` (first year, last year) is the plan's period, used only
    for expressions relative to it ("Giữa kỳ, cuối kỳ")."""
    raw = (text or "").strip()
    if not raw:
        return Schedule(kind=Kind.UNKNOWN, text=raw, needs_date=True)
    folded = fold(raw)

    # Brackets hold an expected date ("dự kiến Quý III/2026"), an expected start ("dự kiến từ năm 2027",
    # "từ năm 2026") or a note ("xây dựng KH").
    note = ""
    expected_start = expected_due = None
    bracket = re.search(r"\(([^)]*)\)", raw)
    if bracket:
        inner = fold(bracket[1])
        if FROM.search(inner):
            expected_start, _ = _find_date(FROM.split(inner, maxsplit=1)[1])
        elif "du kien" in inner:
            _, expected_due = _find_date(inner)
        else:
            note = bracket[1].strip()
        folded = fold(raw[: bracket.start()] + " " + raw[bracket.end() :])

    # "Hoàn thành trong Quý I/2026; tiếp tục … hằng năm": a first milestone, then what follows it.
    first_due = None
    head, _, tail = folded.partition(";")
    if tail and head.startswith("hoan thanh"):
        _, first_due = _find_date(head)
        if first_due:
            folded = tail.strip()

    # "năm 2026 và các năm tiếp theo" is a yearly task; "Từ Quý II/2026 và các năm tiếp theo" is ongoing work.
    yearly = re.search(YEARLY, folded) is not None or (FOLLOWING_YEARS in folded and not FROM.search(folded))
    continuous = "thuong xuyen" in folded
    on_request = ON_REQUEST.search(folded) is not None
    start = expected_start
    if m := FROM.search(folded):
        start, _ = _find_date(folded[m.end() :])
    end = None
    if m := UNTIL_YEAR.search(folded):
        end = date(int(m[1]), 12, 31)
    years = re.search(YEAR + r"\s*-\s*" + YEAR, folded)
    if years and int(years[1]) <= int(years[2]):
        start = start or date(int(years[1]), 1, 1)
        end = date(int(years[2]), 12, 31)
    base = {"text": raw, "note": note, "ad_hoc": "dot xuat" in folded, "on_request": on_request}
    if first_due:
        base["first_due"] = first_due

    # "Giữa kỳ, cuối kỳ": milestones of the plan's own period.
    if "giua ky" in folded or "cuoi ky" in folded:
        milestones = tuple(m for m in ("giữa kỳ", "cuối kỳ") if fold(m) in folded)
        if period and "cuoi ky" in folded:
            # The end of the period is certain; the mid-term review's date is not written anywhere.
            return Schedule(
                kind=Kind.RANGE,
                start=date(period[0], 1, 1),
                end=date(period[1], 12, 31),
                due=date(period[1], 12, 31),
                milestones=milestones,
                needs_date="giua ky" in folded,
                **base,
            )
        return Schedule(kind=Kind.UNKNOWN, milestones=milestones, needs_date=True, **base)

    # Ongoing work: "Thường xuyên", "Từ Quý III/2026 và thực hiện thường xuyên", "… thường xuyên giai đoạn 2026 - 2030".
    if continuous:
        return Schedule(kind=Kind.CONTINUOUS, start=start, end=end, **base)

    # "1-2 đợt/năm", "2 lần/năm"
    if m := re.search(r"(\d+)\s*(?:-\s*(\d+)\s*)?(?:dot|lan)\s*/\s*nam", folded):
        low, high = int(m[1]), int(m[2] or m[1])
        return Schedule(
            kind=Kind.RECURRING, frequency=Frequency.YEARLY, times_per_year=(low, high), start=start, **base
        )

    if "dinh ky" in folded and not yearly:
        frequency = _frequency(folded) or Frequency.UNSPECIFIED
        return Schedule(
            kind=Kind.RECURRING, frequency=frequency, needs_date=frequency == Frequency.UNSPECIFIED, **base
        )

    if yearly:
        return _yearly(folded, start, end, base)

    # Ranges of years: "2026-2027", "Giai đoạn 2026 - 2030", "Theo kế hoạch đầu tư công trung hạn 2026 - 2030".
    if years and int(years[1]) <= int(years[2]):
        return Schedule(kind=Kind.RANGE, start=start, end=end, due=end, **base)

    if on_request:
        return Schedule(
            kind=Kind.ON_REQUEST,
            start=start,
            end=end,
            due=expected_due,
            needs_date=expected_due is None,
            **base,
        )

    # "Từ Quý II/2026", "Từ năm 2026", "Từ Quý II/2026 và các năm tiếp theo": ongoing from a start.
    if start:
        return Schedule(kind=Kind.CONTINUOUS, start=start, end=end, **base)

    if frequency := _frequency(folded):
        return Schedule(kind=Kind.RECURRING, frequency=frequency, **base)

    # One-off: "Tháng 01/2026", "Quý I/2026", "Hoàn thành trong Quý II năm 2026", "30/6/2026", "Năm 2026".
    if re.fullmatch(
        r"(?:(?:hoan thanh|thuc hien|truoc|trong|den|cham nhat|ngay|nam)\s*)*"
        r"(?:" + QUARTER_YEAR + "|" + MONTH_YEAR + "|" + DAY_MONTH_YEAR + "|" + YEAR + r")\s*[.;]?",
        folded,
    ):
        _, due = _find_date(folded)
        if due:
            return Schedule(kind=Kind.ONCE, due=due, **base)

    return Schedule(kind=Kind.UNKNOWN, needs_date=True, **base)


def _yearly(folded: str, start: date | None, end: date | None, base: dict) -> Schedule:
    yearly = {"kind": Kind.RECURRING, "frequency": Frequency.YEARLY, "end": end, **base}
    # "trước ngày 15/8 hằng năm"
    if m := re.search(r"(?:truoc |den |vao )?ngay (\d{1,2})/(\d{1,2})\b(?!/)", folded):
        day, month = int(m[1]), int(m[2])
        if _valid_day(2024, month, day):  # a leap year accepts 29/2
            return Schedule(month=month, day=day, start=start, **yearly)
    # "Tháng 4/2026 và hàng năm": first in April 2026, then every April.
    if m := re.search(MONTH_YEAR, folded):
        month, year = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            return Schedule(month=month, start=start or date(year, month, 1), **yearly)
    # "Hoàn thành trong tháng 4 hàng năm"
    if m := re.search(r"thang (\d{1,2})\b(?!\s*/)", folded):
        month = int(m[1])
        if 1 <= month <= 12:
            return Schedule(month=month, start=start, **yearly)
    # "Thực hiện năm 2026 và các năm tiếp theo"
    if start is None:
        start, _ = _find_date(folded)
    return Schedule(start=start, **yearly)


def _frequency(folded: str) -> str | None:
    if re.search(r"hang thang|moi thang|thang mot lan", folded):
        return Frequency.MONTHLY
    if re.search(r"hang quy|moi quy|quy mot lan", folded):
        return Frequency.QUARTERLY
    if re.search(YEARLY, folded):
        return Frequency.YEARLY
    return None


# --- due dates -----------------------------------------------------------------------------------------------


def due_dates(schedule: Schedule, start: date, end: date) -> list[date]:
    """Every date inside [start, end] on which something of this schedule is due, in order."""
    dates = _due_dates(schedule, start, end)
    if schedule.first_due and start <= schedule.first_due <= end and schedule.first_due not in dates:
        dates = sorted([schedule.first_due, *dates])
    return dates


def _due_dates(schedule: Schedule, start: date, end: date) -> list[date]:
    if schedule.kind in (Kind.ONCE, Kind.RANGE, Kind.ON_REQUEST):
        return [schedule.due] if schedule.due and start <= schedule.due <= end else []
    if schedule.kind != Kind.RECURRING:
        return []  # continuous and unknown have no due date

    lower = max(start, schedule.start) if schedule.start else start
    upper = min(end, schedule.end) if schedule.end else end
    if lower > upper:
        return []
    if schedule.frequency == Frequency.MONTHLY:
        candidates = [month_end(y, m) for y in range(lower.year, upper.year + 1) for m in range(1, 13)]
    elif schedule.frequency == Frequency.QUARTERLY:
        candidates = [quarter_end(y, q) for y in range(lower.year, upper.year + 1) for q in range(1, 5)]
    elif schedule.frequency == Frequency.YEARLY:
        candidates = [_yearly_due(schedule, y) for y in range(lower.year, upper.year + 1)]
    else:
        return []  # "Định kỳ" without a period: nothing can be said to be due
    return [d for d in candidates if lower <= d <= upper]


def _yearly_due(schedule: Schedule, year: int) -> date:
    month = schedule.month or 12
    if schedule.day:
        return _valid_day(year, month, schedule.day) or month_end(year, month)
    return month_end(year, month)


def due_dates_in_year(schedule: Schedule, year: int) -> list[date]:
    return due_dates(schedule, date(year, 1, 1), date(year, 12, 31))


def due_dates_in_month(schedule: Schedule, year: int, month: int) -> list[date]:
    return due_dates(schedule, date(year, month, 1), month_end(year, month))


def due_dates_in_quarter(schedule: Schedule, year: int, quarter: int) -> list[date]:
    return due_dates(schedule, quarter_start(year, quarter), quarter_end(year, quarter))


def period_of(schedule: Schedule, due: date) -> tuple[date, date]:
    """The window a recurring occurrence covers: from the day after the previous occurrence to its due date."""
    if schedule.kind == Kind.RECURRING:
        if schedule.frequency == Frequency.MONTHLY:
            return date(due.year, due.month, 1), due
        if schedule.frequency == Frequency.QUARTERLY:
            quarter = (due.month - 1) // 3 + 1
            return quarter_start(due.year, quarter), due
        if schedule.frequency == Frequency.YEARLY:
            previous = _yearly_due(schedule, due.year - 1)
            start = date.fromordinal(previous.toordinal() + 1)
            if schedule.start and schedule.start > start:
                start = schedule.start
            return start, due
    return (schedule.start or date.min), due
