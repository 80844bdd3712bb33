"""Load task groups and tasks of a plan from the transcribed seed files, and the whole seed set at once."""

from __future__ import annotations

import tomllib
from pathlib import Path

from django.conf import settings
from django.db import transaction

from plans.models import Plan
from plans.seed import (
    SeedError,
    Stats,
    link_basis,
    load_indicators,
    load_plan,
    load_units,
    require_keys,
    upsert,
)
from plans.units import UnitDirectory
from tasks.models import Task, TaskGroup

SEED_DIR = Path(settings.BASE_DIR) / "fixtures" / "seed"

GROUP_KEYS = {"code", "title", "order"}
TASK_KEYS = {
    "code", "group", "parent", "content", "lead", "coordinating", "deliverable", "deadline", "notes",
    "duplicate_of", "source_ref", "covers",
}  # fmt: skip


def load_groups(plan: Plan, entries: list[dict], source: str, stats: Stats) -> dict[str, TaskGroup]:
    groups = {}
    for index, entry in enumerate(entries, start=1):
        where = f"{source}, nhóm {entry.get('code', '?')}"
        require_keys(entry, GROUP_KEYS, {"code", "title"}, where)
        groups[entry["code"]] = upsert(
            TaskGroup,
            {"plan": plan, "code": entry["code"]},
            {"title": entry["title"], "order": entry.get("order", index)},
            stats,
            where,
        )
    return groups


def reading_order(doc: dict, subtask_docs: list[dict]) -> dict[str, int]:
    """Task code -> 1, 2, 3… in reading order: group by group, each row followed by its sub-tasks. The order
    exports write and imports read, so a plan exported and imported again is unchanged."""
    entries = [*doc.get("task", []), *(t for sub in subtask_docs for t in sub.get("task", []))]
    children: dict[str, list[dict]] = {}
    for entry in entries:
        children.setdefault(entry.get("parent", ""), []).append(entry)
    groups = [g["code"] for g in doc.get("group", [])]
    top = children.get("", [])
    ordered = [e for code in groups for e in top if e.get("group") == code] + [
        e for e in top if e.get("group", "") not in groups
    ]
    result: dict[str, int] = {}

    def walk(entry):
        result.setdefault(entry["code"], len(result) + 1)
        for child in children.get(entry["code"], []):
            walk(child)

    for entry in ordered:
        walk(entry)
    for entry in entries:  # rows whose parent is missing: the link step reports them
        result.setdefault(entry["code"], len(result) + 1)
    return result


def load_tasks(plan: Plan, entries: list[dict], source: str, stats: Stats, *, orders: dict[str, int]):
    """Upsert tasks by code; resolve their units inside the issuer's ward; link parents and duplicates."""
    directory = UnitDirectory(plan.issuer.ward)
    groups = {g.code: g for g in plan.groups.all()}
    for entry in entries:
        where = f"{source}, nhiệm vụ {entry.get('code', '?')}"
        require_keys(entry, TASK_KEYS, {"code", "content"}, where)
        group = None
        if entry.get("group"):
            group = groups.get(entry["group"])
            if group is None:
                raise SeedError(f"{where}: không có nhóm “{entry['group']}” trong kế hoạch {plan.code}.")
        lead = directory.resolve(entry.get("lead", ""))
        coordinating = directory.resolve(entry.get("coordinating", ""))
        unresolved = sorted(
            set(
                lead.unresolved
                + coordinating.unresolved
                + list(lead.ambiguous)
                + list(coordinating.ambiguous)
            )
        )
        task = upsert(
            Task,
            {"plan": plan, "code": entry["code"]},
            {
                "group": group,
                "order": orders[entry["code"]],
                "content": entry["content"].strip(),
                "lead_text": entry.get("lead", ""),
                "coordinating_text": entry.get("coordinating", ""),
                "unresolved_units": unresolved,
                "deliverable": entry.get("deliverable", ""),
                "deadline_text": entry.get("deadline", ""),
                "notes": entry.get("notes", ""),
                "source_ref": entry.get("source_ref", ""),
            },
            stats,
            where,
        )
        _set_units(task.lead_units, lead.units, stats)
        _set_units(task.coordinating_units, coordinating.units, stats)
        for name in unresolved:
            stats.unresolved.setdefault(name, []).append(f"{plan.code} / {entry['code']}")

    # Links to other rows once every row of the file exists.
    tasks = {t.code: t for t in plan.tasks.all()}
    for entry in entries:
        task = tasks[entry["code"]]
        for field_name, key in (("parent", "parent"), ("duplicate_of", "duplicate_of")):
            target_code = entry.get(key, "")
            target = tasks.get(target_code) if target_code else None
            if target_code and target is None:
                raise SeedError(
                    f"{source}, nhiệm vụ {entry['code']}: không có dòng “{target_code}” để liên kết."
                )
            if getattr(task, f"{field_name}_id") != (target.pk if target else None):
                setattr(task, field_name, target)
                task.save(update_fields=[field_name])
                stats.links += 1


def _set_units(manager, units, stats: Stats):
    if {u.pk for u in manager.all()} != {u.pk for u in units}:
        manager.set(units)
        stats.links += 1


def read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SeedError(f"{path.name}: tệp TOML hỏng — {exc}") from exc


@transaction.atomic
def load_seed_data(seed_dir: Path = SEED_DIR) -> dict[str, Stats]:
    """Load every seed file in order: units, plans (metadata, then basis links), indicators, groups, tasks,
    sub-tasks. All or nothing."""
    report: dict[str, Stats] = {}
    units_file = seed_dir / "units.toml"
    if not units_file.exists():
        raise SeedError(f"Không tìm thấy {units_file}.")
    report[units_file.name] = load_units(read_toml(units_file), units_file.name)

    plan_files = sorted(seed_dir.glob("plan_*.toml"))
    documents = {path.name: read_toml(path) for path in plan_files}
    main = {name: doc for name, doc in documents.items() if isinstance(doc.get("plan"), dict)}
    subtasks = {name: doc for name, doc in documents.items() if isinstance(doc.get("plan"), str)}

    for name, doc in main.items():
        stats = report.setdefault(name, Stats())
        for basis_entry in doc.get("basis_plan", []):
            load_plan(
                {k: v for k, v in basis_entry.items() if k != "basis"}, full=False, source=name, stats=stats
            )
        load_plan({k: v for k, v in doc["plan"].items() if k != "basis"}, full=True, source=name, stats=stats)
    for name, doc in main.items():
        stats = report[name]
        for entry in [*doc.get("basis_plan", []), doc["plan"]]:
            link_basis(Plan.objects.get(code=entry["code"]), entry.get("basis", []), name, stats)
    orders = {}
    for name, doc in main.items():
        stats = report[name]
        plan = Plan.objects.get(code=doc["plan"]["code"])
        orders[plan.code] = reading_order(doc, [d for d in subtasks.values() if d["plan"] == plan.code])
        load_indicators(plan, doc.get("indicator", []), name, stats)
        load_groups(plan, doc.get("group", []), name, stats)
        load_tasks(plan, doc.get("task", []), name, stats, orders=orders[plan.code])
    for name, doc in subtasks.items():
        stats = report.setdefault(name, Stats())
        if doc["plan"] not in orders:
            raise SeedError(f"{name}: không có kế hoạch “{doc['plan']}”.")
        # Sub-tasks after the rows of the appendix: their parents are those rows.
        plan = Plan.objects.get(code=doc["plan"])
        load_tasks(plan, doc.get("task", []), name, stats, orders=orders[plan.code])
    return report
