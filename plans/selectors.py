"""Reads of units and plans by what people type."""

from __future__ import annotations

from django.db.models import Q

from plans.models import OrgUnit, UnitAlias
from plans.text import normalize_name


class UnitNotFound(LookupError):
    """No unit, or several, answer to a name; the message says which, in Vietnamese."""


def find_units(name: str, *, kinds=None, within: OrgUnit | None = None) -> list[OrgUnit]:
    """Units whose name, short name, code or an alias is `name` (case, diacritics, punctuation ignored)."""
    key = normalize_name(name)
    if not key:
        return []
    alias_units = UnitAlias.objects.filter(normalized=key).values("unit_id")
    candidates = OrgUnit.objects.filter(
        Q(pk__in=alias_units) | Q(name_key=key) | Q(short_name_key=key) | Q(code__iexact=(name or "").strip())
    )
    if kinds:
        candidates = candidates.filter(kind__in=kinds)
    if within is not None:
        candidates = candidates.filter(Q(pk=within.pk) | Q(path__startswith=within.path + "/"))
    return list(candidates.order_by("path"))


def find_unit(name: str, *, kinds=None, within: OrgUnit | None = None, what: str = "đơn vị") -> OrgUnit:
    units = find_units(name, kinds=kinds, within=within)
    if not units:
        raise UnitNotFound(f"Không tìm thấy {what} “{name}”.")
    if len(units) > 1:
        names = "; ".join(f"{u.name} ({u.code})" for u in units[:5])
        raise UnitNotFound(f"“{name}” chỉ nhiều {what}: {names}. Hãy ghi rõ tên đầy đủ hoặc mã.")
    return units[0]


def find_ward(name: str) -> OrgUnit:
    return find_unit(name, kinds=[OrgUnit.Kind.WARD], what="phường")
