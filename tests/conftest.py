import importlib
from dataclasses import dataclass

import pytest

from plans.models import CollectiveAlias, OrgUnit
from tests.factories import OrgUnitFactory, PlanFactory, UnitAliasFactory

Kind = OrgUnit.Kind


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_lock_triggers():
    """Transactional tests (the live server) end with a flush, which on SQLite is a DELETE per table: the lock
    triggers (kpi 0007) refuse it for approved cards and the Nhật ký, as they should for any other DELETE. The
    flush empties the whole test database, so the triggers are lifted for it alone and put back at once.
    (PostgreSQL flushes with TRUNCATE, which fires no row trigger.)"""
    from django.db import connection, transaction

    if connection.vendor != "sqlite":
        yield
        return
    DatabaseOperations = type(connection.ops)
    locks = importlib.import_module("kpi.migrations.0007_lock_triggers")
    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with transaction.atomic(using=self.connection.alias):
            locks.drop_triggers(self.connection)
            original(self, sql_list)
            locks.create_triggers(self.connection)

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original


@dataclass
class World:
    """A small ward of our own, apart from the seeded one: 'Phường Thử' under a city."""

    city: OrgUnit
    ward: OrgUnit
    ubnd: OrgUnit
    vhxh: OrgUnit
    police: OrgUnit
    school_mn: OrgUnit
    school_th: OrgUnit
    youth: OrgUnit
    other_ward: OrgUnit
    other_ubnd: OrgUnit
    other_school: OrgUnit
    city_ubnd: OrgUnit


@pytest.fixture
def world(db) -> World:
    city = OrgUnitFactory(code="T-CITY", kind=Kind.CITY, name="Thành phố Thử")
    city_ubnd = OrgUnitFactory(
        code="T-CITY-UBND", kind=Kind.PEOPLE_COMMITTEE, parent=city, name="UBND Thành phố Thử"
    )
    UnitAliasFactory(unit=city_ubnd, text="UBND Thành phố")
    ward = OrgUnitFactory(code="T-W1", kind=Kind.WARD, parent=city, name="Phường Thử Một")
    ubnd = OrgUnitFactory(
        code="T-W1-UBND", kind=Kind.PEOPLE_COMMITTEE, parent=ward, name="Ủy ban nhân dân phường"
    )
    UnitAliasFactory(unit=ubnd, text="UBND phường")
    UnitAliasFactory(unit=ubnd, text="UBND")
    vhxh = OrgUnitFactory(
        code="T-W1-VHXH", parent=ubnd, name="Phòng Văn hóa - Xã hội", short_name="Phòng VH-XH"
    )
    for alias in ["Phòng VHXH", "P.VHXXH", "Phòng VHXXH", "P.VHXH"]:
        UnitAliasFactory(unit=vhxh, text=alias)
    kthtdt = OrgUnitFactory(code="T-W1-KT", parent=ubnd, name="Phòng Kinh tế, Hạ tầng và Đô thị")
    UnitAliasFactory(unit=kthtdt, text="P.KTHTĐT")
    police = OrgUnitFactory(code="T-W1-CA", kind=Kind.POLICE, parent=ward, name="Công an phường Thử Một")
    for alias in ["Công an phường", "CA phường", "CA", "Công an"]:
        UnitAliasFactory(unit=police, text=alias)
    school_mn = OrgUnitFactory(
        code="T-W1-MN", kind=Kind.SCHOOL, parent=ward, name="Trường Mầm non A", school_level="MN"
    )
    school_th = OrgUnitFactory(
        code="T-W1-TH", kind=Kind.SCHOOL, parent=ward, name="Trường Tiểu học B", school_level="TH"
    )
    youth = OrgUnitFactory(code="T-W1-DTN", kind=Kind.MASS_ORG, parent=ward, name="Đoàn Thanh niên phường")
    UnitAliasFactory(unit=youth, text="Đoàn TN")
    other_ward = OrgUnitFactory(code="T-W2", kind=Kind.WARD, parent=city, name="Phường Thử Hai")
    other_ubnd = OrgUnitFactory(
        code="T-W2-UBND", kind=Kind.PEOPLE_COMMITTEE, parent=other_ward, name="UBND phường Hai"
    )
    UnitAliasFactory(unit=other_ubnd, text="UBND phường")
    other_school = OrgUnitFactory(
        code="T-W2-TH", kind=Kind.SCHOOL, parent=other_ward, name="Trường Tiểu học C"
    )
    for phrase, kinds, level in [
        ("các trường", ["school"], ""),
        ("các cơ sở giáo dục trên địa bàn", ["school"], ""),
        ("Trường MN", ["school"], "MN"),
        ("đoàn thể", ["mass_org"], ""),
    ]:
        CollectiveAlias.objects.create(text=phrase, kinds=kinds, school_level=level)
    return World(
        city,
        ward,
        ubnd,
        vhxh,
        police,
        school_mn,
        school_th,
        youth,
        other_ward,
        other_ubnd,
        other_school,
        city_ubnd,
    )


@pytest.fixture
def plan(world):
    return PlanFactory(issuer=world.ubnd)


# --- KPI -------------------------------------------------------------------------------------------------------

# The shape of PHỤ LỤC II: group code -> (max points, number of criteria).
RUBRIC_SHAPE = {
    "1": (15, 4),
    "2": (20, 4),
    "3": (15, 4),
    "4": (20, 4),
    "5": (15, 4),
    "6": (10, 3),
    "7": (5, 2),
}


@pytest.fixture
def rubric(plan, world):
    from kpi.services import rubric_create

    groups = [
        {
            "code": code,
            "name": f"Nhóm {code}",
            "max_points": max_points,
            "criteria": [
                {"code": f"{code}.{i}", "name": f"Tiêu chí {code}.{i}"} for i in range(1, count + 1)
            ],
        }
        for code, (max_points, count) in RUBRIC_SHAPE.items()
    ]
    rubric = rubric_create(plan=plan, name="KPI thử", groups=groups)
    rubric.units.set([world.vhxh, world.police, world.school_mn])
    return rubric


@dataclass
class People:
    alice: object  # officer of Phòng VH-XH
    bob: object  # reviewer, the whole ward
    charlie: object  # leader, the whole ward
    dave: object  # officer of the other ward's UBND
    erin: object  # leader of the other ward


@pytest.fixture
def people(world):
    from plans.models import UserProfile
    from tests.factories import UserFactory, UserProfileFactory

    Role = UserProfile.Role

    def person(name, unit, role):
        user = UserFactory(username=name)
        UserProfileFactory(user=user, unit=unit, role=role)
        return user

    return People(
        alice=person("alice", world.vhxh, Role.OFFICER),
        bob=person("bob", world.ward, Role.REVIEWER),
        charlie=person("charlie", world.ward, Role.LEADER),
        dave=person("dave", world.other_ubnd, Role.OFFICER),
        erin=person("erin", world.other_ward, Role.LEADER),
    )
