import factory
from django.contrib.auth import get_user_model

from plans.models import OrgUnit, Plan, UnitAlias, UserProfile
from tasks.models import Task, TaskGroup, TaskProgress


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    kind = OrgUnit.Kind.DEPARTMENT
    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"Đơn vị {n}")


class UnitAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnitAlias


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    code = factory.Sequence(lambda n: f"KH-{n:04d}")
    number = factory.Sequence(lambda n: f"{n + 100}-KH/UBND")
    title = "Kế hoạch thử"
    status = Plan.Status.ISSUED
    period_start = 2026
    period_end = 2030


class TaskGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskGroup

    code = factory.Sequence(lambda n: f"NHÓM {n}")
    title = "Nhóm thử"


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    code = factory.Sequence(lambda n: str(n + 1))
    content = "Nhiệm vụ thử"
    deadline_text = "Quý II/2026"


class TaskProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskProgress


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("password")


class UserProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserProfile
