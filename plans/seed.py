"""Load the org tree, plans and indicators from the transcribed seed files (docs/seed-data.md).

Loading is an upsert by stable code: running it again changes nothing, and a corrected file updates rows in
place. Callers wrap the whole load in one transaction, so a bad file writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from plans.models import CollectiveAlias, DocumentProfile, Indicator, OrgUnit, Plan, UnitAlias
from plans.text import normalize_name
from plans.units import UnitDirectory


class SeedError(Exception):
    """A seed file says something the loader cannot accept; the message says where, in Vietnamese."""


@dataclass
class Stats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    links: int = 0  # many-to-many and row-to-row links set or changed
    notes: list[str] = field(default_factory=list)
    unresolved: dict[str, list[str]] = field(default_factory=dict)  # name -> where it was written

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.links

    def __str__(self):
        return f"{self.created} mới, {self.updated} cập nhật, {self.unchanged} không đổi, {self.links} liên kết đặt lại"


def upsert(model, lookup: dict, values: dict, stats: Stats, where: str):
    """Create or update one row so that it holds `values`; count what happened. Validates before saving."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        stats.created += 1
    else:
        changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
        if not changed:
            stats.unchanged += 1
            return obj
        for key, value in changed.items():
            setattr(obj, key, value)
        stats.updated += 1
    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise SeedError(f"{where}: dữ liệu không hợp lệ — {_messages(exc)}") from exc
    obj.save()
    return obj


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


