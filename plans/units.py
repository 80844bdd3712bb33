"""Resolve unit names as documents write them ("P.VHXXH; CA phường; các trường") to org units.

A cell may name several units separated by ";", ",", ".", "/", "và" or line breaks, but full names contain
some of those too ("Phòng Kinh tế, Hạ tầng và Đô thị"), so a cell is cut at every separator and the pieces are
joined back greedily: the longest run of pieces that is a known name wins.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from plans.models import CollectiveAlias, OrgUnit, UnitAlias
from plans.text import normalize_name

SEPARATOR = re.compile(r";|,|/|\n|\.(?=\s|$)|\s+và\s+|\s+&\s+", re.IGNORECASE)


@dataclass
class Match:
    text: str  # the piece of the cell, as written
    units: list[OrgUnit]
    collective: bool = False


@dataclass
class Resolution:
    matches: list[Match] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[OrgUnit]] = field(default_factory=dict)
    generic: list[str] = field(default_factory=list)  # phrases that name no unit ("đơn vị liên quan")

    @property
    def units(self) -> list[OrgUnit]:
        seen, result = set(), []
        for match in self.matches:
            for unit in match.units:
                if unit.pk not in seen:
                    seen.add(unit.pk)
                    result.append(unit)
        return result


class UnitDirectory:
    """Every name the units of one ward (and the city-level units above it) answer to, loaded in bulk.

    Build one per import or load and resolve many cells with it: two queries in all, none per cell.
    Names inside the ward win over city-level ones ("UBND" is the ward's UBND, not the city's).
    """

    def __init__(self, ward: OrgUnit | None):
        self.ward = ward
        in_scope = Q(ward__isnull=True) | Q(ward=ward) if ward else Q(ward__isnull=True)
        units = list(OrgUnit.objects.filter(in_scope).order_by("path"))
        aliases = defaultdict(list)
        for alias in UnitAlias.objects.filter(unit__in=[u.pk for u in units]).only("unit_id", "normalized"):
            aliases[alias.unit_id].append(alias.normalized)

        self.local: dict[str, list[OrgUnit]] = defaultdict(list)
        self.outer: dict[str, list[OrgUnit]] = defaultdict(list)
        self.ward_units = [u for u in units if ward and u.ward_id == ward.pk]
        for unit in units:
            index = self.local if ward and unit.ward_id == ward.pk else self.outer
            keys = {normalize_name(unit.name), normalize_name(unit.short_name), normalize_name(unit.code)}
            keys.update(aliases[unit.pk])
            for key in keys - {""}:
                if unit not in index[key]:
                    index[key].append(unit)
        self.collectives = {c.normalized: c for c in CollectiveAlias.objects.all()}

    def members(self, collective: CollectiveAlias) -> list[OrgUnit]:
        return [
            u
            for u in self.ward_units
            if u.kind in collective.kinds
            and (not collective.school_level or u.school_level == collective.school_level)
        ]

    def lookup(self, text: str) -> tuple[list[OrgUnit], bool] | None:
        """(units, is_collective) for one name, or None when it names nothing known."""
        key = normalize_name(text)
        if not key:
            return None
        if key in self.local:
            return self.local[key], False
        if key in self.collectives:
            return self.members(self.collectives[key]), True
        if key in self.outer:
            return self.outer[key], False
        return None

    def resolve(self, cell: str) -> Resolution:
        result = Resolution()
        text = cell or ""
        pieces = _pieces(text)
        i = 0
        while i < len(pieces):
            for j in range(len(pieces), i, -1):
                candidate = text[pieces[i][0] : pieces[j - 1][1]].strip()
                found = self.lookup(candidate)
                if found is None:
                    continue
                units, collective = found
                if len(units) > 1 and not collective:
                    result.ambiguous[candidate] = units
                elif collective and not self.collectives[normalize_name(candidate)].kinds:
                    result.generic.append(candidate)
                else:
                    result.matches.append(Match(candidate, units, collective))
                i = j
                break
            else:
                result.unresolved.append(text[pieces[i][0] : pieces[i][1]].strip())
                i += 1
        return result


def _pieces(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-empty stretch of text between separators, trimmed of spaces and dots."""
    bounds, start = [], 0
    for separator in SEPARATOR.finditer(text):
        bounds.append((start, separator.start()))
        start = separator.end()
    bounds.append((start, len(text)))
    spans = []
    for begin, end in bounds:
        piece = text[begin:end]
        if piece.strip(" .\t"):
            spans.append(
                (begin + len(piece) - len(piece.lstrip(" .\t")), end - len(piece) + len(piece.rstrip(" .\t")))
            )
    return spans
