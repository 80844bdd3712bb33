import pytest

from plans.models import OrgUnit
from plans.text import normalize_name
from plans.units import UnitDirectory
from tests.factories import OrgUnitFactory


@pytest.mark.parametrize(
    "written",
    ["Phòng Văn hóa - Xã hội", "Phòng VH-XH", "Phòng VHXH", "P.VHXXH", "Phòng VHXXH", "P.VHXH", "phong van hoa xa hoi",
     "PHÒNG  VĂN HOÁ – XÃ HỘI", "p. vhxh"],
)  # fmt: skip
def test_it_finds_a_unit_however_it_is_written(world, written):
    resolution = UnitDirectory(world.ward).resolve(written)
    assert resolution.units == [world.vhxh]
    assert resolution.unresolved == []


def test_it_ignores_case_diacritics_punctuation_and_spacing():
    assert normalize_name("Phòng VH-XH") == normalize_name("phong vhxh") == normalize_name("P hòng V.H X.H")
    assert normalize_name("Đoàn TN") == "doantn"


def test_it_splits_a_cell_naming_several_units(world):
    resolution = UnitDirectory(world.ward).resolve("P.KTHTĐT; CA phường, Đoàn TN / UBND phường")
    assert [u.code for u in resolution.units] == ["T-W1-KT", "T-W1-CA", "T-W1-DTN", "T-W1-UBND"]


def test_it_keeps_full_names_that_contain_separators_whole(world):
    resolution = UnitDirectory(world.ward).resolve(
        "Phòng Kinh tế, Hạ tầng và Đô thị; Công an phường và các cơ sở giáo dục trên địa bàn."
    )
    assert [u.code for u in resolution.units] == ["T-W1-KT", "T-W1-CA", "T-W1-MN", "T-W1-TH"]
    assert resolution.unresolved == []


def test_it_resolves_collectives_to_the_units_of_the_same_ward(world):
    directory = UnitDirectory(world.ward)
    assert directory.resolve("các trường").units == [world.school_mn, world.school_th]
    assert world.other_school not in directory.resolve("Các Trường").units
    assert directory.resolve("Trường MN").units == [world.school_mn]
    assert directory.resolve("đoàn thể").units == [world.youth]
    assert UnitDirectory(world.other_ward).resolve("các trường").units == [world.other_school]


def test_it_prefers_the_wards_own_unit_and_still_finds_city_units(world):
    assert UnitDirectory(world.ward).resolve("UBND phường").units == [world.ubnd]
    assert UnitDirectory(world.other_ward).resolve("UBND phường").units == [world.other_ubnd]
    assert UnitDirectory(world.ward).resolve("UBND Thành phố").units == [world.city_ubnd]


def test_it_reports_what_it_cannot_resolve(world):
    resolution = UnitDirectory(world.ward).resolve("Các trường; DN; Các đơn vị liên quan")
    assert resolution.units == [world.school_mn, world.school_th]
    assert resolution.unresolved == ["DN", "Các đơn vị liên quan"]


def test_it_knows_phrases_that_name_no_unit(world):
    from plans.models import CollectiveAlias

    CollectiveAlias.objects.create(text="đơn vị liên quan", kinds=[])
    resolution = UnitDirectory(world.ward).resolve("P.VHXH; Đơn vị liên quan; Phòng Ma")
    assert resolution.units == [world.vhxh]
    assert resolution.generic == ["Đơn vị liên quan"]
    assert resolution.unresolved == ["Phòng Ma"]


def test_it_reports_a_name_two_units_of_the_ward_share_as_ambiguous(world):
    OrgUnitFactory(code="T-W1-X", parent=world.ward, name="Phòng Văn hóa - Xã hội")
    directory = UnitDirectory(world.ward)
    resolution = directory.resolve("Phòng Văn hóa - Xã hội")
    assert resolution.units == []
    assert list(resolution.ambiguous) == ["Phòng Văn hóa - Xã hội"]
    assert directory.resolve("P.VHXH").units == [world.vhxh]  # the alias still names one unit


def test_it_resolves_many_cells_with_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        directory = UnitDirectory(world.ward)
        for _ in range(50):
            directory.resolve("P.VHXXH; CA phường; các trường; đoàn thể")


def test_it_keeps_the_tree_paths_and_wards_in_step(world):
    assert world.vhxh.path == "T-CITY/T-W1/T-W1-UBND/T-W1-VHXH"
    assert world.vhxh.ward == world.ward
    assert world.ward.ward == world.ward
    assert world.city_ubnd.ward is None
    assert set(OrgUnit.objects.subtree(world.ubnd)) == {
        world.ubnd,
        world.vhxh,
        OrgUnit.objects.get(code="T-W1-KT"),
    }
    # Moving a department to the other ward moves its ward and path with it.
    world.ubnd.parent = world.other_ward
    world.ubnd.save()
    world.vhxh.refresh_from_db()
    assert world.vhxh.path == "T-CITY/T-W2/T-W1-UBND/T-W1-VHXH"
    assert world.vhxh.ward == world.other_ward
