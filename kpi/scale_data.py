"""Synthetic data at ward and city scale, for benchmarks and demos of the leaders' dashboard.

`generate_scale_data(wards=N, units_per_ward=M, months=K)` builds a city ("GEN-CITY") of N wards, each with M
units of realistic kinds, its own copy of plan 29-KH/ĐU and its KPI rubric (read from the seed files, not
from the database), K months of scorecards with one entry per criterion, evidence links, task progress, and
demo accounts. Every generated OrgUnit and Plan code starts with "GEN-": that prefix is how generated data is
recognised, deleted before a new run, and told apart from real data.

Determinism: every draw comes from `random.Random` instances seeded from `seed` (one per ward, seeded with
"<seed>:W<nnn>", so ward 1 is the same whether 1 or 126 wards are generated); draws run over lists in a
fixed order, never over sets or unordered querysets; no clock is read except for the default of `until`.
Timestamps (created, submitted, reviewed, approved, progress) are derived from the months.

Speed: rows are written with bulk_create in batches, a fixed number of queries per ward. Scores are computed
in memory with the engine's pure functions (kpi.scoring), exactly as kpi.services._store_score stores them.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from kpi.models import Criterion, Rubric, RubricGroup, Scorecard, ScoreEntry, Transition
from kpi.months import next_month, previous_month
from kpi.scoring import Item, Result, Score, group_percents, round2, score
from kpi.services import TIMELINESS_CRITERION, split_points, submission_deadline
from plans.models import (
    DocumentProfile,
    Indicator,
    IndicatorValue,
    OrgUnit,
    Plan,
    UnitAlias,
    UserProfile,
)
from plans.seed import parse_date, parse_decimal
from plans.text import normalize_name
from plans.units import STRONG, WEAK
from tasks.deadlines import Kind, Schedule, due_dates, parse_deadline, period_of
from tasks.models import Evidence, Task, TaskGroup, TaskProgress
from tasks.seed import SEED_DIR, read_toml, reading_order

PREFIX = "GEN-"
CITY_CODE = "GEN-CITY"
CITY_NAME = "Thành phố Mô phỏng"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PLAN_FILE = "plan_29_kh_du.toml"
RUBRIC_FILE = "rubric_29_kh_du.toml"
USER_PREFIX = "gen."
CITY_LEADER = "gen.lanhdao"
# The units' reasons for "Không áp dụng": work that did not arise this month, work that is not the unit's.
NA_REASONS = ("Trong tháng không phát sinh nhiệm vụ này.", "Nhiệm vụ không thuộc chức năng của đơn vị.")
BATCH = 2000  # rows per INSERT (SQLite splits further by its own parameter limit)

State = Scorecard.State
Role = UserProfile.Role
K = OrgUnit.Kind


class ScaleDataError(Exception):
    """The generator refuses to run; the message says why, in Vietnamese."""


# --- what is generated -----------------------------------------------------------------------------------------


def generated_units() -> QuerySet:
    # startswith uses the index on PostgreSQL; the regex keeps the test case-sensitive on SQLite, whose LIKE
    # ignores case (a real unit coded "gen-…" must never be taken for a generated one).
    return OrgUnit.objects.filter(code__startswith=PREFIX, code__regex=f"^{PREFIX}")


def generated_plans() -> QuerySet:
    return Plan.objects.filter(code__startswith=PREFIX, code__regex=f"^{PREFIX}")


def generated_users() -> QuerySet:
    return get_user_model().objects.filter(username__startswith=USER_PREFIX, username__regex=r"^gen\.")


def real_data_counts() -> tuple[int, int]:
    """(units, plans) whose code does not start with GEN-: data this generator did not make."""
    units = OrgUnit.objects.exclude(pk__in=generated_units().values("pk")).count()
    plans = Plan.objects.exclude(pk__in=generated_plans().values("pk")).count()
    return units, plans


# --- the units of a ward -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitSpec:
    key: str  # the code is GEN-W001-<key>
    kind: str
    name: str  # "{place}" is replaced by the ward's place name ("Mô phỏng 001")
    short_name: str = ""
    aliases: tuple[str, ...] = ()
    parent: str = ""  # key of the parent unit; "" (or a parent not generated) puts it under the ward
    level: str = ""  # school level: MN, TH, THCS
    symbol: str = ""  # document symbol of the unit ("BC-VHXH")


# In order of importance: a small ward (--units-per-ward 6) gets the first ones. Names and aliases as the seed
# writes phường Long Biên's (fixtures/seed/units.toml), so the plan's unit cells resolve the same way.
CORE_UNITS = [
    UnitSpec("UBND", K.PEOPLE_COMMITTEE, "Ủy ban nhân dân phường {place}", "UBND phường",
             ("UBND phường", "UBND", "Ủy ban nhân dân phường"), symbol="UBND"),
    UnitSpec("VHXH", K.DEPARTMENT, "Phòng Văn hóa - Xã hội", "Phòng VH-XH",
             ("Phòng VHXH", "P.VHXH", "P.VHXXH", "Phòng VHXXH"), parent="UBND", symbol="VHXH"),
    UnitSpec("CA", K.POLICE, "Công an phường {place}", "Công an phường",
             ("Công an phường", "CA phường", "CA", "Công an", "Công an PCCC"), symbol="CAP"),
    UnitSpec("MN01", K.SCHOOL, "", level="MN"),
    UnitSpec("TH01", K.SCHOOL, "", level="TH"),
    UnitSpec("THCS01", K.SCHOOL, "", level="THCS"),
    UnitSpec("TYT", K.CLINIC, "Trạm Y tế phường {place}", "Trạm Y tế", ("Trạm Y tế", "Trạm Y tế phường", "Y tế"),
             symbol="TYT"),
    UnitSpec("DU", K.PARTY_BODY, "Đảng ủy phường {place}", "Đảng ủy phường", ("Đảng ủy phường", "Đảng ủy"),
             symbol="ĐU"),
    UnitSpec("MTTQ", K.MASS_ORG, "Ủy ban Mặt trận Tổ quốc Việt Nam phường {place}", "UBMTTQ phường",
             ("MTTQ", "UBMTTQ", "Ủy ban MTTQ"), symbol="MTTQ"),
    UnitSpec("DTN", K.MASS_ORG, "Đoàn Thanh niên Cộng sản Hồ Chí Minh phường", "Đoàn TN",
             ("Đoàn TN", "Đoàn Thanh niên"), parent="MTTQ", symbol="ĐTN"),
    UnitSpec("BTV", K.PARTY_BODY, "Ban Thường vụ Đảng ủy phường {place}", "BTV Đảng ủy",
             ("Ban Thường vụ Đảng ủy phường", "Ban Thường vụ Đảng ủy", "BTV Đảng ủy"), parent="DU", symbol="ĐU"),
    UnitSpec("KTHTDT", K.DEPARTMENT, "Phòng Kinh tế, Hạ tầng và Đô thị", "Phòng KTHTĐT",
             ("P.KTHTĐT", "Phòng KTHTĐT"), parent="UBND", symbol="KTHTĐT"),
    UnitSpec("VP", K.DEPARTMENT, "Văn phòng HĐND và UBND phường", "", ("Văn phòng HĐND & UBND phường",),
             parent="UBND", symbol="VP"),
    UnitSpec("VPDU", K.PARTY_BODY, "Văn phòng Đảng ủy phường", "VP Đảng ủy", ("VP Đảng ủy", "VPĐU"),
             parent="DU", symbol="VPĐU"),
    UnitSpec("BXDD", K.PARTY_BODY, "Ban Xây dựng Đảng phường", "Ban XDĐ", ("Ban XDĐ", "Ban Xây dựng Đảng"),
             parent="DU", symbol="BXDĐ"),
    UnitSpec("UBKT", K.PARTY_BODY, "Ủy ban Kiểm tra Đảng ủy phường", "UBKT Đảng ủy", ("UBKT Đảng ủy", "UBKT"),
             parent="DU", symbol="UBKT"),
    UnitSpec("HKH", K.MASS_ORG, "Hội Khuyến học phường", "Hội Khuyến học", ("HKH", "Hội KH"), parent="MTTQ",
             symbol="HKH"),
    UnitSpec("HLHPN", K.MASS_ORG, "Hội Liên hiệp Phụ nữ phường", "Hội Phụ nữ", ("Hội LHPN",), parent="MTTQ",
             symbol="HPN"),
    UnitSpec("HCCB", K.MASS_ORG, "Hội Cựu chiến binh phường", "Hội CCB", (), parent="MTTQ", symbol="CCB"),
    UnitSpec("TTHTCD", K.OTHER, "Trung tâm học tập cộng đồng", "TTHTCĐ", ("TTHTCĐ",), parent="UBND",
             symbol="TTHTCĐ"),
    UnitSpec("TTVH", K.OTHER, "Trung tâm Văn hóa - Thông tin và Thể thao phường", "TTVH",
             ("TTVH", "Trung tâm Văn hóa"), parent="UBND", symbol="TTVH"),
    UnitSpec("BQLDA", K.DEPARTMENT, "Ban Quản lý dự án đầu tư - Hạ tầng", "Ban QLDA", ("Ban QLDA", "BQLDA"),
             parent="UBND", symbol="BQLDA"),
    UnitSpec("HDND", K.PEOPLE_COUNCIL, "Hội đồng nhân dân phường {place}", "HĐND phường", ("HĐND phường",),
             symbol="HĐND"),
    UnitSpec("CUMCSD", K.PARTY_BODY, "Cụm cơ sở đảng", "", (), parent="DU", symbol="CCSĐ"),
    UnitSpec("HCTD", K.MASS_ORG, "Hội Chữ thập đỏ phường", "Hội CTĐ", (), parent="MTTQ", symbol="CTĐ"),
]  # fmt: skip

# After the core units, a ward's many schools, party cells and residential groups, in this rhythm.
FILL_CYCLE = ["MN", "TH", "CB", "TDP", "THCS", "MN", "TDP", "CB", "TH", "TDP"]

SCHOOL_NAMES = {
    "MN": ["Hoa Sen", "Sơn Ca", "Hoa Mai", "Họa Mi", "Tuổi Thơ", "Ánh Sao", "Hoa Hồng", "Vành Khuyên",
           "Thỏ Ngọc", "Hoa Sữa", "Chim Non", "Búp Sen Hồng", "Hoa Đào", "Bông Sen", "Sao Mai", "Hướng Dương"],
    "TH": ["Ánh Dương", "Bình Minh", "Lê Quý Đôn", "Nguyễn Du", "Kim Đồng", "Lý Thường Kiệt", "Ngô Quyền",
           "Trần Quốc Toản", "Đoàn Thị Điểm", "Võ Thị Sáu", "Lê Văn Tám", "Phù Đổng", "Thăng Long", "Trưng Vương",
           "Quang Trung", "Hồng Hà"],
    "THCS": ["Nguyễn Trãi", "Lê Lợi", "Trần Phú", "Hai Bà Trưng", "Nguyễn Bỉnh Khiêm", "Lương Thế Vinh",
             "Phan Chu Trinh", "Nguyễn Huệ", "Chu Văn An", "Ngô Sĩ Liên", "Tô Hiến Thành", "Lý Tự Trọng"],
}  # fmt: skip
SCHOOL_PREFIX = {"MN": "Trường Mầm non", "TH": "Trường Tiểu học", "THCS": "Trường THCS"}

# Collective phrases of the plan's unit cells (as in units.toml): every generated unit of these kinds.
COLLECTIVES = {
    normalize_name(phrase): kind
    for phrase, kind in [
        ("Nhà trường", K.SCHOOL), ("các trường", K.SCHOOL), ("các cơ sở giáo dục", K.SCHOOL),
        ("đoàn thể", K.MASS_ORG), ("các đoàn thể", K.MASS_ORG),
        ("các tổ chức đảng", K.PARTY_CELL), ("chi bộ", K.PARTY_CELL),
        ("TDP", K.RESIDENTIAL_GROUP), ("tổ dân phố", K.RESIDENTIAL_GROUP),
    ]
}  # fmt: skip


def ward_unit_specs(count: int, rng: random.Random) -> list[UnitSpec]:
    """The ward's `count` units: the core ones first, then schools, party cells and residential groups."""
    names = {level: rng.sample(pool, len(pool)) for level, pool in SCHOOL_NAMES.items()}
    numbers = {"MN": 0, "TH": 0, "THCS": 0, "CB": 0, "TDP": 0}
    specs = []

    def school(level: str, key: str) -> UnitSpec:
        index = numbers[level]
        numbers[level] += 1
        pool = names[level]
        base = pool[index % len(pool)] + (f" {index // len(pool) + 1}" if index >= len(pool) else "")
        return UnitSpec(key, K.SCHOOL, f"{SCHOOL_PREFIX[level]} {base}", level=level,
                        symbol=f"{level}{numbers[level]:02d}")  # fmt: skip

    for spec in CORE_UNITS[:count]:
        specs.append(school(spec.level, spec.key) if spec.kind == K.SCHOOL else spec)
    position = 0
    while len(specs) < count:
        kind = FILL_CYCLE[position % len(FILL_CYCLE)]
        position += 1
        if kind in SCHOOL_NAMES:
            specs.append(school(kind, f"{kind}{numbers[kind] + 1:02d}"))
        elif kind == "CB":
            numbers["CB"] += 1
            n = numbers["CB"]
            specs.append(UnitSpec(f"CB{n:02d}", K.PARTY_CELL, f"Chi bộ Khu dân cư số {n}", parent="DU",
                                  symbol=f"CB{n:02d}"))  # fmt: skip
        else:
            numbers["TDP"] += 1
            n = numbers["TDP"]
            specs.append(UnitSpec(f"TDP{n:02d}", K.RESIDENTIAL_GROUP, f"Tổ dân phố số {n}", f"TDP số {n}",
                                  symbol=f"TDP{n:02d}"))  # fmt: skip
    return specs


