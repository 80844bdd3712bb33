"""What every Excel import and export shares: opening a file safely and with clear errors, reading cells as
text, refusing formula-like text, writing text that can never become a formula.

Reading is defensive because the files come from anyone: the sheet's <dimension> tag is ignored (a tag that
says A1:H3 must not hide row 24), the archive's expanded size and the number of rows are capped before a sheet
is read whole (IMPORT_MAX_EXPANDED_BYTES, IMPORT_MAX_ROWS), broken XML is an error of the file with its sheet
and row, and cells that cannot be trusted (NaN, Infinity, a formula with no stored result) become `BadCell`
values that every importer reports as an error of that cell instead of reading them as numbers or as empty.
"""

from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from plans.text import normalize_name

FORMULA_START = ("=", "+", "-", "@")
DEFAULT_MAX_ROWS = 50_000
DEFAULT_MAX_EXPANDED_BYTES = 100 * 1024 * 1024


class ImportFileError(Exception):
    """The file as a whole cannot be read (not an xlsx, encrypted, no header, empty, too large)."""


@dataclass
class Problem:
    """One thing wrong with one cell, in Vietnamese, with where it is."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self):
        return f"Trang “{self.sheet}”, dòng {self.row}, cột “{self.column}”: {self.message}"


@dataclass(frozen=True)
class BadCell:
    """A cell whose value cannot be used; `message` says why, for the clerk."""

    message: str

    def __str__(self):
        return ""


def bad_cells(cells: dict) -> list[tuple[str, str]]:
    """(column key, message) for every cell of a row that holds a BadCell."""
    return [(key, value.message) for key, value in cells.items() if isinstance(value, BadCell)]


def max_rows() -> int:
    return getattr(settings, "IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)


def max_expanded_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_EXPANDED_BYTES", DEFAULT_MAX_EXPANDED_BYTES)


def check_archive(path: Path):
    """Refuse a zip that would expand past the limit, from its directory alone (nothing is decompressed).
    zipfile stops each member at its declared size, so a member cannot lie its way past this check."""
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError(
            "Tệp không phải là bảng tính Excel .xlsx đọc được (có thể hỏng, có mật khẩu hoặc sai định dạng)."
        ) from exc
    limit = max_expanded_bytes()
    if total > limit:
        raise ImportFileError(
            f"Tệp giải nén ra {total // (1024 * 1024)} MB, quá giới hạn {limit // (1024 * 1024)} MB "
            "cho một lần nhập: hãy chia tệp hoặc bỏ các trang không cần."
        )


class Sheet:
    """One worksheet, read as rows of plain values (see `iter_rows`)."""

    def __init__(self, values_sheet, formula_sheet):
        self._values, self._formulas = values_sheet, formula_sheet
        self.title = values_sheet.title

    def iter_rows(self, values_only=True, max_col=None):
        """Rows as tuples of values, every row of the sheet whatever its <dimension> tag says. A number cell
        formatted as a percentage reads as text "65%" (Excel stores 65 % as 0.65); NaN, ±Infinity and
        numbers too large to hold, and formulas whose result the file does not store, read as BadCell."""
        self._values.reset_dimensions()
        limit = max_rows()
        formula_rows = None
        if self._formulas is not None:
            self._formulas.reset_dimensions()
            formula_rows = self._formulas.iter_rows()
        number = 0
        try:
            for number, cells in enumerate(self._values.iter_rows(max_col=max_col), start=1):
                if number > limit:
                    raise ImportFileError(
                        f"Trang “{self.title}” có hơn {limit} dòng, quá giới hạn cho một lần nhập: hãy chia tệp."
                    )
                formulas = next(formula_rows, ()) if formula_rows is not None else ()
                yield tuple(_value(cell, formulas[i] if i < len(formulas) else None)
                            for i, cell in enumerate(cells))  # fmt: skip
        except (SyntaxError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError) as exc:
            # SyntaxError covers xml.etree's ParseError and lxml's XMLSyntaxError.
            raise ImportFileError(
                f"Trang “{self.title}” bị hỏng (nội dung XML không đọc được) sau dòng {number}: hãy mở tệp bằng "
                "Excel, lưu lại rồi nhập."
            ) from exc


def _value(cell, formula_cell):
    value = getattr(cell, "value", None)
    if value is None:
        if formula_cell is not None and getattr(formula_cell, "data_type", "") == "f":
            return BadCell(
                "ô chứa công thức nhưng tệp không lưu kết quả của nó: mở tệp bằng Excel, lưu lại rồi nhập "
                "(hoặc thay công thức bằng giá trị)."
            )
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return BadCell("ô có giá trị không phải là số hữu hạn (NaN, vô cực hoặc số quá lớn).")
    if isinstance(value, int | float) and "%" in (getattr(cell, "number_format", "") or ""):
        percent = (Decimal(repr(value)) * 100).normalize()
        return f"{percent:f}%"
    return value


class Workbook:
    """An opened .xlsx: `worksheets`, `sheetnames`, `workbook[title]`, `close()`, as openpyxl's."""

    def __init__(self, values_book, formula_book):
        self._values, self._formulas = values_book, formula_book
        formula_sheets = {s.title: s for s in formula_book.worksheets} if formula_book else {}
        self.worksheets = [
            Sheet(s, formula_sheets.get(s.title)) for s in values_book.worksheets if hasattr(s, "iter_rows")
        ]
        self.sheetnames = [s.title for s in self.worksheets]

    def __getitem__(self, title) -> Sheet:
        return next(s for s in self.worksheets if s.title == title)

    def close(self):
        self._values.close()
        if self._formulas is not None:
            self._formulas.close()


def _has_formulas(path: Path) -> bool:
    """Whether any sheet holds a formula (an <f> element): only then is the file read a second time for them."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with archive.open(name) as member:
                    tail = b""
                    while chunk := member.read(1 << 20):
                        if b"<f>" in tail + chunk or b"<f " in tail + chunk or b":f>" in tail + chunk:
                            return True
                        tail = chunk[-8:]
    return False


def _lenient_number(value: str):
    """openpyxl's number cast, except that a numeric cell holding "NaN", "INF" or garbage reads as NaN (then
    a BadCell of that one cell) instead of a ValueError that would end the reading of the whole sheet."""
    try:
        return _strict_number(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return math.nan


def _install_lenient_number():
    global _strict_number
    from openpyxl.worksheet import _reader

    if _reader._cast_number is not _lenient_number:
        _strict_number = _reader._cast_number
        _reader._cast_number = _lenient_number


_strict_number = None


def open_workbook(path: Path) -> Workbook:
    from openpyxl import load_workbook

    _install_lenient_number()
    check_archive(path)
    try:
        values = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False) if _has_formulas(path) else None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SyntaxError) as exc:
        raise ImportFileError(
            "Tệp không phải là bảng tính Excel .xlsx đọc được (có thể hỏng, có mật khẩu hoặc sai định dạng)."
        ) from exc
    return Workbook(values, formulas)


def cell_text(value) -> str:
    """A cell as text: numbers without a spurious ".0", dates as dd/mm/yyyy, line breaks kept."""
    if value is None or isinstance(value, BadCell):
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
