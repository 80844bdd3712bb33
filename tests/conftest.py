from dataclasses import dataclass

import pytest

from plans.models import CollectiveAlias, OrgUnit
from tests.factories import OrgUnitFactory, PlanFactory, UnitAliasFactory

Kind = OrgUnit.Kind


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
