"""What every Excel import and export shares: opening a file with clear errors, reading cells as text,
refusing formula-like text, writing text that can never become a formula."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from plans.text import normalize_name

FORMULA_START = ("=", "+", "-", "@")


class ImportFileError(Exception):
    """The file as a whole cannot be read (not an xlsx, encrypted, no header, empty)."""


@dataclass
class Problem:
    """One thing wrong with one cell, in Vietnamese, with where it is."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self):
        return f"Trang “{self.sheet}”, dòng {self.row}, cột “{self.column}”: {self.message}"


def open_workbook(path: Path):
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ImportFileError(
            "Tệp không phải là bảng tính Excel .xlsx đọc được (có thể hỏng, có mật khẩu hoặc sai định dạng)."
        ) from exc


def cell_text(value) -> str:
    """A cell as text: numbers without a spurious ".0", dates as dd/mm/yyyy, line breaks kept."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return str(value).replace("\r\n", "\n").strip()


def formula_like(value) -> bool:
    """Text that a spreadsheet would run as a formula. A leading "-" is common in Vietnamese lists ("- Báo
    cáo"), so only = + @ are refused on import; exports neutralise all four (see write_text)."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    # A lone "=" is an indicator's comparator, not a formula; "+84 24…" is a phone number.
    return len(text) > 1 and text[0] in ("=", "@", "+") and not re.fullmatch(r"\+?[\d .]+", text)


def write_text(cell, value):
    """Put text in a cell so that it stays text, even when it starts with = + - @."""
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"


def header_keys(values, classify) -> dict[str, int]:
    """{column key: index} for the cells of a row that `classify` recognises."""
    keys = {}
    for index, value in enumerate(values):
        key = classify(normalize_name(cell_text(value))) if value not in (None, "") else None
        if key and key not in keys:
            keys[key] = index
    return keys
