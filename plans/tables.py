"""Reference data as spreadsheets: org units, a plan's indicators, a plan's KPI rubric.

Each table is a class in a registry (pretix-style): an `identifier`, a Vietnamese `verbose_name`, its columns,
how to read one row, how to write all rows, and how to export. Import, export and the template share the
columns, so a file exported imports back unchanged. Imports check every row first and write nothing unless all
rows are good; a dry run runs the write and rolls it back, so its counts are exactly what a real run would do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from django.db import transaction

from plans.text import normalize_name
from plans.xlsx import (
    ImportFileError,
    Problem,
    bad_cells,
    cell_text,
    formula_like,
    header_keys,
    open_workbook,
    write_text,
)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False
    width: int = 18
    also: tuple[str, ...] = ()  # other headers accepted on import


@dataclass
class TableReport:
    sheet: str = ""
    problems: list[Problem] = field(default_factory=list)
    rows: list = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)
    written: bool = False


class Table:
    identifier: str
    verbose_name: str
    columns: list[Column]
    needs_plan = False

    def __init__(self, plan=None):
        self.plan = plan

    # -- import -------------------------------------------------------------------------------------------
    def classify(self, key: str) -> str | None:
        for column in self.columns:
            if key in {normalize_name(column.label), *(normalize_name(a) for a in column.also)}:
                return column.key
        return None

    def parse(self, number: int, cells: dict[str, object], report: TableReport):
        """Check one row; add problems; return what `write` needs, or None."""
        raise NotImplementedError

    def check(self, report: TableReport):
        """Checks across rows (after every row was read)."""

    def write(self, report: TableReport):
        raise NotImplementedError

    def problem(self, report: TableReport, number: int, key: str, message: str):
        label = next(c.label for c in self.columns if c.key == key)
        report.problems.append(Problem(report.sheet, number, label, message))

    # -- export -------------------------------------------------------------------------------------------
    def rows(self) -> list[list]:
        raise NotImplementedError

    def example(self) -> list[list]:
        """Rows shown in the template."""
        return []

    @property
    def filename(self) -> str:
        return self.identifier


def read_table(table: Table, path: Path) -> TableReport:
    report = TableReport()
    workbook = open_workbook(path)
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            columns, header_row = None, 0
            for number, values in enumerate(rows, start=1):
                keys = header_keys(values, table.classify)
                if len(keys) >= max(2, sum(c.required for c in table.columns)):
                    columns, header_row = keys, number
                    break
                if number > 20:
                    break
            if columns is None:
                continue
            report.sheet = sheet.title
            missing = [c.label for c in table.columns if c.required and c.key not in columns]
            if missing:
                raise ImportFileError(f"Trang “{sheet.title}” thiếu cột bắt buộc: {', '.join(missing)}.")
            for number, values in enumerate(rows, start=header_row + 1):
                cells = {k: (values[i] if i < len(values) else None) for k, i in columns.items()}
                if not any(cell_text(v) for v in cells.values()):
                    continue
                unusable = bad_cells(cells)
                for key, message in unusable:
                    table.problem(report, number, key, message)
                bad = [k for k, v in cells.items() if formula_like(v)]
                for key in bad:
                    table.problem(
                        report, number, key, "ô bắt đầu bằng dấu của công thức (=, +, @) — không nhận."
                    )
                if bad:
                    continue
                for column in table.columns:
                    if column.key in dict(unusable):
                        continue
                    if column.required and not cell_text(cells.get(column.key)):
                        table.problem(report, number, column.key, "ô bắt buộc đang trống.")
                if any(p.row == number for p in report.problems):
                    continue
                parsed = table.parse(number, cells, report)
                if parsed is not None:
                    report.rows.append(parsed)
            if not report.rows and not report.problems:
                raise ImportFileError(f"Trang “{sheet.title}” không có dòng dữ liệu nào dưới dòng tiêu đề.")
            table.check(report)
            report.problems.sort(key=lambda p: p.row)
            return report
    finally:
        workbook.close()
    labels = ", ".join(c.label for c in table.columns if c.required)
    raise ImportFileError(f"Không tìm thấy dòng tiêu đề có các cột {labels}.")


class _DryRun(Exception):
    pass


def import_table(table: Table, path: Path, *, dry_run: bool = False) -> TableReport:
    report = read_table(table, path)
    if report.problems:
        return report
    try:
        with transaction.atomic():
            table.write(report)
            if report.problems:
                raise _DryRun  # a problem only the write could see: roll back, report it
            if dry_run:
                raise _DryRun
            report.written = True
    except _DryRun:
        pass
    return report


def export_table(table: Table, *, template: bool = False) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = table.verbose_name[:31]
    title = table.verbose_name + (f" — {table.plan.display_number}" if table.plan else "")
    sheet.append([title + (" (mẫu: thay các dòng ví dụ bằng dữ liệu của đơn vị)" if template else "")])
    sheet.cell(1, 1).font = Font(bold=True, size=13)
    sheet.append([])
    sheet.append([c.label for c in table.columns])
    for col, column in enumerate(table.columns, start=1):
        sheet.cell(3, col).font = Font(bold=True)
        sheet.cell(3, col).alignment = Alignment(wrap_text=True, horizontal="center")
        sheet.column_dimensions[get_column_letter(col)].width = column.width
    sheet.freeze_panes = "A4"
    for values in table.example() if template else table.rows():
        sheet.append([None] * len(values))
        for col, value in enumerate(values, start=1):
            write_text(sheet.cell(sheet.max_row, col), value)
            sheet.cell(sheet.max_row, col).alignment = Alignment(wrap_text=True, vertical="top")
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


REGISTRY: dict[str, type[Table]] = {}


def register(table: type[Table]) -> type[Table]:
    REGISTRY[table.identifier] = table
    return table