class CellResolver:
    """Maps a plan's unit cell ("Công an, nhà trường") onto the ward's generated units, in catalogue order."""

    def __init__(self, specs: list[UnitSpec], units: dict[str, OrgUnit], place: str):
        self.units = units
        self.names: dict[str, str] = {}
        for spec in CORE_UNITS:  # every name a core unit answers to, generated here or not
            for text in (spec.name.format(place=place), spec.short_name, *spec.aliases):
                if text:
                    self.names.setdefault(normalize_name(text), spec.key)
        self.by_kind: dict[str, list[OrgUnit]] = {}
        for spec in specs:
            self.by_kind.setdefault(spec.kind, []).append(units[spec.key])

    def resolve(self, cell: str) -> tuple[list[OrgUnit], list[str]]:
        found: list[OrgUnit] = []
        unresolved: list[str] = []
        # The generated cells are plain lists: split where the import splits (bullets, ";", "/", lines, then
        # commas and "và"), without its known-name search, since every name here is one of our own.
        for piece in (p for strong in STRONG.split(cell or "") for p in WEAK.split(strong)):
            piece = piece.strip(" .\t")
            if not piece:
                continue
            key = normalize_name(piece)
            if key in COLLECTIVES:
                members = self.by_kind.get(COLLECTIVES[key], [])
            elif key in self.names and self.names[key] in self.units:
                members = [self.units[self.names[key]]]
            else:
                unresolved.append(piece)
                continue
            found += [u for u in members if u not in found]
        return found, unresolved


# How likely a criterion of each group applies to a unit of each kind (the rest: "Không áp dụng" for it).
RELEVANCE = {
    K.SCHOOL: (0.8, 1, 1, 1, 1, 0.8, 1),
    K.PEOPLE_COMMITTEE: (1, 0.9, 0.8, 0.9, 0.8, 0.9, 1),
    K.DEPARTMENT: (0.9, 0.6, 0.6, 0.8, 0.5, 0.7, 1),
    K.POLICE: (0.7, 1, 0.1, 0.3, 0.2, 0.3, 1),
    K.CLINIC: (0.6, 0.4, 0.1, 0.3, 1, 0.3, 1),
    K.PARTY_BODY: (1, 0.2, 0.2, 0.3, 0.1, 0.4, 1),
    K.PARTY_CELL: (1, 0.1, 0.1, 0.2, 0.1, 0.5, 1),
    K.MASS_ORG: (0.8, 0.4, 0.2, 0.3, 0.3, 1, 1),
    K.RESIDENTIAL_GROUP: (0.7, 0.6, 0.1, 0.3, 0.3, 0.9, 1),
    K.PEOPLE_COUNCIL: (1, 0.3, 0.3, 0.3, 0.3, 0.3, 1),
    K.OTHER: (0.7, 0.3, 0.6, 0.6, 0.3, 1, 1),
}
RATIOS = [Decimal(r) for r in ("0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9")]
COMMENTS = {
    Result.DONE: ["", "", "", "Hoàn thành đúng kế hoạch", "Đạt yêu cầu"],
    Result.LATE: ["Hoàn thành chậm so với kế hoạch tháng", "Nộp sản phẩm sau thời hạn",
                  "Triển khai muộn do trùng lịch công tác"],
    Result.PARTIAL: ["Hoàn thành một phần khối lượng", "Còn một số nội dung chưa triển khai",
                     "Sản phẩm chưa đầy đủ"],
    Result.LATE_PARTIAL: ["Chậm tiến độ, mới hoàn thành một phần", "Triển khai muộn, chưa đủ khối lượng"],
    Result.NOT_DONE: ["Chưa triển khai trong tháng", "Chưa thực hiện do chưa bố trí được kinh phí",
                      "Chưa có sản phẩm"],
}  # fmt: skip
REVIEW_REASONS = [
    "Minh chứng chưa đầy đủ, thẩm định điều chỉnh điểm",
    "Sản phẩm chưa đạt yêu cầu về chất lượng",
    "Một phần nội dung không có minh chứng",
]
DOC_TYPES = {"bao cao": "BC", "ke hoach": "KH", "bien ban": "BB", "ket luan": "KL", "danh sach": "DS"}


