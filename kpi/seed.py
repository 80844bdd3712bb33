"""Load the KPI rubric of a plan (PHỤ LỤC II) from its transcribed seed file, and the whole seed set."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.db.models import Q

from kpi.models import Criterion, Rubric, RubricGroup
from kpi.services import rubric_errors, split_points
from plans.models import OrgUnit, Plan
from plans.seed import SeedError, Stats, parse_decimal, require_keys, upsert
from tasks.seed import SEED_DIR, read_toml
from tasks.seed import load_seed_data as load_plans_and_tasks

RUBRIC_KEYS = {"plan", "version", "total", "name"}
GROUP_KEYS = {"code", "name", "max_points"}
CRITERION_KEYS = {"code", "group", "name", "achievement", "evidence", "frequency", "tasks", "points"}


def load_rubric(doc: dict, source: str) -> Stats:
    stats = Stats()
    head = doc.get("rubric", {})
    require_keys(head, RUBRIC_KEYS, {"plan", "version"}, f"{source}, [rubric]")
    plan = Plan.objects.filter(code=head["plan"]).first()
    if plan is None:
        raise SeedError(f"{source}: không có kế hoạch “{head['plan']}”.")
    existing = Rubric.objects.filter(plan=plan, version=head["version"]).first()
    if existing is not None and existing.scorecards.exists():
        # A rubric already used for scoring is never rewritten: months scored keep their points.
        stats.unchanged += 1
        stats.notes.append(
            f"{source}: bộ tiêu chí phiên bản {head['version']} đã được dùng để chấm, giữ nguyên."
        )
        return stats
    rubric = upsert(
        Rubric,
        {"plan": plan, "version": head["version"]},
        {
            "name": head.get("name") or f"Bộ tiêu chí KPI hằng tháng — {plan.number or plan.code}",
            "total": parse_decimal(head.get("total", "100"), source),
        },
        stats,
        source,
    )
    groups = {}
    for order, entry in enumerate(doc.get("group", []), start=1):
        where = f"{source}, nhóm {entry.get('code', '?')}"
        require_keys(entry, GROUP_KEYS, GROUP_KEYS, where)
        groups[entry["code"]] = upsert(
            RubricGroup,
            {"rubric": rubric, "code": entry["code"]},
            {"name": entry["name"], "max_points": parse_decimal(entry["max_points"], where), "order": order},
            stats,
            where,
        )
    criteria = doc.get("criterion", [])
    tasks = {t.code: t for t in plan.tasks.all()}
    for group_code, group in groups.items():
        members = [c for c in criteria if c.get("group") == group_code]
        # The document gives points per group only: equal shares in hundredths, the remainder on the last.
        defaults = split_points(group.max_points, len(members)) if members else []
        for order, (entry, default) in enumerate(zip(members, defaults, strict=True), start=1):
            where = f"{source}, tiêu chí {entry.get('code', '?')}"
            require_keys(entry, CRITERION_KEYS, {"code", "group", "name"}, where)
            if entry.get("frequency", "Tháng") not in Criterion.Frequency.values:
                raise SeedError(f"{where}: tần suất “{entry['frequency']}” không hợp lệ.")
            criterion = upsert(
                Criterion,
                {"group": group, "code": entry["code"]},
                {
                    "name": entry["name"],
                    "achievement": entry.get("achievement", ""),
                    "evidence": entry.get("evidence", ""),
                    "frequency": entry.get("frequency", "Tháng"),
                    "points": parse_decimal(entry["points"], where) if "points" in entry else default,
                    "order": order,
                },
                stats,
                where,
            )
            linked = []
            for code in entry.get("tasks", []):
                if code not in tasks:
                    raise SeedError(f"{where}: kế hoạch {plan.code} không có nhiệm vụ STT {code}.")
                linked.append(tasks[code])
            if {t.pk for t in criterion.tasks.all()} != {t.pk for t in linked}:
                criterion.tasks.set(linked)
                stats.links += 1
    orphans = [c["code"] for c in criteria if c.get("group") not in groups]
    if orphans:
        raise SeedError(f"{source}: tiêu chí không thuộc nhóm nào: {', '.join(orphans)}.")
    errors = rubric_errors(rubric)
    if errors:
        raise SeedError(f"{source}: " + " ".join(errors))

    # Units expected to send a scorecard: those the plan gives tasks to, except the plan's issuer.
    expected = (
        OrgUnit.objects.filter(Q(led_tasks__plan=plan) | Q(coordinated_tasks__plan=plan))
        .exclude(pk=plan.issuer_id)
        .distinct()
    )
    if {u.pk for u in rubric.units.all()} != {u.pk for u in expected}:
        rubric.units.set(expected)
        stats.links += 1
    return stats


@transaction.atomic
def load_seed_data(seed_dir: Path = SEED_DIR) -> dict[str, Stats]:
    """Everything, all or nothing: units, plans, indicators, tasks, then the rubrics."""
    report = load_plans_and_tasks(seed_dir)
    for path in sorted(seed_dir.glob("rubric_*.toml")):
        report[path.name] = load_rubric(read_toml(path), path.name)
    return report