def parse_date(value: str, where: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise SeedError(f"{where}: ngày “{value}” không đúng dạng YYYY-MM-DD.") from exc


def parse_decimal(value: str, where: str) -> Decimal | None:
    if value in ("", None):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise SeedError(f"{where}: “{value}” không phải là số.") from exc


def require_keys(entry: dict, allowed: set[str], required: set[str], where: str):
    unknown = set(entry) - allowed
    if unknown:
        raise SeedError(f"{where}: khóa không hợp lệ {sorted(unknown)}.")
    missing = required - set(entry)
    if missing:
        raise SeedError(f"{where}: thiếu khóa {sorted(missing)}.")


# --- units -----------------------------------------------------------------------------------------------------

UNIT_KEYS = {"code", "parent", "kind", "name", "short_name", "aliases", "demo", "school_level"}
COLLECTIVE_KEYS = {"phrases", "kinds", "school_level"}
PROFILE_KEYS = {
    "unit", "doc_format", "parent_line", "name_line", "place", "symbol", "signer_authority", "signer_title",
    "signer_name", "recipients", "issues_reports",
}  # fmt: skip


def load_units(data: dict, source: str) -> Stats:
    stats = Stats()
    units: dict[str, OrgUnit] = {u.code: u for u in OrgUnit.objects.all()}
    entries = data.get("unit", [])
    # Parents first: a unit may be listed before its parent in the file.
    pending = list(entries)
    while pending:
        progressed = False
        for entry in list(pending):
            where = f"{source}, đơn vị {entry.get('code', '?')}"
            require_keys(entry, UNIT_KEYS, {"code", "kind", "name"}, where)
            parent_code = entry.get("parent", "")
            if parent_code and parent_code not in units:
                continue
            if entry["kind"] not in OrgUnit.Kind.values:
                raise SeedError(f"{where}: loại đơn vị “{entry['kind']}” không hợp lệ.")
            unit = upsert(
                OrgUnit,
                {"code": entry["code"]},
                {
                    "parent": units[parent_code] if parent_code else None,
                    "kind": entry["kind"],
                    "name": entry["name"],
                    "short_name": entry.get("short_name", ""),
                    "school_level": entry.get("school_level", ""),
                    "is_demo": entry.get("demo", False),
                },
                stats,
                where,
            )
            units[unit.code] = unit
            _sync_aliases(unit, entry.get("aliases", []), stats)
            pending.remove(entry)
            progressed = True
        if not progressed:
            codes = ", ".join(f"{e['code']} (cấp trên {e.get('parent')})" for e in pending)
            raise SeedError(f"{source}: không tìm thấy đơn vị cấp trên của: {codes}.")

    for entry in data.get("document_profile", []):
        where = f"{source}, thông tin ban hành của {entry.get('unit', '?')}"
        require_keys(entry, PROFILE_KEYS, {"unit", "name_line", "place", "symbol", "signer_title"}, where)
        if entry["unit"] not in units:
            raise SeedError(f"{where}: không có đơn vị mã “{entry['unit']}”.")
        upsert(
            DocumentProfile,
            {"unit": units[entry["unit"]]},
            {k: v for k, v in entry.items() if k != "unit"},
            stats,
            where,
        )

    for index, entry in enumerate(data.get("collective", []), start=1):
        where = f"{source}, tên gọi tập thể thứ {index}"
        require_keys(entry, COLLECTIVE_KEYS, {"phrases", "kinds"}, where)
        for phrase in entry["phrases"]:
            upsert(
                CollectiveAlias,
                {"normalized": normalize_name(phrase)},
                {"text": phrase, "kinds": entry["kinds"], "school_level": entry.get("school_level", "")},
                stats,
                where,
            )
    return stats


def _sync_aliases(unit: OrgUnit, aliases: list[str], stats: Stats):
    wanted = {normalize_name(a): a for a in aliases}
    existing = {a.normalized: a for a in unit.aliases.all()}
    for key, text in wanted.items():
        if key not in existing:
            UnitAlias.objects.create(unit=unit, text=text)
            stats.created += 1
    stale = [a.pk for key, a in existing.items() if key not in wanted]
    if stale:
        UnitAlias.objects.filter(pk__in=stale).delete()
        stats.links += 1


# --- plans -------------------------------------------------------------------------------------------------

PLAN_KEYS = {
    "code", "number", "issuer", "issued_on", "title", "period_start", "period_end", "status", "basis",
    "source_note",
}  # fmt: skip
INDICATOR_KEYS = {
    "code", "section", "text", "comparator", "target_value", "unit", "target_year", "baseline_value",
    "baseline_year", "responsible",
}  # fmt: skip


def load_plan(entry: dict, *, full: bool, source: str, stats: Stats) -> Plan:
    where = f"{source}, kế hoạch {entry.get('code', '?')}"
    require_keys(entry, PLAN_KEYS, {"code", "issuer", "title"}, where)
    issuer = OrgUnit.objects.filter(code=entry["issuer"]).first()
    if issuer is None:
        raise SeedError(f"{where}: không có đơn vị ban hành mã “{entry['issuer']}”.")
    return upsert(
        Plan,
        {"code": entry["code"]},
        {
            "number": entry.get("number", ""),
            "issuer": issuer,
            "issued_on": parse_date(entry.get("issued_on", ""), where),
            "title": entry["title"],
            "period_start": entry.get("period_start") or None,
            "period_end": entry.get("period_end") or None,
            "status": entry.get("status", Plan.Status.DRAFT),
            "is_loaded_in_full": full,
            "source_note": entry.get("source_note", ""),
        },
        stats,
        where,
    )


def link_basis(plan: Plan, keys: list[str], source: str, stats: Stats):
    basis = []
    for key in keys:
        found = Plan.objects.find(key)
        if found is None:
            raise SeedError(f"{source}, kế hoạch {plan.code}: không có kế hoạch căn cứ “{key}”.")
        basis.append(found)
    if {p.pk for p in plan.basis.all()} != {p.pk for p in basis}:
        plan.basis.set(basis)
        stats.links += 1


def load_indicators(plan: Plan, entries: list[dict], source: str, stats: Stats):
    directory = UnitDirectory(plan.issuer.ward)
    for order, entry in enumerate(entries, start=1):
        where = f"{source}, chỉ tiêu {entry.get('code', '?')}"
        require_keys(entry, INDICATOR_KEYS, {"code", "text", "comparator"}, where)
        if entry["comparator"] not in Indicator.Comparator.values:
            raise SeedError(f"{where}: phép so sánh “{entry['comparator']}” không hợp lệ.")
        responsible = None
        if entry.get("responsible"):
            resolution = directory.resolve(entry["responsible"])
            if len(resolution.units) != 1 or resolution.unresolved:
                raise SeedError(f"{where}: không xác định được đơn vị “{entry['responsible']}”.")
            responsible = resolution.units[0]
        upsert(
            Indicator,
            {"plan": plan, "code": entry["code"]},
            {
                "section": entry.get("section", ""),
                "order": order,
                "text": entry["text"],
                "comparator": entry["comparator"],
                "target_value": parse_decimal(entry.get("target_value", ""), where),
                "unit": entry.get("unit", ""),
                "target_year": entry.get("target_year") or None,
                "baseline_value": parse_decimal(entry.get("baseline_value", ""), where),
                "baseline_year": entry.get("baseline_year") or None,
                "responsible_unit": responsible,
            },
            stats,
            where,
        )