# --- the seed files ---------------------------------------------------------------------------------------------


@dataclass
class Source:
    plan: dict
    indicators: list[dict]
    groups: list[dict]
    tasks: list[dict]
    orders: dict[str, int]
    rubric: dict
    rubric_groups: list[dict]
    criteria: list[dict]


def read_source(seed_dir: Path = SEED_DIR) -> Source:
    for name in (PLAN_FILE, RUBRIC_FILE):
        if not (seed_dir / name).exists():
            raise ScaleDataError(f"Không tìm thấy tệp mẫu {seed_dir / name}.")
    plan_doc = read_toml(seed_dir / PLAN_FILE)
    rubric_doc = read_toml(seed_dir / RUBRIC_FILE)
    return Source(
        plan=plan_doc["plan"],
        indicators=plan_doc.get("indicator", []),
        groups=plan_doc.get("group", []),
        tasks=plan_doc.get("task", []),
        orders=reading_order(plan_doc, []),
        rubric=rubric_doc.get("rubric", {}),
        rubric_groups=rubric_doc.get("group", []),
        criteria=rubric_doc.get("criterion", []),
    )


# --- summary --------------------------------------------------------------------------------------------------


@dataclass
class Summary:
    wards: int = 0
    units: int = 0
    plans: int = 0
    tasks: int = 0
    cards: int = 0
    entries: int = 0
    missing: int = 0  # unit-months without a card
    states: dict[str, int] = field(default_factory=lambda: {s: 0 for s in State.values})
    evidence: int = 0
    progress: int = 0
    transitions: int = 0
    indicator_values: int = 0
    deleted: int = 0  # rows of an earlier run deleted first
    users: list[tuple[str, str]] = field(default_factory=list)  # (username, what it is)
    password: str = ""
    password_generated: bool = False
    first_month: date | None = None
    last_month: date | None = None
    seconds: float = 0.0


# --- entry point ----------------------------------------------------------------------------------------------


def default_until() -> date:
    """The month before the current one, in Vietnam (the only reading of the clock)."""
    return previous_month(datetime.now(TZ).date().replace(day=1))


