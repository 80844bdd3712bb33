from io import StringIO

import pytest
from django.contrib.auth import authenticate as django_authenticate
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from plans.models import OrgUnit, UserProfile
from tests.factories import OrgUnitFactory

Kind = OrgUnit.Kind


def authenticate(**credentials):
    """As the sign-in page does it: django-axes needs the request."""
    from django.test import RequestFactory

    return django_authenticate(request=RequestFactory().post("/dang-nhap/"), **credentials)


@pytest.fixture
def long_bien(db):
    ward = OrgUnitFactory(code="LB", kind=Kind.WARD, name="Phường Long Biên")
    ubnd = OrgUnitFactory(code="LB-UBND", kind=Kind.PEOPLE_COMMITTEE, parent=ward, name="UBND phường")
    OrgUnitFactory(code="LB-VHXH", parent=ubnd, name="Phòng Văn hóa - Xã hội")
    OrgUnitFactory(code="LB-CA", kind=Kind.POLICE, parent=ward, name="Công an phường Long Biên")
    OrgUnitFactory(code="LB-S1", kind=Kind.SCHOOL, parent=ward, name="Trường Tiểu học Minh Họa", is_demo=True)
    return ward


def test_it_creates_one_user_per_role_with_the_given_password(long_bien, settings):
    settings.DEBUG = True  # pytest-django turns it off; the command is for development
    settings.DEMO_PASSWORD = "thu-nghiem-123"
    out = StringIO()
    call_command("create_demo_users", stdout=out)
    roles = dict(UserProfile.objects.values_list("user__username", "role"))
    assert roles == {
        "quantri": "admin", "lanhdao": "leader", "thamdinh": "reviewer", "canbo.vhxh": "officer",
        "canbo.congan": "officer", "canbo.truong": "officer",
    }  # fmt: skip
    assert UserProfile.objects.get(user__username="canbo.truong").unit.code == "LB-S1"
    assert authenticate(username="canbo.congan", password="thu-nghiem-123") is not None
    assert get_user_model().objects.get(username="quantri").is_superuser
    assert "canbo.vhxh     / thu-nghiem-123" in out.getvalue()
    call_command("create_demo_users", stdout=StringIO())  # twice is safe
    assert get_user_model().objects.count() == 6


def test_it_generates_and_prints_a_password_when_none_is_set(long_bien, settings):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = ""
    out = StringIO()
    call_command("create_demo_users", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if line.strip().startswith("lanhdao"))
    password = line.split("/")[1].split("—")[0].strip()
    assert len(password) >= 10
    assert authenticate(username="lanhdao", password=password) is not None


def test_it_refuses_to_run_in_production_unless_forced(long_bien, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG đang tắt"):
        call_command("create_demo_users", stdout=StringIO())
    call_command("create_demo_users", "--force", stdout=StringIO())
    assert get_user_model().objects.count() == 6
