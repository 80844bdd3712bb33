"""Resolve unit names as documents write them ("P.VHXXH; CA phường; các trường") to org units.

A cell is first cut into items at what only ever separates names: bullets ("- ", "+ ", "•") at the start of
a line, semicolons, line breaks and "/". Inside an item, commas, "và", "&" and ". " may separate names but
also occur inside them ("Phòng Kinh tế, Hạ tầng và Đô thị", "Các chi, Đảng bộ trực thuộc"), so the item is cut
at those too and the pieces are joined back greedily: the longest run of pieces that is a known name, alias
or collective phrase wins. Pieces left over between known names stay together as one unknown name ("Phòng
KT, HT và ĐT" is one name nobody knows yet, never "Phòng KT" + "HT" + "ĐT").
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from plans.models import CollectiveAlias, OrgUnit, UnitAlias
from plans.text import normalize_name, strip_diacritics

# Separators that never occur inside a unit's name, and those that may.
STRONG = re.compile(r"[;/\n]|(?:^|\s)[•·▪◦●]\s*|^\s*[-+–]\s+")
WEAK = re.compile(r",|\.(?=\s|$)|\s+và\s+|\s+&\s+", re.IGNORECASE)
BULLET = re.compile(r"^[\s\-+–•·▪◦●.,:]+|[\s.,;:]+$")
# What may follow a collective phrase and still mean the same set of this ward's units: "Các chi, Đảng bộ
# trực thuộc Đảng ủy phường", "các cơ sở giáo dục trên địa bàn phường", "các tổ dân phố của phường".
QUALIFIER = ("tructhuoc", "thuoc", "trendiaban", "cua", "phuong", "tai", "cacphuong")
OPEN_ENDED = ("tructhuoc", "thuoc", "trendiaban")  # a phrase ending so is followed by whom or where
# Two names this close (difflib ratio of their normalised forms) are offered as one unit.
SIMILAR = 0.85


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
        # Longest first, so "các cơ sở giáo dục mầm non" wins over "các cơ sở giáo dục".
        self._collective_keys = sorted(self.collectives, key=len, reverse=True)
        self._resolved: dict[str, Resolution] = {}

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

    def lookup_collective(self, text: str):
        """The collective a phrase starts with, when what follows only narrows it to this ward."""
        key = normalize_name(text)
        for phrase in self._collective_keys:
            rest = key[len(phrase) :]
            # "… trực thuộc" is followed by whom they belong to: anything may follow it.
            if key.startswith(phrase) and (rest.startswith(QUALIFIER) or phrase.endswith(OPEN_ENDED)):
                return self.collectives[phrase]
        return None

    def resolve(self, cell: str) -> Resolution:
        # Appendices repeat the same cells on many rows: each distinct text is resolved once per directory.
        cached = self._resolved.get(cell)
        if cached is None:
            cached = Resolution()
            for item in STRONG.split(cell or ""):
                self._resolve_item(item, cached)
            self._resolved[cell] = cached
        return Resolution(
            list(cached.matches), list(cached.unresolved), dict(cached.ambiguous), list(cached.generic)
        )

    def _resolve_item(self, text: str, result: Resolution):
        pieces = _pieces(text)
        i, pending = 0, []  # the pieces of the unknown run so far

        def flush():
            if not pending:
                return
            # An unknown run is one name ("Phòng KT, HT và ĐT"), unless every piece reads as a unit's name
            # on its own ("Trường Tiểu học Mới 1, Trường Mầm non Mới 2"): then the commas were between names.
            parts = [clean_name(text[a:b]) for a, b in pending]
            if len(parts) == 1 or any(guess_kind(p)[0] == OrgUnit.Kind.OTHER for p in parts):
                parts = [clean_name(text[pending[0][0] : pending[-1][1]])]
            for name in parts:
                if name and name not in result.unresolved:
                    result.unresolved.append(name)

        while i < len(pieces):
            for j in range(len(pieces), i, -1):
                candidate = text[pieces[i][0] : pieces[j - 1][1]].strip()
                found = self.lookup(candidate)
                if found is None and (collective := self.lookup_collective(candidate)) is not None:
                    found = (self.members(collective), True)
                    candidate_key = collective.normalized
                else:
                    candidate_key = normalize_name(candidate)
                if found is None:
                    continue
                flush()
                pending = []
                units, collective = found
                candidate = clean_name(candidate)
                if len(units) > 1 and not collective:
                    result.ambiguous[candidate] = units
                elif collective and not self.collectives[candidate_key].kinds:
                    result.generic.append(candidate)
                else:
                    result.matches.append(Match(candidate, units, collective))
                i = j
                break
            else:
                pending.append(pieces[i])
                i += 1
        flush()

    def similar(self, name: str) -> OrgUnit | None:
        """The existing unit a new name most likely means ("Phòng Văn hoá XH" → Phòng Văn hóa - Xã hội), or
        None. Names that differ only in a short final word or number are different units ("Trường Tiểu học
        B" is not "Trường Tiểu học C"), however alike they look."""
        key = normalize_name(name)
        best, best_ratio = None, SIMILAR
        for index in (self.local, self.outer):
            for other, units in index.items():
                if len(units) != 1 or _distinct_by_suffix(name, units[0], other):
                    continue
                ratio = difflib.SequenceMatcher(None, key, other).ratio()
                if ratio >= best_ratio:
                    best, best_ratio = units[0], ratio
            if best is not None:
                return best  # the ward's own units first
        return best


# A new unit's kind from how its name begins, so that collectives ("các trường", "đoàn thể") include it.
KIND_BY_NAME = [
    (("uybannhandan", "ubnd"), OrgUnit.Kind.PEOPLE_COMMITTEE),
    (("hoidongnhandan", "hdnd"), OrgUnit.Kind.PEOPLE_COUNCIL),
    (("congan",), OrgUnit.Kind.POLICE),
    (("tramyte",), OrgUnit.Kind.CLINIC),
    (("truong",), OrgUnit.Kind.SCHOOL),
    (("chibo", "dangbo"), OrgUnit.Kind.PARTY_CELL),
    (("dangu", "banthuongvu", "banxaydungdang", "vanphongdanguy", "uybankiemtradang"), OrgUnit.Kind.PARTY_BODY),
    (("mattran", "mttq", "doanthanhnien", "hoilienhiep", "hoiphunu", "hoinongdan", "hoicuuchienbinh",
      "congdoan", "doantn", "hoichuthapdo", "hoinguoicaotuoi"), OrgUnit.Kind.MASS_ORG),
    (("todanpho", "tdp", "khupho"), OrgUnit.Kind.RESIDENTIAL_GROUP),
    (("phong", "ban"), OrgUnit.Kind.DEPARTMENT),
]  # fmt: skip
SCHOOL_LEVEL = [
    (("mamnon", "truongmn"), "MN"),
    (("tieuhoc", "truongth"), "TH"),
    (("thcs", "trunghoccoso"), "THCS"),
]


def guess_kind(name: str) -> tuple[str, str]:
    """(kind, school level) of a unit created from a plan's cell; "other" when the name says nothing."""
    key = normalize_name(name)
    for starts, kind in KIND_BY_NAME:
        if key.startswith(starts):
            level = next((lv for keys, lv in SCHOOL_LEVEL if any(k in key for k in keys)), "")
            return kind, level if kind == OrgUnit.Kind.SCHOOL else ""
    return OrgUnit.Kind.OTHER, ""


def clean_name(text: str) -> str:
    """A name as written, without the bullet before it or the punctuation after it."""
    return re.sub(r"\s+", " ", BULLET.sub("", text or "")).strip()


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^0-9a-z]+", strip_diacritics(text).lower()) if w]


def _distinct_by_suffix(name: str, unit: OrgUnit, key: str) -> bool:
    """Whether `name` and the unit's name `key` differ only in their last word, that word being short or a
    number: the way sibling units are told apart (Tổ dân phố 3 / 4, Trường Tiểu học B / C)."""
    theirs = next((_words(t) for t in (unit.name, unit.short_name) if normalize_name(t) == key), None)
    mine = _words(name)
    if theirs is None or len(mine) != len(theirs) or mine[:-1] != theirs[:-1] or mine == theirs:
        return False
    return all(len(w) <= 3 or w.isdigit() for w in (mine[-1], theirs[-1]))


def _pieces(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-empty stretch of text between weak separators, trimmed of spaces and dots."""
    bounds, start = [], 0
    for separator in WEAK.finditer(text):
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