def generate_scale_data(
    *,
    wards: int,
    units_per_ward: int,
    months: int,
    seed: int = 1,
    until: date | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Summary:
    """Delete earlier generated data and generate anew; all or nothing (one transaction)."""
    if not 1 <= wards <= 999:
        raise ScaleDataError("Số phường (--wards) phải từ 1 đến 999.")
    if not 2 <= units_per_ward <= 500:
        raise ScaleDataError("Số đơn vị mỗi phường (--units-per-ward) phải từ 2 đến 500.")
    if not 1 <= months <= 120:
        raise ScaleDataError("Số tháng (--months) phải từ 1 đến 120.")
    until = (until or default_until()).replace(day=1)
    month_list = [until]
    while len(month_list) < months:
        month_list.insert(0, previous_month(month_list[0]))
    say = progress or (lambda message: None)
    started = time.perf_counter()

    units, plans = real_data_counts()
    if (units or plans) and not force:
        raise ScaleDataError(
            f"Cơ sở dữ liệu đang có dữ liệu thật: {units} đơn vị và {plans} kế hoạch có mã không bắt đầu bằng "
            f"“{PREFIX}”. Lệnh không chạy để dữ liệu mô phỏng không lẫn vào dữ liệu thật. "
            "Dùng --force nếu vẫn muốn thêm dữ liệu mô phỏng bên cạnh dữ liệu thật."
        )
    source = read_source()
    summary = Summary(first_month=month_list[0], last_month=until)
    with transaction.atomic(), _explicit_timestamps():
        summary.deleted = delete_generated()
        if summary.deleted:
            say(f"Đã xóa {summary.deleted} dòng dữ liệu mô phỏng của lần chạy trước.")
        context = _Context(source, units_per_ward, month_list, seed, summary)
        context.start(wards)
        for number in range(1, wards + 1):
            began = time.perf_counter()
            stats = context.ward(number)
            # With DEBUG on, Django keeps the SQL of the last 9,000 queries: with 2,000-row inserts that is
            # most of a gigabyte at city scale. Dropped after each ward, unless someone is counting queries.
            if not connection.force_debug_cursor:
                connection.queries_log.clear()
            say(
                f"Phường {number:03d}/{wards:03d}: {stats[0]} đơn vị, {stats[1]} phiếu, {stats[2]} dòng chấm "
                f"điểm ({time.perf_counter() - began:.1f} giây)."
            )
    summary.seconds = time.perf_counter() - started
    return summary


@contextmanager
def _explicit_timestamps() -> Iterator[None]:
    """bulk_create fills auto_now / auto_now_add fields with the clock. Generated rows carry their own times,
    derived from the months (deterministic, and realistic: a card of March is not created today), so the
    flags are lifted while the generator runs. Only ever used in the generator's own process (the command)."""
    fields = [
        Rubric._meta.get_field("created_at"),
        Scorecard._meta.get_field("created_at"),
        Scorecard._meta.get_field("updated_at"),
        Transition._meta.get_field("at"),
        TaskProgress._meta.get_field("created_at"),
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    try:
        for f in fields:
            f.auto_now = f.auto_now_add = False
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _raw_delete(queryset: QuerySet) -> int:
    # One DELETE … WHERE per table: no Model.delete() (approved cards refuse it), no signals (simple-history
    # would load every ScoreEntry to write a "deleted" history row), no cascade collection in memory. The
    # callers delete children before parents, so no foreign key is left dangling.
    return queryset._raw_delete(queryset.db)


REMOVAL_REASON = "Xóa dữ liệu mô phỏng của lần chạy trước (generate_scale_data)."


def _back_to_draft(cards: QuerySet):
    """The database refuses to delete an approved card, or its entries, links and evidence, or to detach
    evidence from a sent one (kpi 0007). Generated cards leave by the way the triggers allow: approved ones are
    reopened (a reopen transition, written first, then "reviewed"), then every card goes back to draft.
    Three statements whatever the number of cards."""
    approved = Scorecard.objects.filter(pk__in=cards, state=State.APPROVED)
    sql, params = approved.values("pk").query.sql_with_params()
    at = connection.ops.adapt_datetimefield_value(datetime.now(UTC))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO kpi_transition (scorecard_id, from_state, to_state, by_id, at, reason) "
            f"SELECT id, %s, %s, NULL, %s, %s FROM kpi_scorecard WHERE id IN ({sql})",
            [State.APPROVED, State.REVIEWED, at, REMOVAL_REASON, *params],
        )
    approved.update(state=State.REVIEWED)
    Scorecard.objects.filter(pk__in=cards).exclude(state=State.DRAFT).update(state=State.DRAFT)


def delete_generated() -> int:
    """Delete everything hanging off GEN- units and plans, children first. Returns the rows deleted."""
    units = generated_units().values("pk")
    plans = generated_plans().values("pk")
    cards = Scorecard.objects.filter(Q(unit__in=units) | Q(rubric__plan__in=plans)).values("pk")
    entries = ScoreEntry.objects.filter(scorecard__in=cards)
    evidence = Evidence.objects.filter(Q(unit__in=units) | Q(task__plan__in=plans)).values("pk")
    tasks = Task.objects.filter(plan__in=plans).values("pk")
    rubrics = Rubric.objects.filter(plan__in=plans).values("pk")
    links = ScoreEntry.evidence.through.objects
    users = generated_users().values("pk")
    _back_to_draft(cards)
    steps = [
        links.filter(Q(scoreentry__scorecard__in=cards) | Q(evidence__in=evidence)),
        ScoreEntry.history.model.objects.filter(scorecard__in=cards),
        entries,
        Transition.objects.filter(scorecard__in=cards),
        Scorecard.objects.filter(Q(unit__in=units) | Q(rubric__plan__in=plans)),
        Evidence.objects.filter(pk__in=evidence),
        TaskProgress.objects.filter(Q(task__in=tasks) | Q(unit__in=units)),
        Criterion.tasks.through.objects.filter(Q(criterion__group__rubric__in=rubrics) | Q(task__in=tasks)),
        Criterion.objects.filter(group__rubric__in=rubrics),
        RubricGroup.objects.filter(rubric__in=rubrics),
        Rubric.units.through.objects.filter(Q(rubric__in=rubrics) | Q(orgunit__in=units)),
        Rubric.objects.filter(pk__in=rubrics),
        Task.lead_units.through.objects.filter(Q(task__in=tasks) | Q(orgunit__in=units)),
        Task.coordinating_units.through.objects.filter(Q(task__in=tasks) | Q(orgunit__in=units)),
        Task.objects.filter(pk__in=tasks),
        TaskGroup.objects.filter(plan__in=plans),
        IndicatorValue.objects.filter(indicator__plan__in=plans),
        Indicator.objects.filter(plan__in=plans),
        Plan.basis.through.objects.filter(Q(from_plan__in=plans) | Q(to_plan__in=plans)),
        Plan.objects.filter(pk__in=plans),
        UserProfile.objects.filter(Q(unit__in=units) | Q(user__in=users)),
        UnitAlias.objects.filter(unit__in=units),
        DocumentProfile.objects.filter(unit__in=units),
        OrgUnit.objects.filter(pk__in=units),
    ]
    # Each step's subqueries name only tables deleted in later steps, so every DELETE still finds its rows.
    return sum(_raw_delete(step) for step in steps)


# --- the generator ----------------------------------------------------------------------------------------------


@dataclass
class _Card:
    card: Scorecard
    entries: list[ScoreEntry]
    evidence: list[tuple[ScoreEntry, Evidence]]
    transitions: list[Transition]


class _Context:
    def __init__(self, source: Source, units_per_ward: int, months: list[date], seed: int, summary: Summary):
        self.source = source
        self.units_per_ward = units_per_ward
        self.months = months
        self.seed = seed
        self.summary = summary
        self.period_end = _month_last_day(months[-1])

    # -- city and users --

    def start(self, wards: int):
        self.city = OrgUnit(kind=K.CITY, code=CITY_CODE, name=CITY_NAME, is_demo=True)
        self.city.save()
        password = getattr(settings, "DEMO_PASSWORD", "") or secrets.token_urlsafe(9)
        self.summary.password = password
        self.summary.password_generated = not getattr(settings, "DEMO_PASSWORD", "")
        # One hash for every demo account: hashing is deliberately slow, and these share one password anyway.
        self.password_hash = make_password(password)
        names = [(CITY_LEADER, f"Lãnh đạo {CITY_NAME}")]
        for number in range(1, wards + 1):
            ward = f"Phường Mô phỏng {number:03d}"
            names += [
                (f"gen.lanhdao.w{number:03d}", f"Lãnh đạo {ward}"),
                (f"gen.thamdinh.w{number:03d}", f"Chuyên viên thẩm định, Phòng VH-XH {ward}"),
                (f"gen.canbo.w{number:03d}", f"Cán bộ Phòng VH-XH {ward}"),
            ]
        self.users = self._users(names)
        UserProfile.objects.create(user=self.users[CITY_LEADER], unit=self.city, role=Role.LEADER)
        shown = {CITY_LEADER, "gen.lanhdao.w001", "gen.thamdinh.w001", "gen.canbo.w001"}
        self.summary.users = [(n, label) for n, label in names if n in shown]
        self.summary.units += 1

    def _users(self, names: list[tuple[str, str]]) -> dict:
        User = get_user_model()
        wanted = [n for n, _ in names]
        existing = {u.username: u for u in User.objects.filter(username__in=wanted)}
        joined = datetime.combine(self.months[0], datetime.min.time(), tzinfo=TZ)
        users = {}
        for username, label in names:
            user = existing.get(username) or User(username=username, date_joined=joined)
            user.password, user.first_name = self.password_hash, label[:150]
            user.is_active, user.is_staff, user.is_superuser = True, False, False
            users[username] = user
        User.objects.bulk_create([u for u in users.values() if u.pk is None], batch_size=BATCH)
        User.objects.bulk_update(
            [u for u in users.values() if u.username in existing],
            ["password", "is_active", "is_staff", "is_superuser", "first_name"],
            batch_size=BATCH,
        )
        # Accounts of an earlier, larger run that this one does not use: switched off, not deleted.
        generated_users().exclude(username__in=wanted).update(is_active=False)
        if any(u.pk is None for u in users.values()):  # backends that return no ids from bulk inserts
            users = {u.username: u for u in User.objects.filter(username__in=wanted)}
        return users

    # -- one ward --

    def ward(self, number: int) -> tuple[int, int, int]:
        rng = random.Random(f"{self.seed}:W{number:03d}")
        place = f"Mô phỏng {number:03d}"
        ward = OrgUnit(kind=K.WARD, code=f"{PREFIX}W{number:03d}", name=f"Phường {place}", parent=self.city,
                       short_name="", is_demo=True)  # fmt: skip
        ward.save()
        specs = ward_unit_specs(self.units_per_ward, rng)
        units = self._units(ward, specs, place)
        leader = self.users[f"gen.lanhdao.w{number:03d}"]
        reviewer = self.users[f"gen.thamdinh.w{number:03d}"]
        officer = self.users[f"gen.canbo.w{number:03d}"]
        focal = units.get("VHXH") or units[specs[0].key]
        UserProfile.objects.bulk_create([
            UserProfile(user=leader, unit=ward, role=Role.LEADER),
            UserProfile(user=reviewer, unit=focal, role=Role.REVIEWER),
            UserProfile(user=officer, unit=focal, role=Role.OFFICER),
        ])  # fmt: skip
        self._document_profiles(units, place)
        issuer = units.get("BTV") or units.get("DU") or ward
        resolver = CellResolver(specs, units, place)
        plan, tasks = self._plan(number, issuer, resolver, rng)
        rubric, criteria = self._rubric(plan, tasks, list(units.values()))
        self._indicator_values(plan, rng)
        ordered_units = [units[s.key] for s in specs]
        kinds = {units[s.key].pk: s.kind for s in specs}
        symbols = {units[s.key].pk: s.symbol or s.key for s in specs}
        cards, entries = self._cards(
            rubric, criteria, ordered_units, kinds, symbols, rng, (officer, reviewer, leader)
        )
        self._progress(plan, rng, officer)
        self.summary.wards += 1
        self.summary.units += 1 + len(units)
        return len(units), cards, entries

    def _units(self, ward: OrgUnit, specs: list[UnitSpec], place: str) -> dict[str, OrgUnit]:
        keys = {s.key for s in specs}
        units: dict[str, OrgUnit] = {}
        top = [s for s in specs if not s.parent or s.parent not in keys]
        below = [s for s in specs if s.parent and s.parent in keys]
        aliases = []
        for layer, under_unit in ((top, False), (below, True)):
            rows = []
            for spec in layer:
                parent = units[spec.parent] if under_unit else ward
                code = f"{ward.code}-{spec.key}"
                name = spec.name.format(place=place)
                unit = OrgUnit(
                    parent=parent, kind=spec.kind, code=code, name=name, short_name=spec.short_name,
                    school_level=spec.level, is_demo=True, name_key=normalize_name(name),
                    short_name_key=normalize_name(spec.short_name), path=f"{parent.path}/{code}", ward=ward,
                )  # fmt: skip
                units[spec.key] = unit
                rows.append(unit)
                aliases += [(unit, text) for text in spec.aliases]
            OrgUnit.objects.bulk_create(rows, batch_size=BATCH)
        UnitAlias.objects.bulk_create(
            [UnitAlias(unit=u, text=t, normalized=normalize_name(t)) for u, t in aliases], batch_size=BATCH
        )
        return {s.key: units[s.key] for s in specs}

    def _document_profiles(self, units: dict[str, OrgUnit], place: str):
        ward_line = f"ỦY BAN NHÂN DÂN PHƯỜNG {place.upper()}"
        rows = []
        if "VHXH" in units:
            rows.append(DocumentProfile(
                unit=units["VHXH"], parent_line=ward_line, name_line="PHÒNG VĂN HÓA - XÃ HỘI", place=place,
                symbol="BC-VHXH", signer_title="TRƯỞNG PHÒNG", issues_reports=True,
                recipients="Thường trực Đảng ủy phường (b/c);\nChủ tịch, các Phó Chủ tịch UBND phường;\n"
                           "Các đơn vị thuộc diện chấm điểm KPI;\nLưu: VT, VH-XH.",
            ))  # fmt: skip
        if "UBND" in units:
            rows.append(DocumentProfile(
                unit=units["UBND"], name_line=ward_line, place=place, symbol="BC-UBND",
                signer_authority="TM. ỦY BAN NHÂN DÂN", signer_title="CHỦ TỊCH",
                recipients="Thường trực Đảng ủy phường (b/c);\nThường trực HĐND phường;\nLưu: VT, VH-XH.",
            ))  # fmt: skip
        DocumentProfile.objects.bulk_create(rows)

    # -- the plan, copied from the seed --

    def _plan(self, number: int, issuer: OrgUnit, resolver: CellResolver, rng: random.Random):
        head = self.source.plan
        plan = Plan(
            code=f"{PREFIX}W{number:03d}-KH-DU-29",
            number=f"{head.get('number', '29-KH/ĐU')}-W{number:03d}",
            issuer=issuer,
            issued_on=parse_date(head.get("issued_on", ""), PLAN_FILE),
            title=head["title"],
            period_start=head.get("period_start") or None,
            period_end=head.get("period_end") or None,
            status=head.get("status", Plan.Status.ISSUED),
            is_loaded_in_full=True,
            source_note=(
                f"Bản sao mô phỏng của Kế hoạch số {head.get('number', '')} ({PLAN_FILE}), sinh bởi lệnh "
                "generate_scale_data để chạy thử và đo hiệu năng — không phải văn bản thật."
            ),
        )
        plan.save()  # Plan.save keeps number_normalized
        groups = TaskGroup.objects.bulk_create(
            [
                TaskGroup(plan=plan, code=g["code"], title=g["title"], order=g.get("order", i))
                for i, g in enumerate(self.source.groups, start=1)
            ]
        )
        group_by_code = {g.code: g for g in groups}
        tasks, links = [], []
        for entry in self.source.tasks:
            lead, lead_unresolved = resolver.resolve(entry.get("lead", ""))
            coordinating, coordinating_unresolved = resolver.resolve(entry.get("coordinating", ""))
            deadline = entry.get("deadline", "")
            task = Task(
                plan=plan,
                group=group_by_code.get(entry.get("group", "")),
                code=entry["code"],
                order=self.source.orders[entry["code"]],
                content=entry["content"].strip(),
                lead_text=entry.get("lead", ""),
                coordinating_text=entry.get("coordinating", ""),
                unresolved_units=sorted(set(lead_unresolved + coordinating_unresolved)),
                deliverable=entry.get("deliverable", ""),
                deadline_text=deadline,
                # What Task.save() stores, which bulk_create does not call.
                schedule=parse_deadline(deadline, period=plan.period).to_dict(),
                notes=entry.get("notes", ""),
                source_ref=entry.get("source_ref", ""),
            )
            tasks.append(task)
            links.append((task, lead, coordinating))
        self.task_leads = [(task, lead) for task, lead, _ in links]
        Task.objects.bulk_create(tasks, batch_size=BATCH)
        by_code = {t.code: t for t in tasks}
        linked = []
        for entry in self.source.tasks:
            task = by_code[entry["code"]]
            parent, duplicate = (
                by_code.get(entry.get("parent", "")),
                by_code.get(entry.get("duplicate_of", "")),
            )
            if parent or duplicate:
                task.parent, task.duplicate_of = parent, duplicate
                linked.append(task)
        if linked:
            Task.objects.bulk_update(linked, ["parent", "duplicate_of"])
        Lead, Coordinating = Task.lead_units.through, Task.coordinating_units.through
        Lead.objects.bulk_create(
            [Lead(task_id=t.pk, orgunit_id=u.pk) for t, lead, _ in links for u in lead], batch_size=BATCH
        )
        Coordinating.objects.bulk_create(
            [Coordinating(task_id=t.pk, orgunit_id=u.pk) for t, _, coord in links for u in coord],
            batch_size=BATCH,
        )
        indicators = []
        for order, entry in enumerate(self.source.indicators, start=1):
            responsible = None
            if entry.get("responsible"):
                found, unresolved = resolver.resolve(entry["responsible"])
                responsible = found[0] if len(found) == 1 and not unresolved else None
            indicators.append(
                Indicator(
                    plan=plan, code=entry["code"], section=entry.get("section", ""), order=order,
                    text=entry["text"], comparator=entry["comparator"],
                    target_value=parse_decimal(entry.get("target_value", ""), PLAN_FILE),
                    unit=entry.get("unit", ""), target_year=entry.get("target_year") or None,
                    baseline_value=parse_decimal(entry.get("baseline_value", ""), PLAN_FILE),
                    baseline_year=entry.get("baseline_year") or None, responsible_unit=responsible,
                )
            )  # fmt: skip
        Indicator.objects.bulk_create(indicators, batch_size=BATCH)
        self.indicators = indicators
        self.summary.plans += 1
        self.summary.tasks += len(tasks)
        return plan, tasks

    def _rubric(self, plan: Plan, tasks: list[Task], units: list[OrgUnit]):
        head = self.source.rubric
        rubric = Rubric(
            plan=plan,
            version=head.get("version", 1),
            name=head.get("name") or f"Bộ tiêu chí KPI hằng tháng — {plan.number or plan.code}",
            total=parse_decimal(head.get("total", "100"), RUBRIC_FILE),
            created_at=datetime.combine(plan.issued_on or self.months[0], datetime.min.time(), tzinfo=TZ)
            + timedelta(hours=9),
        )
        rubric.save()
        groups = RubricGroup.objects.bulk_create(
            [
                RubricGroup(rubric=rubric, code=g["code"], name=g["name"], order=order,
                            max_points=parse_decimal(g["max_points"], RUBRIC_FILE))
                for order, g in enumerate(self.source.rubric_groups, start=1)
            ]
        )  # fmt: skip
        tasks_by_code = {t.code: t for t in tasks}
        criteria, task_links = [], []
        for group in groups:
            members = [c for c in self.source.criteria if c.get("group") == group.code]
            # As the seed loader does: the group's points in equal shares unless a criterion gives its own.
            defaults = split_points(group.max_points, len(members)) if members else []
            for order, (entry, default) in enumerate(zip(members, defaults, strict=True), start=1):
                criterion = Criterion(
                    group=group, code=entry["code"], name=entry["name"],
                    achievement=entry.get("achievement", ""), evidence=entry.get("evidence", ""),
                    frequency=entry.get("frequency", Criterion.Frequency.MONTH), order=order,
                    points=parse_decimal(entry["points"], RUBRIC_FILE) if "points" in entry else default,
                )  # fmt: skip
                criteria.append(criterion)
                task_links += [(criterion, tasks_by_code[code]) for code in entry.get("tasks", [])]
        Criterion.objects.bulk_create(criteria, batch_size=BATCH)
        Link = Criterion.tasks.through
        Link.objects.bulk_create(
            [Link(criterion_id=c.pk, task_id=t.pk) for c, t in task_links], batch_size=BATCH
        )
        Units = Rubric.units.through
        Units.objects.bulk_create(
            [Units(rubric_id=rubric.pk, orgunit_id=u.pk) for u in units], batch_size=BATCH
        )
        self.criterion_tasks = {}
        for criterion, task in task_links:
            self.criterion_tasks.setdefault(criterion.code, []).append(task)
        return rubric, criteria  # criteria in (group order, criterion order): the engine's order

    def _indicator_values(self, plan: Plan, rng: random.Random):
        quarter_ends = [
            _month_last_day(m) for m in self.months if m.month in (3, 6, 9, 12)
        ]  # measured at the end of each quarter inside the months generated
        rows = []
        for indicator in self.indicators:
            for measured_on in quarter_ends:
                if indicator.comparator == Indicator.Comparator.NONE_OCCURS:
                    value = Decimal(0 if rng.random() < 0.9 else 1)
                elif (
                    indicator.comparator == Indicator.Comparator.QUALITATIVE or indicator.target_value is None
                ):
                    continue
                elif indicator.unit == "%":
                    spread = rng.uniform(-8, 3)
                    value = Decimal(str(round(min(100.0, float(indicator.target_value) + spread), 1)))
                else:
                    value = Decimal(max(0, int(indicator.target_value) + rng.randint(-1, 2)))
                rows.append(IndicatorValue(indicator=indicator, value=value, measured_on=measured_on,
                                           note="Số liệu mô phỏng (generate_scale_data)."))  # fmt: skip
        IndicatorValue.objects.bulk_create(rows, batch_size=BATCH)
        self.summary.indicator_values += len(rows)

    # -- scorecards --

    def _cards(self, rubric, criteria, units, kinds, symbols, rng, people):
        policy = rubric.policy
        group_max: dict[str, Decimal] = {}
        for criterion in criteria:
            group_max.setdefault(criterion.group.code, criterion.group.max_points)
        group_index = {code: i for i, code in enumerate(group_max)}
        last = self.months[-1]
        # The units' character: how well and how punctually each works, and what applies to it.
        profiles = {}
        for unit in units:
            skill = min(0.99, max(0.2, rng.betavariate(4.0, 1.3)))
            punctual = min(0.98, max(0.2, 0.5 + 0.45 * skill + rng.uniform(-0.1, 0.1)))
            relevance = RELEVANCE.get(kinds[unit.pk], RELEVANCE[K.OTHER])
            applies = {
                c.code: c.code == TIMELINESS_CRITERION
                or rng.random() < relevance[group_index[c.group.code] % 7]
                for c in criteria
            }
            if not any(applies[c.code] for c in criteria if c.code != TIMELINESS_CRITERION):
                applies[criteria[0].code] = True
            profiles[unit.pk] = (skill, punctual, applies)
        self.skills = {pk: p[0] for pk, p in profiles.items()}

        built: list[_Card] = []
        for index, month in enumerate(self.months):
            present = [u for u in units if rng.random() >= (0.04 if month == last else 0.01)]
            self.summary.missing += len(units) - len(present)
            states = _last_month_states(len(present), rng) if month == last else None
            for position, unit in enumerate(present):
                if states is not None:
                    state = states[position]
                else:
                    r = rng.random()
                    state = (State.APPROVED if r < 0.94 else State.REVIEWED if r < 0.97
                             else State.SUBMITTED if r < 0.99 else State.DRAFT)  # fmt: skip
                skill, punctual, applies = profiles[unit.pk]
                # Units improve a little over the year, with a month's ups and downs.
                level = min(
                    0.995, max(0.05, skill + 0.01 * (index - len(self.months) / 2) + rng.gauss(0, 0.05))
                )
                built.append(
                    self._card(rubric, policy, group_max, criteria, unit, month, state, level, punctual,
                               applies, symbols[unit.pk], rng, people)
                )  # fmt: skip
        # Nothing can be added to an approved card (kpi 0007): approved cards are written "reviewed", carrying
        # their approval already, and become "approved" in one UPDATE once their entries, links and transitions
        # are in.
        for b in built:
            if b.card.state == State.APPROVED:
                b.card.state = State.REVIEWED
        Scorecard.objects.bulk_create([b.card for b in built], batch_size=BATCH)
        for b in built:
            for entry in b.entries:
                entry.scorecard_id = b.card.pk
            for transition in b.transitions:
                transition.scorecard_id = b.card.pk
        evidence = [e for b in built for _, e in b.evidence]
        Evidence.objects.bulk_create(evidence, batch_size=BATCH)
        entries = [e for b in built for e in b.entries]
        # Plain bulk_create: generated entries get no simple-history rows (their history would be a single
        # "created" row each; at city scale that is millions of rows nobody reads).
        ScoreEntry.objects.bulk_create(entries, batch_size=BATCH)
        Link = ScoreEntry.evidence.through
        Link.objects.bulk_create(
            [Link(scoreentry_id=entry.pk, evidence_id=ev.pk) for b in built for entry, ev in b.evidence],
            batch_size=BATCH,
        )
        transitions = [t for b in built for t in b.transitions]
        Transition.objects.bulk_create(transitions, batch_size=BATCH)
        Scorecard.objects.filter(rubric=rubric, state=State.REVIEWED, approved_at__isnull=False).update(
            state=State.APPROVED
        )
        for b in built:
            if b.card.approved_at is not None:
                b.card.state = State.APPROVED
            self.summary.states[b.card.state] += 1
        self.summary.cards += len(built)
        self.summary.entries += len(entries)
        self.summary.evidence += len(evidence)
        self.summary.transitions += len(transitions)
        return len(built), len(entries)

    def _card(self, rubric, policy, group_max, criteria, unit, month, state, level, punctual, applies, symbol,
              rng, people) -> _Card:  # fmt: skip
        officer, reviewer, leader = people
        deadline = submission_deadline(rubric, month)
        created_at = _at(month + timedelta(days=rng.randint(14, 21)), rng)
        card = Scorecard(
            unit=unit, rubric=rubric, plan_id=rubric.plan_id, month=month, state=state, created_at=created_at
        )
        transitions = []
        submitted = state != State.DRAFT
        if submitted:
            on_time = rng.random() < punctual
            day = (
                deadline - timedelta(days=rng.randint(0, 7))
                if on_time
                else deadline + timedelta(days=rng.randint(1, 12))
            )
            card.submitted_at = _at(day, rng)
            # As scorecard_submit decides it: the submission's date in Vietnam against the deadline.
            card.submitted_on_time = card.submitted_at.astimezone(TZ).date() <= deadline
            transitions.append(Transition(from_state=State.DRAFT, to_state=State.SUBMITTED, by=officer,
                                          at=card.submitted_at))  # fmt: skip
            moment = card.submitted_at
            if state in (State.REVIEWED, State.APPROVED):
                card.reviewed_by, card.reviewed_at = reviewer, _at(moment.date() + _days(rng, 1, 6), rng)
                transitions.append(Transition(from_state=State.SUBMITTED, to_state=State.REVIEWED, by=reviewer,
                                              at=card.reviewed_at, reason="Đã kiểm tra minh chứng."))  # fmt: skip
                moment = card.reviewed_at
            if state == State.APPROVED:
                card.approved_by, card.approved_at = leader, _at(moment.date() + _days(rng, 1, 5), rng)
                transitions.append(Transition(from_state=State.REVIEWED, to_state=State.APPROVED, by=leader,
                                              at=card.approved_at))  # fmt: skip
                moment = card.approved_at
            card.updated_at = moment
        else:
            card.updated_at = created_at + timedelta(days=rng.randint(0, 5), minutes=rng.randint(0, 600))

        reviewed = state in (State.REVIEWED, State.APPROVED)
        entries: list[ScoreEntry] = []
        claimed: list[tuple[str, Decimal | None]] = []  # what the unit claimed at submission, per entry
        evidence: list[tuple[ScoreEntry, Evidence]] = []
        filled = False
        for criterion in criteria:
            # Every result is explicit: "Chưa chấm" until the unit chooses (only a draft keeps any), "Không áp
            # dụng" with the unit's reason, accepted by the reviewer once the card is reviewed.
            entry = ScoreEntry(
                criterion_id=criterion.pk, group_id=criterion.group_id, result=Result.NOT_APPLICABLE,
                na_reason=NA_REASONS[0] if applies[criterion.code] else NA_REASONS[1], na_accepted=reviewed,
            )  # fmt: skip
            entries.append(entry)
            if criterion.code == TIMELINESS_CRITERION:
                entry.result, entry.na_reason, entry.na_accepted = Result.NOT_ASSESSED, "", False
                if submitted:  # proposed from the submission itself, as scorecard_submit does
                    entry.result = Result.DONE if card.submitted_on_time else Result.LATE
                    entry.comment = (
                        "Nộp đúng hạn (tự động)" if card.submitted_on_time else "Nộp muộn (tự động)"
                    )
                    entry.evidence_note = (
                        f"Phiếu nộp lúc {card.submitted_at.astimezone(TZ):%H:%M %d/%m/%Y} (hệ thống ghi)"
                    )
                claimed.append((entry.result, entry.ratio))
                continue
            not_this_month = 0.3 if criterion.frequency == Criterion.Frequency.MONTH_ROUND else 0.04
            if not applies[criterion.code] or rng.random() < not_this_month:
                claimed.append((entry.result, None))
                continue
            if not submitted and rng.random() >= 0.65:  # a draft: not scored yet
                entry.result, entry.na_reason = Result.NOT_ASSESSED, ""
                claimed.append((entry.result, None))
                continue
            filled = True
            entry.na_reason, entry.na_accepted = "", False
            entry.result, entry.ratio = _draw_result(level, rng)
            claim = (entry.result, entry.ratio)
            if reviewed and entry.result != Result.DONE and rng.random() < 0.25:
                claim = (Result.DONE, None)  # the unit claimed it done; the reviewer decided otherwise
                entry.comment = (
                    "Thẩm định: điều chỉnh kết quả tự chấm, " + rng.choice(COMMENTS[entry.result][:2]).lower()
                )
            else:
                entry.comment = rng.choice(COMMENTS[entry.result])
            claimed.append(claim)
            if reviewed and rng.random() < 0.02:
                share = Decimal(rng.choice(("0.5", "0.7", "0.8", "0.9")))
                entry.reviewed_points = round2(criterion.points * share)
                entry.review_reason = rng.choice(REVIEW_REASONS)
            attach = submitted and rng.random() < 0.06
            if not attach or rng.random() < 0.5:
                entry.evidence_note = _evidence_text(criterion, symbol, month, rng)
            if attach:
                evidence.append((entry, self._evidence(unit, criterion, month, symbol, rng, people[0])))

        # The card's score as kpi.services._store_score stores it: the engine on the entries in order.
        result = _score(criteria, entries, group_max, policy)
        card.total, card.rank = result.total, result.rank or ""
        card.group_percents = group_percents(result)
        if state == State.APPROVED:
            card.approved_total, card.approved_rank = result.total, result.rank or ""
        if submitted:
            # The unit's own claim at submission (scorecard_submit): each applicable item's points, rounded.
            differs = any(
                e.reviewed_points is not None or (e.result, e.ratio) != c
                for e, c in zip(entries, claimed, strict=True)
            )
            own = _score(criteria, entries, group_max, policy, claimed) if differs else result
            for entry, item in zip(entries, own.items, strict=True):
                entry.self_points = round2(item.achieved) if item.applicable else None
        card.version = 1 + (1 if filled or submitted else 0) + len(transitions)
        return _Card(card, entries, evidence, transitions)

    def _evidence(self, unit, criterion, month, symbol, rng, by) -> Evidence:
        token = f"{rng.getrandbits(128):032x}"
        doc_date = month + timedelta(days=rng.randint(3, 27))
        kind = _evidence_kind(criterion)
        task = (self.criterion_tasks.get(criterion.code) or [None])[0]
        return Evidence(
            unit=unit, task=task, token=token,
            # A link, not a file: no file is stored for generated evidence (a file path without the file
            # would make downloads fail), and the model requires a file or a link.
            url=f"https://vanban.mophong.example/{unit.ward.code.lower()}/{token}",
            doc_number=f"{rng.randint(1, 150)}/{_doc_type(kind)}-{symbol}", doc_date=doc_date,
            summary=f"{kind} tháng {month:%m/%Y} — tiêu chí {criterion.code}",
            uploaded_by=by, uploaded_at=_at(doc_date + timedelta(days=rng.randint(0, 3)), rng),
        )  # fmt: skip

    # -- task progress --

    def _progress(self, plan: Plan, rng: random.Random, by):
        """Lead units report on their tasks month by month (at most three of a collective lead, "Nhà trường")."""
        start = date(plan.period_start, 1, 1) if plan.period_start else self.months[0]
        months = [m for m in self.months if _month_last_day(m) >= start]
        rows = []
        for task, lead in self.task_leads:  # in the plan's order, units in the cell's order
            reporters = rng.sample(lead, 3) if len(lead) > 3 else lead
            schedule = Schedule.from_dict(task.schedule)
            for unit in reporters:
                rows += self._task_progress(task, schedule, unit.pk, months, start, rng, by)
        TaskProgress.objects.bulk_create(rows, batch_size=BATCH)
        self.summary.progress += len(rows)

    def _task_progress(self, task, schedule: Schedule, unit_id, months, start, rng, by) -> list[TaskProgress]:
        pace = self.skills.get(unit_id, 0.7)
        rows: list[TaskProgress] = []
        done: set[date] = set()
        pending: list[date] = []  # occurrences missed, perhaps completed late

        def add(day: date, percent: int, due: date | None, note: str):
            at = _at(day, rng, (14, 0), (17, 30))
            rows.append(TaskProgress(task=task, unit_id=unit_id, period_due=due, reported_on=day, percent=percent,
                                     note=note, created_by=by, created_at=at))  # fmt: skip

        for month in months:
            first, last = max(month, start), min(_month_last_day(month), self.period_end)
            if pending and rng.random() < 0.5:
                due = pending.pop(0)
                done.add(due)
                add(first + timedelta(days=rng.randint(0, 20)), 100, _period_due(schedule, due),
                    "Hoàn thành (chậm so với hạn).")  # fmt: skip
            due = _current_due(schedule, first)
            if due is None:  # ongoing work: a report most months
                if rng.random() < 0.7:
                    percent = rng.choice((30, 40, 50, 60, 70, 80, 90))
                    add(first + timedelta(days=rng.randint(5, 25)), percent, None,
                        f"Đang triển khai, ước đạt {percent}% khối lượng tháng.")  # fmt: skip
                continue
            if due in done or due in pending:
                continue
            if due <= last:  # due this month
                if rng.random() < 0.55 + 0.4 * pace:
                    done.add(due)
                    day = max(first, due - timedelta(days=rng.randint(0, 12)))
                    add(
                        day,
                        100,
                        _period_due(schedule, due),
                        f"Hoàn thành: {task.deliverable or 'đã có sản phẩm'}.",
                    )
                else:
                    pending.append(due)
                    add(max(first, due - timedelta(days=rng.randint(0, 5))), rng.choice((60, 70, 80, 90)),
                        _period_due(schedule, due), "Chưa hoàn thành đúng hạn.")  # fmt: skip
            elif rng.random() < 0.6:
                begin = period_of(schedule, due)[0] if schedule.kind == Kind.RECURRING else schedule.start
                begin = max(begin or start, start)
                span = max(1, (due - begin).days)
                elapsed = max(0, (last - begin).days)
                percent = int(min(95, max(5, 100 * elapsed / span * (0.7 + 0.5 * pace))) // 5 * 5)
                add(first + timedelta(days=rng.randint(5, 25)), percent, _period_due(schedule, due),
                    f"Đã thực hiện khoảng {percent}%.")  # fmt: skip
        return [r for r in rows if r.reported_on <= self.period_end]


# --- small helpers ------------------------------------------------------------------------------------------------


def _last_month_states(count: int, rng: random.Random) -> list[str]:
    """The newest month: some cards still drafts, some waiting for review or approval, some approved —
    in fixed shares (each state present once there are four cards), shuffled."""
    shares = [(State.DRAFT, 0.2), (State.SUBMITTED, 0.3), (State.REVIEWED, 0.25), (State.APPROVED, 0.25)]
    counts = [int(count * share) for _, share in shares]
    if count >= len(shares):
        counts = [max(1, c) for c in counts]
    while sum(counts) > count:
        counts[counts.index(max(counts))] -= 1
    index = 1
    while sum(counts) < count:
        counts[index % len(counts)] += 1
        index += 1
    states = [state for (state, _), n in zip(shares, counts, strict=True) for _ in range(n)]
    rng.shuffle(states)
    return states


def _draw_result(level: float, rng: random.Random) -> tuple[str, Decimal | None]:
    if rng.random() < level:
        return Result.DONE, None
    r = rng.random()
    if r < 0.35:
        return Result.LATE, None
    if r < 0.6:
        return Result.PARTIAL, rng.choice(RATIOS)
    if r < 0.7:
        return Result.LATE_PARTIAL, rng.choice(RATIOS)
    return Result.NOT_DONE, None


def _score(criteria: list[Criterion], entries: list[ScoreEntry], group_max, policy, claimed=None) -> Score:
    """kpi.selectors.score_entries on unsaved entries: the same Items, in the same order. With `claimed`
    ((result, ratio) per entry), the unit's claim before review instead: no manual points."""
    if claimed is None:
        items = [
            Item(key=str(i), group=c.group.code, points=c.points, result=e.result, ratio=e.ratio,
                 manual_points=e.reviewed_points)
            for i, (c, e) in enumerate(zip(criteria, entries, strict=True))
        ]  # fmt: skip
    else:
        items = [
            Item(key=str(i), group=c.group.code, points=c.points, result=result, ratio=ratio)
            for i, (c, (result, ratio)) in enumerate(zip(criteria, claimed, strict=True))
        ]
    return score(items, group_max, policy)


def _evidence_kind(criterion: Criterion) -> str:
    first = re.split(r"[;,/]", criterion.evidence or "")[0].strip()
    return first[:1].upper() + first[1:] if first else "Báo cáo"


def _doc_type(kind: str) -> str:
    folded = " ".join(normalize_name(word) for word in kind.split()[:2])
    return next((code for prefix, code in DOC_TYPES.items() if folded.startswith(prefix)), "VB")


def _evidence_text(criterion: Criterion, symbol: str, month: date, rng: random.Random) -> str:
    kind = _evidence_kind(criterion)
    day = month + timedelta(days=rng.randint(3, 27))
    return f"{kind} số {rng.randint(1, 150)}/{_doc_type(kind)}-{symbol} ngày {day:%d/%m/%Y}"


def _current_due(schedule: Schedule, on: date) -> date | None:
    """The due date a report made on `on` counts towards (as tasks.services.current_period_due), or None."""
    if schedule.first_due and on <= schedule.first_due:
        return schedule.first_due
    if schedule.kind == Kind.RECURRING:
        upcoming = due_dates(schedule, on, date(on.year + 2, 12, 31))
        return upcoming[0] if upcoming else None
    if schedule.kind in (Kind.ONCE, Kind.RANGE, Kind.ON_REQUEST):
        return schedule.due
    return None


def _period_due(schedule: Schedule, due: date) -> date | None:
    """What a progress row stores as its period: the occurrence for recurring tasks and first milestones."""
    return due if schedule.kind == Kind.RECURRING or due == schedule.first_due else None


def _month_last_day(month: date) -> date:
    return next_month(month) - timedelta(days=1)


def _days(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(days=rng.randint(low, high))


def _at(day: date, rng: random.Random, start=(7, 30), end=(17, 30)) -> datetime:
    """A moment of office hours on `day`, in Vietnam."""
    minute = rng.randint(start[0] * 60 + start[1], end[0] * 60 + end[1])
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, rng.randint(0, 59), tzinfo=TZ)


# --- digest (tests, and checking two runs) -----------------------------------------------------------------------


def digest() -> str:
    """A SHA-256 over every generated row by natural keys (codes, months, usernames), not database ids: equal
    for two runs with the same arguments, whatever ids the database handed out."""
    units = generated_units()
    plans = generated_plans()
    cards = Scorecard.objects.filter(unit__in=units)
    h = hashlib.sha256()

    def feed(label: str, rows):
        h.update(label.encode())
        for row in rows:
            h.update(json.dumps([_plain(v) for v in row], ensure_ascii=False, sort_keys=True).encode())
            h.update(b"\n")

    feed(
        "units",
        units.order_by("code").values_list(
            "code",
            "parent__code",
            "kind",
            "name",
            "short_name",
            "school_level",
            "path",
            "ward__code",
            "is_demo",
        ),
    )
    feed(
        "aliases",
        UnitAlias.objects.filter(unit__in=units)
        .order_by("unit__code", "normalized")
        .values_list("unit__code", "text"),
    )
    feed(
        "profiles",
        UserProfile.objects.filter(unit__in=units)
        .order_by("user__username")
        .values_list("user__username", "unit__code", "role", "user__first_name", "user__is_active"),
    )
    feed(
        "documents",
        DocumentProfile.objects.filter(unit__in=units)
        .order_by("unit__code")
        .values_list(
            "unit__code",
            "parent_line",
            "name_line",
            "place",
            "symbol",
            "signer_title",
            "recipients",
            "issues_reports",
        ),
    )
    feed(
        "plans",
        plans.order_by("code").values_list(
            "code", "number", "issuer__code", "issued_on", "title", "period_start", "period_end", "status"
        ),
    )
    feed(
        "groups",
        TaskGroup.objects.filter(plan__in=plans)
        .order_by("plan__code", "code")
        .values_list("plan__code", "code", "title", "order"),
    )
    feed(
        "tasks",
        Task.objects.filter(plan__in=plans)
        .order_by("plan__code", "code")
        .values_list(
            "plan__code",
            "code",
            "order",
            "group__code",
            "content",
            "lead_text",
            "coordinating_text",
            "unresolved_units",
            "deliverable",
            "deadline_text",
            "schedule",
            "parent__code",
            "duplicate_of__code",
        ),
    )
    feed(
        "task-leads",
        Task.lead_units.through.objects.filter(task__plan__in=plans)
        .order_by("task__plan__code", "task__code", "orgunit__code")
        .values_list("task__code", "orgunit__code"),
    )
    feed(
        "task-coord",
        Task.coordinating_units.through.objects.filter(task__plan__in=plans)
        .order_by("task__plan__code", "task__code", "orgunit__code")
        .values_list("task__code", "orgunit__code"),
    )
    feed(
        "indicators",
        Indicator.objects.filter(plan__in=plans)
        .order_by("plan__code", "code")
        .values_list("plan__code", "code", "comparator", "target_value", "responsible_unit__code"),
    )
    feed(
        "indicator-values",
        IndicatorValue.objects.filter(indicator__plan__in=plans)
        .order_by("indicator__plan__code", "indicator__code", "measured_on")
        .values_list("indicator__plan__code", "indicator__code", "measured_on", "value"),
    )
    feed(
        "rubrics",
        Rubric.objects.filter(plan__in=plans)
        .order_by("plan__code", "version")
        .values_list("plan__code", "version", "name", "total", "late_factor", "submission_day", "created_at"),
    )
    feed(
        "rubric-units",
        Rubric.units.through.objects.filter(rubric__plan__in=plans)
        .order_by("rubric__plan__code", "orgunit__code")
        .values_list("rubric__plan__code", "orgunit__code"),
    )
    feed(
        "criteria",
        Criterion.objects.filter(group__rubric__plan__in=plans)
        .order_by("group__rubric__plan__code", "group__order", "order")
        .values_list("group__rubric__plan__code", "group__code", "code", "points", "frequency"),
    )
    feed(
        "criterion-tasks",
        Criterion.tasks.through.objects.filter(criterion__group__rubric__plan__in=plans)
        .order_by("criterion__group__rubric__plan__code", "criterion__code", "task__code")
        .values_list("criterion__group__rubric__plan__code", "criterion__code", "task__code"),
    )
    feed(
        "cards",
        cards.order_by("unit__code", "month").values_list(
            "unit__code",
            "month",
            "state",
            "version",
            "submitted_at",
            "submitted_on_time",
            "reviewed_by__username",
            "reviewed_at",
            "approved_by__username",
            "approved_at",
            "approved_total",
            "approved_rank",
            "total",
            "rank",
            "group_percents",
            "created_at",
            "updated_at",
        ),
    )
    feed(
        "entries",
        ScoreEntry.objects.filter(scorecard__in=cards)
        .order_by("scorecard__unit__code", "scorecard__month", "criterion__code")
        .values_list(
            "scorecard__unit__code",
            "scorecard__month",
            "criterion__code",
            "result",
            "ratio",
            "self_points",
            "reviewed_points",
            "review_reason",
            "comment",
            "evidence_note",
        ),
    )
    feed(
        "entry-evidence",
        ScoreEntry.evidence.through.objects.filter(scoreentry__scorecard__in=cards)
        .order_by("evidence__token")
        .values_list(
            "scoreentry__scorecard__unit__code",
            "scoreentry__scorecard__month",
            "scoreentry__criterion__code",
            "evidence__token",
        ),
    )
    feed(
        "evidence",
        Evidence.objects.filter(unit__in=units)
        .order_by("token")
        .values_list(
            "token",
            "unit__code",
            "task__plan__code",
            "task__code",
            "url",
            "doc_number",
            "doc_date",
            "summary",
            "uploaded_by__username",
            "uploaded_at",
        ),
    )
    feed(
        "transitions",
        Transition.objects.filter(scorecard__in=cards)
        .order_by("scorecard__unit__code", "scorecard__month", "at", "to_state")
        .values_list(
            "scorecard__unit__code",
            "scorecard__month",
            "from_state",
            "to_state",
            "by__username",
            "at",
            "reason",
        ),
    )
    feed(
        "progress",
        TaskProgress.objects.filter(task__plan__in=plans)
        .order_by("task__plan__code", "task__code", "unit__code", "reported_on", "percent", "period_due")
        .values_list(
            "task__plan__code",
            "task__code",
            "unit__code",
            "period_due",
            "reported_on",
            "percent",
            "note",
            "created_by__username",
            "created_at",
        ),
    )
    return h.hexdigest()


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value
