"""Import a plan's task appendix from Excel, as wards really write it.

Title rows above the table; a header row whose names vary and come in any order; group rows ("NHÓM 1. …",
"I. …") with text only in their first cells; the header repeated under each group; multi-line cells; several
units in one cell; numbering that restarts in every group. Every row is checked first and every problem of
every row is reported; only a file without problems is written, in one transaction, with lookups and writes
in bulk (a fixed number of queries, whatever the number of rows).

A task's STT is kept as written (`Task.stt`). Its code, the key a re-import matches on, is the STT itself when
the numbering runs through the whole appendix, and the STT under its group's code ("II.3") when the numbering
starts again in each group, so that two tasks numbered 3 in groups I and II stay two tasks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import models, transaction

from plans.models import OrgUnit, Plan, UnitAlias
from plans.selectors import UnitNotFound, find_unit, find_units, find_ward
from plans.text import normalize_name, strip_diacritics
from plans.units import UnitDirectory, clean_name, guess_kind
from plans.xlsx import (
    ImportFileError,
    Problem,
    bad_cells,
    cell_text,
    formula_like,
    header_keys,
    open_workbook,
)
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


class NeedsOption(ImportFileError):
    """A refusal that a choice of the user would lift. The message is for anyone (the admin shows it as is);
    `option` names the command-line flag that makes that choice, which only the command mentions."""

    def __init__(self, message: str, option: str):
        super().__init__(message)
        self.option = option


@dataclass
class Row:
    number: int
    code: str  # the STT as written until codes are assigned, then the task's code in the plan
    group: str
    content: str
    lead: str
    coordinating: str
    deadline: str
    deliverable: str
    notes: str
    parent: str = ""
    duplicate_of: str = ""
    stt: str = ""  # as written


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
    # An unknown name (its first spelling, for every spelling that normalises alike) -> rows naming it.
    unknown_units: dict[str, list[int]] = field(default_factory=dict)
    # An unknown name -> the existing unit it most likely means (offered first, never chosen silently).
    similar_units: dict[str, OrgUnit] = field(default_factory=dict)
    restarted_numbering: bool = False
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

    def problem(self, number: int, key: str, message: str):
        self.problems.append(Problem(self.sheet, number, LABELS.get(key, key), message))


def group_of(text: str, index: int) -> tuple[str, str]:
    for pattern in GROUP_CODE:
        if m := pattern.match(text.strip()):
            code = re.sub(r"\s+", " ", m[1].upper()) if m[1].upper().startswith("NH") else m[1]
            return code, m[2].strip()
    return f"N{index}", text.strip()


def read_appendix(path: Path, report: Report, progress=None, allow_no_lead: bool = False):
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
            _read_rows(rows, header_row, columns, report, progress, allow_no_lead)
            if not report.rows and not report.problems:
                raise ImportFileError(f"Trang “{sheet.title}” không có dòng nhiệm vụ nào dưới dòng tiêu đề.")
            return
    finally:
        workbook.close()
    raise ImportFileError(
        "Không tìm thấy bảng nhiệm vụ: cần một dòng tiêu đề có các cột STT, Nội dung nhiệm vụ, Đơn vị chủ trì."
    )


def _read_rows(
    rows, header_row: int, columns: dict[str, int], report: Report, progress=None, allow_no_lead=False
):
    group = ""
    seen: dict[tuple[str, str], int] = {}  # (group, STT) -> row
    for number, values in enumerate(rows, start=header_row + 1):
        if progress and (number - header_row) % 500 == 0:
            progress(number - header_row)
        cells = {k: (values[i] if i < len(values) else None) for k, i in columns.items()}
        texts = {k: cell_text(v) for k, v in cells.items()}
        if not any(cell_text(v) for v in values) and not bad_cells(cells):
            continue
        if len(header_keys(values, classify)) >= 3:
            continue  # the header, repeated under a group
        # Every problem of the row is collected before the row is given up, so one run lists them all.
        found = len(report.problems)
        for key, message in bad_cells(cells):
            report.problem(number, key, message)
        for key in (k for k, v in cells.items() if formula_like(v)):
            report.problem(number, key, "ô bắt đầu bằng dấu của công thức (=, +, @) — không nhận.")
        code = texts.get("code", "")
        details = any(texts.get(k) for k in DETAIL)
        if (
            len(report.problems) == found
            and not details
            and not (code and TASK_CODE.fullmatch(code) and texts.get("content"))
        ):
            # A group row: its text sits in the first cells (merged or not).
            text = next(cell_text(v) for v in values if cell_text(v))
            group, title = group_of(text, len(report.groups) + 1)
            report.groups.append(Group(number, group, title))
            continue
        if not code:
            report.problem(number, "code", "thiếu STT.")
        elif not TASK_CODE.fullmatch(code):
            report.problem(
                number, "code", f"STT “{code}” không hợp lệ (chỉ gồm số và dấu chấm, như 3 hoặc 2.1)."
            )
        code = code.rstrip(".")
        if not texts.get("content"):
            report.problem(number, "content", "thiếu nội dung nhiệm vụ.")
        if not texts.get("lead") and "lead" not in dict(bad_cells(cells)) and not allow_no_lead:
            report.problem(number, "lead", "thiếu đơn vị chủ trì (cột bắt buộc).")
        if code and (group, code) in seen:
            where = f" trong nhóm {group}" if group else ""
            report.problem(number, "code", f"STT {code} đã có ở dòng {seen[(group, code)]}{where}.")
        if len(report.problems) > found:
            continue
        seen[(group, code)] = number
        row = Row(
            number, code, group, texts["content"], texts.get("lead", ""), texts.get("coordinating", ""),
            texts.get("deadline", ""), texts.get("deliverable", ""), texts.get("notes", ""),
            parent=texts.get("parent", "").rstrip("."), stt=code,
        )  # fmt: skip
        report.rows.append(row)


def assign_codes(report: Report, restart: bool):
    """Give every row its code in the plan (see the module's docstring), then link sub-tasks and rows that
    repeat another row word for word (flagged, never dropped)."""
    report.restarted_numbering = restart
    for row in report.rows:
        row.code = f"{row.group}.{row.stt}" if restart and row.group else row.stt
    by_stt = {(r.group if restart else "", r.stt): r.code for r in report.rows}
    seen_content: dict[str, str] = {}
    for row in report.rows:
        scope = row.group if restart else ""
        if row.parent:
            if (scope, row.parent) in by_stt:
                row.parent = by_stt[(scope, row.parent)]
            else:
                report.problem(row.number, "parent", f"không có dòng STT {row.parent} trong bảng.")
        elif "." in row.stt and (scope, row.stt.rsplit(".", 1)[0]) in by_stt:
            row.parent = by_stt[(scope, row.stt.rsplit(".", 1)[0])]  # "2.1" under "2"
        key = normalize_name(row.content)
        if key in seen_content:
            row.duplicate_of = seen_content[key]
        else:
            seen_content[key] = row.code


def numbering_restarts(report: Report, plan: Plan | None) -> bool:
    """Whether the STT starts again in each group: the same STT under two groups of the file, or a plan
    imported that way before (its codes stay group-qualified, so a re-import matches them)."""
    groups_of: dict[str, set[str]] = {}
    for row in report.rows:
        groups_of.setdefault(row.stt, set()).add(row.group)
    if any(len(groups) > 1 for groups in groups_of.values()):
        return True
    return plan is not None and plan.tasks.exclude(stt="").exclude(code=models.F("stt")).exists()


class _DryRun(Exception):
    pass


def import_plan(
    path: Path, *, plan_key: str, title: str = "", issuer: str = "", ward: str = "", create_units: bool = False,
    unit_map: dict[str, OrgUnit] | None = None, dry_run: bool = False, progress=None,
    allow_no_lead: bool = False, similar_ok: bool | set[str] = False,
) -> Report:  # fmt: skip
    """Check the file, then (unless dry_run or a problem was found) write the plan. `unit_map` maps unknown
    names to existing units (an alias is added, so the next import knows them). With `create_units`, the
    issuing body and the ward are created when missing, as is one unit per unknown normalised name.
    `allow_no_lead` accepts tasks whose lead unit is empty or unresolved (otherwise each is an error).
    A new name close to an existing unit is an error (it is most likely that unit), unless `similar_ok`: True
    (a preview, which offers the unit first) or the normalised names the user chose to create anyway."""
    report = Report()
    read_appendix(path, report, progress, allow_no_lead)

    plan = Plan.objects.select_related("issuer").find(plan_key)
    assign_codes(report, numbering_restarts(report, plan))
    issuer = issuer or report.info.get("macoquanbanhanh", "")
    title = title or report.info.get("trichyeu", "")

    ward_unit = None
    if ward:
        try:
            ward_unit = find_ward(ward)
        except UnitNotFound as exc:
            if not create_units:
                raise NeedsOption(f"{exc} Có thể tạo phường mới khi nhập.", "--create-units") from exc
    issuer_unit, new_issuer = None, ""
    if issuer:
        found = find_units(issuer)
        if ward_unit is not None and len(found) > 1:
            # "UBND phường" names one unit per ward: the ward chosen says which.
            found = [u for u in found if u.ward_id == ward_unit.pk] or found
        if len(found) == 1:
            issuer_unit = found[0]
        elif not found and create_units and (ward_unit or ward):
            new_issuer = clean_name(issuer)  # created in the ward, with the other new units
        else:
            try:
                find_unit(issuer)
            except UnitNotFound as exc:
                raise NeedsOption(
                    f"{exc} Chọn đơn vị có sẵn, hoặc chọn phường và cho phép tạo đơn vị mới.",
                    "--create-units",
                ) from exc
    elif plan:
        issuer_unit = plan.issuer
    if issuer_unit is None and not new_issuer:
        raise NeedsOption(f"Kế hoạch “{plan_key}” chưa có: cần chọn đơn vị ban hành để tạo mới.", "--issuer")
    if ward_unit is None and not ward:
        ward_unit = issuer_unit.ward if issuer_unit else None
        if ward_unit is None:
            raise NeedsOption(f"{issuer_unit.name} không thuộc phường nào: cần chọn phường.", "--ward")

    # A ward still to be created has no units yet: only the city-level ones can be found.
    directory = UnitDirectory(ward_unit)
    unit_map = unit_map or {}
    mapped = {normalize_name(name) for name in unit_map}
    spelling: dict[str, str] = {}  # normalised unknown name -> its first spelling
    column_of = {"lead": LABELS["lead"], "coordinating": LABELS["coordinating"]}
    unknown_at: list[tuple[int, str, str]] = []  # (row, column key, name)
    for row in report.rows:
        lead_named = (
            False  # the lead cell names a unit: known, mapped, unknown (created or reported), ambiguous
        )
        for key in ("lead", "coordinating"):
            text = getattr(row, key)
            resolution = directory.resolve(text)
            unknown = resolution.unresolved
            for name in unknown:
                normalized = normalize_name(name)
                if normalized in mapped:
                    lead_named = lead_named or key == "lead"
                    continue
                if not normalized:
                    continue
                name = spelling.setdefault(normalized, name)
                numbers = report.unknown_units.setdefault(name, [])
                if row.number not in numbers:
                    numbers.append(row.number)
                unknown_at.append((row.number, key, name))
                lead_named = lead_named or key == "lead"
            for name in resolution.ambiguous:
                report.problems.append(
                    Problem(
                        report.sheet, row.number, column_of[key], f"“{name}” chỉ nhiều đơn vị trong phường."
                    )
                )
            if key == "lead":
                lead_named = lead_named or bool(resolution.units or resolution.ambiguous)
        if not allow_no_lead and row.lead.strip() and not lead_named:
            # (An empty lead cell was reported with the row's other problems.)
            report.problem(row.number, "lead", f"không xác định được đơn vị chủ trì từ “{row.lead}”.")
        if row.deadline and parse_deadline(row.deadline).needs_date:
            report.undated.append(row)
    for name in report.unknown_units:
        if (unit := directory.similar(name)) is not None:
            report.similar_units[name] = unit
    ward_name = ward_unit.name if ward_unit else ward
    for number, key, name in unknown_at:
        accepted = similar_ok is True or (similar_ok and normalize_name(name) in similar_ok)
        if name in report.similar_units and not accepted:
            unit = report.similar_units[name]
            report.problem(
                number, key, f"“{name}” gần giống đơn vị có sẵn “{unit.name}” ({unit.code}): ghép với đơn vị "
                "đó, hoặc ghi đúng tên như trong danh mục đơn vị.",
            )  # fmt: skip
        elif not create_units and not (allow_no_lead and key == "lead"):
            # Accepted without a lead unit, an unknown lead name stays in the task's unresolved_units.
            report.problem(
                number, key,
                f"không có đơn vị “{name}” trong phường {ward_name}: tạo mới hoặc ghép với đơn vị có sẵn.",
            )  # fmt: skip
    report.problems.sort(key=lambda p: p.row)
    if report.problems:
        return report

    try:
        with transaction.atomic():
            _write(
                report,
                plan,
                plan_key,
                title,
                issuer_unit,
                new_issuer,
                ward_unit,
                ward,
                unit_map,
                create_units,
            )
            if dry_run:
                raise _DryRun
            report.written = True
    except _DryRun:
        pass  # everything above was rolled back; the counts say what a real run would do
    return report


def _write(
    report: Report,
    plan,
    plan_key,
    title,
    issuer_unit,
    new_issuer,
    ward_unit,
    ward_name,
    unit_map,
    create_units,
):
    if ward_unit is None:
        # A ward that does not exist yet (create_units): under the issuer's city, or the only city there is.
        cities = OrgUnit.objects.filter(kind=OrgUnit.Kind.CITY)
        if issuer_unit is not None:
            cities = cities.filter(code__in=issuer_unit.ancestor_codes)
        found = list(cities[:2])
        if len(found) != 1:
            raise ImportFileError(
                f"Không biết phường “{ward_name}” thuộc thành phố, tỉnh nào: hãy tạo phường trong danh mục đơn "
                "vị trước, hoặc chọn đơn vị ban hành thuộc thành phố đó."
            )
        ward_unit = OrgUnit(
            kind=OrgUnit.Kind.WARD, name=clean_name(ward_name), parent=found[0],
            code=_free_code("P", ward_name),
        )  # fmt: skip
        ward_unit.full_clean()
        ward_unit.save()
        report.units_created.append(ward_unit.name)
    for name, unit in unit_map.items():
        UnitAlias.objects.get_or_create(unit=unit, normalized=normalize_name(name), defaults={"text": name})
    # One unit per normalised name: the issuer named in the options and in the cells is one unit.
    to_create = {normalize_name(new_issuer): new_issuer} if new_issuer else {}
    for name in report.unknown_units if create_units else ():
        to_create.setdefault(normalize_name(name), name)
    created = {}
    for key, name in to_create.items():
        kind, level = guess_kind(name)
        unit = OrgUnit(
            kind=kind, school_level=level, name=name, parent=ward_unit, code=_free_code(ward_unit.code, name)
        )
        unit.full_clean()
        unit.save()
        created[key] = unit
        report.units_created.append(name)
    if new_issuer:
        issuer_unit = created[normalize_name(new_issuer)]

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

    # Groups in bulk too: a long appendix has a group every few rows.
    groups = {g.code: g for g in plan.groups.all()}
    new_groups, changed_groups = [], []
    for order, parsed in enumerate(report.groups, start=1):
        group = groups.get(parsed.code)
        if group is None:
            new_groups.append(TaskGroup(plan=plan, code=parsed.code, title=parsed.title, order=order))
        elif (group.title, group.order) != (parsed.title, order):
            group.title, group.order = parsed.title, order
            changed_groups.append(group)
    TaskGroup.objects.bulk_create(new_groups)
    if changed_groups:
        TaskGroup.objects.bulk_update(changed_groups, ["title", "order"])
    groups.update({g.code: g for g in new_groups})
    if any(g.pk is None for g in new_groups):
        groups = {
            g.code: g for g in plan.groups.all()
        }  # a database that does not return ids from bulk inserts

    directory = UnitDirectory(ward_unit)
    existing = {t.code: t for t in plan.tasks.prefetch_related("lead_units", "coordinating_units")}
    period = plan.period
    fields = ["group", "order", "stt", "content", "lead_text", "coordinating_text", "unresolved_units", "deliverable",
              "deadline_text", "schedule", "notes"]  # fmt: skip
    new, changed, links, relink = [], [], {}, set()
    for order, row in enumerate(report.rows, start=1):
        lead, coordinating = directory.resolve(row.lead), directory.resolve(row.coordinating)
        group = groups.get(row.group)
        values = {
            # The id, not the object: comparing objects would load every existing row's group, one query each.
            "group_id": group.pk if group else None,
            "order": order,
            "stt": row.stt,
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
