"""Months as users write them: "2026-03" on the command line, "03/2026" in Excel and on pages."""

import re
from datetime import date


class MonthError(ValueError):
    pass


def parse_month(text: str) -> date:
    """The first day of the month written as YYYY-MM or MM/YYYY; a clear Vietnamese error otherwise."""
    value = (str(text) if text is not None else "").strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", value) or re.fullmatch(r"(\d{1,2})/(\d{4})", value)
    if not match:
        raise MonthError(
            f"Tháng “{value}” không hợp lệ: viết theo dạng YYYY-MM (2026-03) hoặc MM/YYYY (03/2026)."
        )
    first, second = match.groups()
    year, month = (int(first), int(second)) if len(first) == 4 else (int(second), int(first))
    if not 1 <= month <= 12:
        raise MonthError(f"Tháng “{value}” không hợp lệ: tháng phải từ 1 đến 12.")
    if not 2000 <= year <= 2100:
        raise MonthError(f"Tháng “{value}” không hợp lệ: năm {year} nằm ngoài khoảng cho phép.")
    return date(year, month, 1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
