"""Import a plan's task appendix from Excel, as wards really write it.

Title rows above the table; a header row whose names vary and come in any order; group rows ("NHÓM 1. …",
"I. …") with text only in their first cells; the header repeated under each group; multi-line cells; several
units in one cell. Every row is checked first; only a file without problems is written, in one transaction,
with lookups and writes in bulk (a fixed number of queries, whatever the number of rows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import transaction

from plans.models import OrgUnit, Plan, UnitAlias
from plans.selectors import UnitNotFound, find_unit, find_ward
from plans.text import normalize_name, strip_diacritics
from plans.units import UnitDirectory
from plans.xlsx import ImportFileError, Problem, cell_text, formula_like, header_keys, open_workbook
from tasks.deadlines import parse_deadline
from tasks.models import Task, TaskGroup
from tasks.plan_export import INFO_SHEET

LABELS = {
    "code": "STT",
    "content": "Nội dung nhiệm vụ",
    "lead": "Đơn vị chủ trì",
    "coordinating": "Đơn vị phối hợp",
    "deadline": "Thời gian",
    "deliverable": "Sản phẩm",
    "notes": "Ghi chú",
    "parent": "Thuộc STT",
}
REQUIRED = ("code", "content", "lead")
DETAIL = ("lead", "coordinating", "deadline", "deliverable")


def classify(key: str) -> str | None:
    """The column a header names, whatever the wording: "Bộ phận thực hiện", "Cơ quan chủ trì",
    "Đơn vị tham mưu/phối hợp thực hiện", "Sản phẩm/kết quả", "Thời gian hoàn thành"…"""
    if key in ("stt", "tt", "sott", "sothutu"):
        return "code"
    if key.startswith("thuoc"):
        return "parent"
    if "phoihop" in key:
        return "coordinating"
    if "chutri" in key or key in ("bophanthuchien", "donvithuchien", "coquanthuchien"):
        return "lead"
    if key.startswith(("thoigian", "thoihan", "tiendo")):
        return "deadline"
    if key.startswith(("sanpham", "ketqua")):
        return "deliverable"
    if key.startswith(("noidung", "tennhiemvu", "nhiemvu")):
        return "content"
    if key.startswith("ghichu"):
        return "notes"
    return None


TASK_CODE = re.compile(r"\d+(\.\d+)*\.?")
GROUP_CODE = [
    re.compile(r"^(NHÓM\s*\d+)\s*[.:\-–]?\s*(.*)$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^([IVXLC]+)\s*[.:\-–]\s*(.*)$", re.DOTALL),
    re.compile(r"^([A-Z])\s*[.:\-–]\s*(.*)$", re.DOTALL),
    re.compile(r"^(\d+)\s*[.:)]\s*(\D.*)$", re.DOTALL),  # "1. Tập trung giải quyết …" (a heading, not a task)
]


@dataclass
class Row:
    number: int
    code: str
    group: str
    content: str
    lead: str
    coordinating: str
    deadline: str
    deliverable: str
    notes: str
    parent: str = ""
    duplicate_of: str = ""


@dataclass
class Group:
    number: int
    code: str
    title: str


@dataclass
class Report:
    sheet: str = ""
    problems: list[Problem] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    unknown_units: dict[str, list[int]] = field(default_factory=dict)  # name -> rows naming it
    undated: list[Row] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: list[str] = field(default_factory=list)
    info: dict[str, str] = field(
        default_factory=dict
    )  # the "Thông tin kế hoạch" sheet, when the file has one
    plan_created: bool = False
    written: bool = False

    @property
    def duplicates(self) -> list[Row]:
        return [r for r in self.rows if r.duplicate_of]


def group_of(text: str, index: int) -> tuple[str, str]:
    for pattern in GROUP_CODE:
        if m := pattern.match(text.strip()):
            code = re.sub(r"\s+", " ", m[1].upper()) if m[1].upper().startswith("NH") else m[1]
            return code, m[2].strip()
    return f"N{index}", text.strip()


def read_appendix(path: Path, report: Report, progress=None):
    """Fill report.groups and report.rows from the first sheet that has a task table. `progress(n)` is called
    every 500 rows read, so a command can show that a large file is moving."""
    workbook = open_workbook(path)
    try:
        if INFO_SHEET in workbook.sheetnames:
            for label, value, *_ in workbook[INFO_SHEET].iter_rows(values_only=True, max_col=2):
                if label:
                    report.info[normalize_name(cell_text(label))] = cell_text(value)
        for sheet in workbook.worksheets:
            if sheet.title == INFO_SHEET:
                continue
            rows = sheet.iter_rows(values_only=True)
            columns = None
            header_row = 0
            for number, values in enumerate(rows, start=1):
                keys = header_keys(values, classify)
                if "content" in keys and len(keys) >= 3:
                    columns, header_row = keys, number
                    break
                if number > 30:
                    break
            if columns is None:
                continue
            report.sheet = sheet.title
            missing = [LABELS[k] for k in REQUIRED if k not in columns]
            if missing:
                raise ImportFileError(f"Trang “{sheet.title}” thiếu cột bắt buộc: {', '.join(missing)}.")
            _read_rows(rows, header_row, columns, report, progress)
            if not report.rows:
                raise ImportFileError(f"Trang “{sheet.title}” không có dòng nhiệm vụ nào dưới dòng tiêu đề.")
            return
    finally:
        workbook.close()
    raise ImportFileError(
        "Không tìm thấy bảng nhiệm vụ: cần một dòng tiêu đề có các cột STT, Nội dung nhiệm vụ, Đơn vị chủ trì."
    )


def _read_rows(rows, header_row: int, columns: dict[str, int], report: Report, progress=None):
    group = ""
    seen_codes: dict[str, int] = {}
    seen_content: dict[str, str] = {}
    for number, values in enumerate(rows, start=header_row + 1):
        if progress and (number - header_row) % 500 == 0:
            progress(number - header_row)
        cells = {k: (values[i] if i < len(values) else None) for k, i in columns.items()}
        texts = {k: cell_text(v) for k, v in cells.items()}
        if not any(cell_text(v) for v in values):
            continue
        if len(header_keys(values, classify)) >= 3:
            continue  # the header, repeated under a group
        bad = [k for k, v in cells.items() if formula_like(v)]
        for key in bad:
            report.problems.append(
                Problem(
                    report.sheet,
                    number,
                    LABELS[key],
                    "ô bắt đầu bằng dấu của công thức (=, +, @) — không nhận.",
                )
            )
        if bad:
            continue
        code = texts.get("code", "")
        details = any(texts.get(k) for k in DETAIL)
        if not details and not (code and TASK_CODE.fullmatch(code) and texts.get("content")):
            # A group row: its text sits in the first cells (merged or not).
            text = next(cell_text(v) for v in values if cell_text(v))
            group, title = group_of(text, len(report.groups) + 1)
            report.groups.append(Group(number, group, title))
            continue
        if not code or not TASK_CODE.fullmatch(code):
            message = (
                "thiếu STT."
                if not code
                else f"STT “{code}” không hợp lệ (chỉ gồm số và dấu chấm, như 3 hoặc 2.1)."
            )
            report.problems.append(Problem(report.sheet, number, LABELS["code"], message))
            continue
        code = code.rstrip(".")
        if not texts.get("content"):
            report.problems.append(
                Problem(report.sheet, number, LABELS["content"], "thiếu nội dung nhiệm vụ.")
            )
            continue
        if code in seen_codes:
            report.problems.append(
                Problem(report.sheet, number, LABELS["code"], f"STT {code} đã có ở dòng {seen_codes[code]}.")
            )
            continue
        seen_codes[code] = number
        row = Row(
            number, code, group, texts["content"], texts.get("lead", ""), texts.get("coordinating", ""),
            texts.get("deadline", ""), texts.get("deliverable", ""), texts.get("notes", ""),
            parent=texts.get("parent", "").rstrip("."),
        )  # fmt: skip
        # A row repeating another row's content word for word is flagged, never dropped.
        key = normalize_name(row.content)
        if key in seen_content:
            row.duplicate_of = seen_content[key]
        else:
            seen_content[key] = code
        report.rows.append(row)
    codes = {r.code for r in report.rows}
    for row in report.rows:
        if row.parent and row.parent not in codes:
            report.problems.append(
                Problem(
                    report.sheet, row.number, LABELS["parent"], f"không có dòng STT {row.parent} trong bảng."
                )
            )
        elif not row.parent and "." in row.code and row.code.rsplit(".", 1)[0] in codes:
            row.parent = row.code.rsplit(".", 1)[0]  # "2.1" under "2"


class _DryRun(Exception):
    pass


def import_plan(
    path: Path, *, plan_key: str, title: str = "", issuer: str = "", ward: str = "", create_units: bool = False,
    unit_map: dict[str, OrgUnit] | None = None, dry_run: bool = False, progress=None,
) -> Report:  # fmt: skip
    """Check the file, then (unless dry_run or a problem was found) write the plan. `unit_map` maps unknown
    names to existing units (an alias is added, so the next import knows them)."""
    report = Report()
    read_appendix(path, report, progress)

    plan = Plan.objects.select_related("issuer").find(plan_key)
    issuer = issuer or report.info.get("macoquanbanhanh", "")
    title = title or report.info.get("trichyeu", "")
    try:
        issuer_unit = find_unit(issuer) if issuer else (plan.issuer if plan else None)
    except UnitNotFound as exc:
        raise ImportFileError(str(exc)) from exc
    if issuer_unit is None:
        raise ImportFileError(f"Kế hoạch “{plan_key}” chưa có: cần --issuer (đơn vị ban hành) để tạo mới.")
    ward_unit = None
    if ward:
        try:
            ward_unit = find_ward(ward)
        except UnitNotFound as exc:
            if not create_units:
                raise ImportFileError(f"{exc} Dùng --create-units để tạo phường mới.") from exc
    else:
        ward_unit = issuer_unit.ward
    if ward_unit is None and not ward:
        raise ImportFileError(f"{issuer_unit.name} không thuộc phường nào: cần --ward.")

    directory = UnitDirectory(ward_unit) if ward_unit else None
    unit_map = unit_map or {}
    mapped = {normalize_name(name) for name in unit_map}
    column_of = {"lead": LABELS["lead"], "coordinating": LABELS["coordinating"]}
    for row in report.rows:
        for key in ("lead", "coordinating"):
            resolution = directory.resolve(getattr(row, key)) if directory else None
            unknown = (
                resolution.unresolved
                if resolution
                else [p for p in re.split(r"[;\n]", getattr(row, key)) if p.strip()]
            )
            for name in unknown:
                if normalize_name(name) not in mapped:
                    report.unknown_units.setdefault(name, []).append(row.number)
            for name in resolution.ambiguous if resolution else {}:
                report.problems.append(
                    Problem(
                        report.sheet, row.number, column_of[key], f"“{name}” chỉ nhiều đơn vị trong phường."
                    )
                )
        if row.deadline and parse_deadline(row.deadline).needs_date:
            report.undated.append(row)
    if report.unknown_units and not create_units:
        for name, numbers in report.unknown_units.items():
            for number in numbers:
                report.problems.append(
                    Problem(
                        report.sheet, number, "Đơn vị", f"không có đơn vị “{name}” trong phường "
                        f"{ward_unit.name if ward_unit else ward}: tạo mới (--create-units) hoặc ghép với đơn vị có sẵn.",
                    )
                )  # fmt: skip
    report.problems.sort(key=lambda p: p.row)
    if report.problems:
        return report

    try:
        with transaction.atomic():
            _write(report, plan, plan_key, title, issuer_unit, ward_unit, ward, unit_map)
            if dry_run:
                raise _DryRun
            report.written = True
    except _DryRun:
        pass  # everything above was rolled back; the counts say what a real run would do
    return report


def _write(report: Report, plan, plan_key, title, issuer_unit, ward_unit, ward_name, unit_map):
    if ward_unit is None:
        # A ward that does not exist yet (--create-units): under the issuer's city.
        city = next(
            (u for u in OrgUnit.objects.filter(code__in=issuer_unit.ancestor_codes, kind="city")), None
        )
        ward_unit = OrgUnit(
            kind=OrgUnit.Kind.WARD, name=ward_name, parent=city, code=_free_code("P", ward_name)
        )
        ward_unit.full_clean()
        ward_unit.save()
        report.units_created.append(ward_unit.name)
    for name, unit in unit_map.items():
        UnitAlias.objects.get_or_create(unit=unit, normalized=normalize_name(name), defaults={"text": name})
    for name in report.unknown_units:
        unit = OrgUnit(
            kind=OrgUnit.Kind.OTHER, name=name, parent=ward_unit, code=_free_code(ward_unit.code, name)
        )
        unit.full_clean()
        unit.save()
        report.units_created.append(name)

    if plan is None:
        info = report.info
        is_number = "/" in plan_key
        code = info.get("makehoach", "")
        plan = Plan(
            code=code if code and not Plan.objects.filter(code=code).exists() else _free_plan_code(plan_key),
            number=plan_key.strip() if is_number else "",
            issuer=issuer_unit,
            title=title or f"Kế hoạch {plan_key.strip()}",
            status=Plan.Status.ISSUED if is_number else Plan.Status.DRAFT,
            issued_on=_date(info.get("ngaybanhanh", "")),
            period_start=int(info["tunam"]) if info.get("tunam", "").isdigit() else None,
            period_end=int(info["dennam"]) if info.get("dennam", "").isdigit() else None,
        )
        plan.full_clean()
        plan.save()
        report.plan_created = True
    elif title and plan.title != title:
        plan.title = title
        plan.save(update_fields=["title"])

    groups = {g.code: g for g in plan.groups.all()}
    for order, parsed in enumerate(report.groups, start=1):
        group = groups.get(parsed.code)
        if group is None:
            groups[parsed.code] = TaskGroup.objects.create(
                plan=plan, code=parsed.code, title=parsed.title, order=order
            )
        elif (group.title, group.order) != (parsed.title, order):
            group.title, group.order = parsed.title, order
            group.save(update_fields=["title", "order"])

    directory = UnitDirectory(ward_unit)
    existing = {t.code: t for t in plan.tasks.prefetch_related("lead_units", "coordinating_units")}
    period = plan.period
    fields = ["group", "order", "content", "lead_text", "coordinating_text", "unresolved_units", "deliverable",
              "deadline_text", "schedule", "notes"]  # fmt: skip
    new, changed, links, relink = [], [], {}, set()
    for order, row in enumerate(report.rows, start=1):
        lead, coordinating = directory.resolve(row.lead), directory.resolve(row.coordinating)
        group = groups.get(row.group)
        values = {
            # The id, not the object: comparing objects would load every existing row's group, one query each.
            "group_id": group.pk if group else None,
            "order": order,
            "content": row.content,
            "lead_text": row.lead,
            "coordinating_text": row.coordinating,
            "unresolved_units": sorted(set(lead.unresolved + coordinating.unresolved)),
            "deliverable": row.deliverable,
            "deadline_text": row.deadline,
            "schedule": parse_deadline(row.deadline, period=period).to_dict(),
            "notes": row.notes,
        }
        links[row.code] = ({u.pk for u in lead.units}, {u.pk for u in coordinating.units})
        task = existing.get(row.code)
        if task is None:
            task = Task(plan=plan, code=row.code, **values)
            # Field checks only: foreign keys were resolved above, and validating them would query per row.
            task.full_clean(
                exclude=["plan", "group", "parent", "duplicate_of"],
                validate_unique=False,
                validate_constraints=False,
            )
            new.append(task)
            relink.add(row.code)
            report.created += 1
            continue
        differs = [k for k, v in values.items() if getattr(task, k) != v]
        same_links = links[row.code] == (
            {u.pk for u in task.lead_units.all()},
            {u.pk for u in task.coordinating_units.all()},
        )
        if differs:
            for key in differs:
                setattr(task, key, values[key])
            changed.append(task)
        if not same_links:
            relink.add(row.code)
        if differs or not same_links:
            report.updated += 1
        else:
            report.unchanged += 1
    Task.objects.bulk_create(new)
    if changed:
        Task.objects.bulk_update(changed, fields)

    tasks = {t.code: t for t in plan.tasks.all()}
    # Unit links are rewritten only for tasks whose units changed.
    relinked_ids = [tasks[code].pk for code in relink]
    Lead, Coordinating = Task.lead_units.through, Task.coordinating_units.through
    Lead.objects.filter(task_id__in=relinked_ids).delete()
    Coordinating.objects.filter(task_id__in=relinked_ids).delete()
    Lead.objects.bulk_create(
        [Lead(task_id=tasks[code].pk, orgunit_id=u) for code in relink for u in links[code][0]]
    )
    Coordinating.objects.bulk_create(
        [Coordinating(task_id=tasks[code].pk, orgunit_id=u) for code in relink for u in links[code][1]]
    )
    relinked = []
    for row in report.rows:
        task = tasks[row.code]
        parent = tasks[row.parent].pk if row.parent else None
        duplicate = tasks[row.duplicate_of].pk if row.duplicate_of else None
        if (task.parent_id, task.duplicate_of_id) != (parent, duplicate):
            task.parent_id, task.duplicate_of_id = parent, duplicate
            relinked.append(task)
    if relinked:
        Task.objects.bulk_update(relinked, ["parent", "duplicate_of"])


def _date(text: str):
    try:
        return datetime.strptime(text, "%d/%m/%Y").date() if text else None
    except ValueError:
        return None


def _free_code(prefix: str, name: str) -> str:
    base = f"{prefix}-{re.sub(r'[^A-Z0-9]', '', normalize_name(name).upper())[:12] or 'DV'}"
    code, n = base, 1
    while OrgUnit.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


def _free_plan_code(key: str) -> str:
    """ "29-KH/ĐU" -> "KH-29-KH-DU"; a key that is not a number is used as the code itself."""
    slug = re.sub(r"[^A-Z0-9]+", "-", strip_diacritics(key).upper()).strip("-") or "MOI"
    base = f"KH-{slug}" if "/" in key else slug
    code, n = base, 1
    while Plan.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


def unknown_units_summary(report: Report) -> list[str]:
    return [
        f"“{name}” (dòng {', '.join(str(n) for n in sorted(set(numbers)))})"
        for name, numbers in sorted(report.unknown_units.items())
    ]
