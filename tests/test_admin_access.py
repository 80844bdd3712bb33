"""The admin cannot go around the workflow, nor outside one's part of the org tree.

`TABLE` names every model registered in the admin (a new admin without a row fails
`test_it_has_a_row_for_every_registered_admin`), with the objects of ward 1 and ward 2 it is checked against.
`ward_admin` is a staff member of ward 1 (profile role admin at the ward) holding every model permission there
is, so only the admin's scoping stands between them and ward 2.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date
from io import BytesIO

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from kpi.models import Criterion, Scorecard, ScoreEntry, Transition
from kpi.scoring import Result
from kpi.services import (
    EntryInput,
    rubric_create,
    scorecard_get_or_create,
    scorecard_review,
    scorecard_submit,
    scorecard_update_entries,
)
from plans.admin_scope import ScopedAdmin
from plans.audit import Action, audit_record
from plans.models import (
    AuditEntry,
    CollectiveAlias,
    DocumentProfile,
    Indicator,
    IndicatorValue,
    Plan,
    UnitAlias,
    UserProfile,
)
from tasks.models import Evidence
from tests.conftest import RUBRIC_SHAPE
from tests.factories import (
    PlanFactory,
    TaskFactory,
    TaskGroupFactory,
    TaskProgressFactory,
    UserFactory,
    UserProfileFactory,
)
from tests.kpi_helpers import accept_not_applicable, settle

SCOPED, GLOBAL, SUPERUSER = "scoped", "global", "superuser"


@dataclass
class Row:
    kind: str  # SCOPED: ward 1 sees its own, never ward 2's; GLOBAL: read by all; SUPERUSER: not at all
    can_add: bool  # whether ward 1's admin gets the add form
    autocomplete: tuple[str, str, str] | None = None  # a (app, model, field) whose autocomplete lists it


TABLE = {
    "plans.orgunit": Row(SCOPED, True, ("plans", "unitalias", "unit")),
    "plans.unitalias": Row(SCOPED, True),
    "plans.collectivealias": Row(GLOBAL, False),
    "plans.plan": Row(SCOPED, True, ("plans", "indicator", "plan")),
    "plans.indicator": Row(SCOPED, True, ("plans", "indicatorvalue", "indicator")),
    "plans.indicatorvalue": Row(SCOPED, True),
    "plans.documentprofile": Row(SCOPED, True),
    "plans.userprofile": Row(SCOPED, True),
    "plans.auditentry": Row(SCOPED, False),
    "auth.user": Row(SCOPED, False),
    "auth.group": Row(SUPERUSER, False),
    "axes.accessattempt": Row(SUPERUSER, False),
    "axes.accesslog": Row(SUPERUSER, False),
    "axes.accessfailurelog": Row(SUPERUSER, False),
    # The job queue's own pages (django-q2): queued, successful, failed and scheduled jobs.
    "django_q.ormq": Row(SUPERUSER, False),
    "django_q.success": Row(SUPERUSER, False),
    "django_q.failure": Row(SUPERUSER, False),
    "django_q.schedule": Row(SUPERUSER, False),
    "admin.logentry": Row(SUPERUSER, False),
    "tasks.task": Row(SCOPED, True, ("kpi", "criterion", "tasks")),
    "tasks.taskgroup": Row(SCOPED, True),
    "tasks.taskprogress": Row(SCOPED, True),
    "tasks.evidence": Row(SCOPED, False),
    "kpi.rubric": Row(SCOPED, True),
    "kpi.rubricgroup": Row(SCOPED, True),
    "kpi.criterion": Row(SCOPED, False),
    "kpi.scorecard": Row(SCOPED, False),
    "kpi.scoreentry": Row(SCOPED, False),
    "kpi.transition": Row(SCOPED, False),
}
READ_ONLY_FOR_EVERYONE = [Scorecard, ScoreEntry, Transition, AuditEntry]


def _rubric(plan, name):
    groups = [
        {
            "code": code,
            "name": f"Nhóm {code}",
            "max_points": points,
            "criteria": [{"code": f"{code}.{i}", "name": f"Tiêu chí {code}.{i}"} for i in range(1, n + 1)],
        }
        for code, (points, n) in RUBRIC_SHAPE.items()
    ]
    return rubric_create(plan=plan, name=name, groups=groups)


def _side(unit, ward, plan, rubric, person):
    """One object of every model, all in the same ward."""
    task = TaskFactory(plan=plan, group=TaskGroupFactory(plan=plan))
    task.lead_units.set([unit])
    indicator = Indicator.objects.create(plan=plan, code="I-1", text="Tỷ lệ thử", comparator="qualitative")
    card = scorecard_get_or_create(unit=unit, rubric=rubric, month=date(2026, 3, 1))
    return {
        "plans.orgunit": unit,
        "plans.unitalias": UnitAlias.objects.create(unit=unit, text=f"Tên khác {unit.code}"),
        "plans.plan": plan,
        "plans.indicator": indicator,
        "plans.indicatorvalue": IndicatorValue.objects.create(
            indicator=indicator, value=1, measured_on=date(2026, 3, 31)
        ),
        "plans.documentprofile": DocumentProfile.objects.create(
            unit=unit, name_line="PHÒNG THỬ", place="Thử", symbol="BC-T", signer_title="Trưởng phòng"
        ),
        "plans.userprofile": person.profile,
        "plans.auditentry": audit_record(action=Action.IMPORT, unit=ward, summary=f"Nhập thử {ward.code}"),
        "auth.user": person,
        "tasks.task": task,
        "tasks.taskgroup": task.group,
        "tasks.taskprogress": TaskProgressFactory(
            task=task, unit=unit, reported_on=date(2026, 3, 1), percent=20
        ),
        "tasks.evidence": Evidence.objects.create(
            unit=unit,
            task=task,
            token=secrets.token_hex(16),
            url="https://example.org/vb",
            summary="Văn bản",
            uploaded_by=person,
            uploaded_at=timezone.now(),
        ),
        "kpi.rubric": rubric,
        "kpi.rubricgroup": rubric.groups.first(),
        "kpi.criterion": Criterion.objects.filter(group__rubric=rubric).first(),
        "kpi.scorecard": card,
        "kpi.scoreentry": card.entries.first(),
        "kpi.transition": Transition.objects.create(scorecard=card, from_state="draft", to_state="draft"),
    }


def _queue_rows():
    from django_q.models import Failure, OrmQ, Schedule, Success

    now = timezone.now()
    task = {"func": "reports.reminders.daily", "started": now, "stopped": now}
    return {
        "django_q.ormq": OrmQ.objects.create(key="kehoach", payload="x", lock=now),
        "django_q.success": Success.objects.create(id="s1", name="s1", success=True, **task),
        "django_q.failure": Failure.objects.create(id="f1", name="f1", success=False, **task),
        "django_q.schedule": Schedule.objects.create(name="send_reminders", func="reports.reminders.daily"),
    }


@pytest.fixture
def scene(world, people, rubric, plan):
    other_plan = PlanFactory(issuer=world.other_ubnd)
    other_rubric = _rubric(other_plan, "KPI phường Hai")
    shared = {
        "plans.collectivealias": CollectiveAlias.objects.get(text="các trường"),
        "auth.group": Group.objects.create(name="Nhóm thử"),
        "axes.accessattempt": AccessAttempt.objects.create(
            username="x",
            ip_address="127.0.0.1",
            user_agent="t",
            http_accept="",
            path_info="/",
            get_data="",
            post_data="",
            failures_since_start=1,
        ),
        "axes.accesslog": AccessLog.objects.create(
            username="x", ip_address="127.0.0.1", user_agent="t", http_accept="", path_info="/"
        ),
        "axes.accessfailurelog": AccessFailureLog.objects.create(
            username="x", ip_address="127.0.0.1", user_agent="t", http_accept="", path_info="/"
        ),
        **_queue_rows(),
        "admin.logentry": LogEntry.objects.create(
            user=people.bob,
            content_type=ContentType.objects.get_for_model(Group),
            object_id="1",
            object_repr="Nhóm thử",
            action_flag=CHANGE,
            change_message="[]",
        ),
    }
    own = {**shared, **_side(world.vhxh, world.ward, plan, rubric, people.alice)}
    other = {**shared, **_side(world.other_ubnd, world.other_ward, other_plan, other_rubric, people.dave)}
    return own, other


@pytest.fixture
def ward_admin(client, world):
    user = UserFactory(username="qtv.phuong1", is_staff=True, first_name="Quản", last_name="Trị Viên")
    UserProfileFactory(user=user, unit=world.ward, role=UserProfile.Role.ADMIN)
    user.user_permissions.set(Permission.objects.all())
    client.force_login(user)
    return client


@pytest.fixture
def root(client, db):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    client.user = user
    return client


def url(label, view, *args):
    app, model = label.split(".")
    return reverse(f"admin:{app}_{model}_{view}", args=args)


def listed(client, label) -> set[int]:
    response = client.get(url(label, "changelist"))
    assert response.status_code == 200, label
    return {obj.pk for obj in response.context["cl"].result_list}


ROWS = [pytest.param(label, id=label) for label in TABLE]
SCOPED_ROWS = [pytest.param(label, id=label) for label, row in TABLE.items() if row.kind == SCOPED]


# --- every admin URL --------------------------------------------------------------------------------------------


def test_it_has_a_row_for_every_registered_admin():
    assert {model._meta.label_lower for model in admin.site._registry} == set(TABLE)


def test_it_scopes_every_registered_admin_with_the_one_mixin():
    unscoped = [m._meta.label for m, a in admin.site._registry.items() if not isinstance(a, ScopedAdmin)]
    assert unscoped == []


@pytest.mark.parametrize("label", SCOPED_ROWS)
def test_it_lists_only_the_wards_own_objects(ward_admin, scene, label):
    own, other = scene
    pks = listed(ward_admin, label)
    assert own[label].pk in pks
    assert other[label].pk not in pks


@pytest.mark.parametrize("label", SCOPED_ROWS)
def test_it_answers_404_for_another_wards_object(ward_admin, scene, label):
    other = scene[1][label]
    for view in ("change", "delete", "history"):
        assert ward_admin.get(url(label, view, other.pk)).status_code in (403, 404), view
    assert ward_admin.post(url(label, "delete", other.pk), {"post": "yes"}).status_code in (403, 404)
    assert type(other).objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("label", SCOPED_ROWS)
def test_it_opens_the_wards_own_object(ward_admin, scene, label):
    own = scene[0][label]
    assert ward_admin.get(url(label, "change", own.pk)).status_code == 200
    assert ward_admin.get(url(label, "history", own.pk)).status_code == 200


@pytest.mark.parametrize("label", ROWS)
def test_it_offers_the_add_form_only_where_the_ward_may_add(ward_admin, scene, label):
    assert ward_admin.get(url(label, "add")).status_code == (200 if TABLE[label].can_add else 403)


@pytest.mark.parametrize("label", [p for p in ROWS if TABLE[p.values[0]].autocomplete])
def test_it_autocompletes_only_the_wards_own_objects(ward_admin, scene, label):
    own, other = scene
    app, model, field = TABLE[label].autocomplete
    response = ward_admin.get(
        reverse("admin:autocomplete"),
        {"app_label": app, "model_name": model, "field_name": field, "term": ""},
    )
    assert response.status_code == 200
    ids = {int(item["id"]) for item in response.json()["results"]}
    assert own[label].pk in ids and other[label].pk not in ids


@pytest.mark.parametrize("label", [p for p in ROWS if TABLE[p.values[0]].kind == SUPERUSER])
def test_it_keeps_site_machinery_for_superusers(ward_admin, scene, label):
    obj = scene[0][label]
    assert ward_admin.get(url(label, "changelist")).status_code == 403
    for view in ("change", "delete", "history"):
        assert ward_admin.get(url(label, view, obj.pk)).status_code in (403, 404), view


def test_it_shows_shared_reference_data_read_only(ward_admin, scene):
    alias = scene[0]["plans.collectivealias"]
    page = ward_admin.get(url("plans.collectivealias", "change", alias.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert ward_admin.post(url("plans.collectivealias", "change", alias.pk), {"text": "x"}).status_code == 403


# --- choices and filters ----------------------------------------------------------------------------------------


def test_it_offers_only_units_in_scope_as_a_plans_issuer(ward_admin, scene, world):
    form = ward_admin.get(url("plans.plan", "add")).context["adminform"].form
    issuers = set(form.fields["issuer"].queryset)
    assert world.vhxh in issuers and world.other_ubnd not in issuers


def test_it_offers_only_units_in_scope_to_a_rubric(ward_admin, scene, world):
    form = ward_admin.get(url("kpi.rubric", "add")).context["adminform"].form
    units = set(form.fields["units"].queryset)
    assert world.police in units and world.other_school not in units


def test_it_refuses_an_issuer_outside_scope(ward_admin, scene, world):
    data = {"code": "KH-X", "number": "", "issuer": world.other_ubnd.pk, "title": "X", "status": "draft"}
    response = ward_admin.post(url("plans.plan", "add"), data)
    assert response.status_code == 200 and "issuer" in response.context["adminform"].form.errors
    assert not Plan.objects.filter(code="KH-X").exists()


def test_it_filters_by_units_in_scope_only(ward_admin, scene, world):
    PlanFactory(issuer=world.vhxh)  # two issuers in the ward, or the filter is not shown at all
    response = ward_admin.get(url("plans.plan", "changelist"))
    (issuer_filter,) = [
        f for f in response.context["cl"].filter_specs if getattr(f, "field_path", "") == "issuer"
    ]
    offered = {pk for pk, _ in issuer_filter.lookup_choices}
    assert offered == {world.ubnd.pk, world.vhxh.pk}


def test_it_refuses_a_new_root_unit(ward_admin, scene):
    data = {"kind": "department", "code": "ROOT-X", "name": "Gốc mới", "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0", "aliases-MIN_NUM_FORMS": "0", "aliases-MAX_NUM_FORMS": "1000"}  # fmt: skip
    response = ward_admin.post(url("plans.orgunit", "add"), data)
    assert response.status_code == 200 and "parent" in response.context["adminform"].form.errors


def test_it_keeps_accounts_from_handing_out_superuser_status(ward_admin, scene):
    alice = scene[0]["auth.user"]
    form = ward_admin.get(url("auth.user", "change", alice.pk)).context["adminform"].form
    assert "is_superuser" not in form.fields and "user_permissions" not in form.fields


# --- the workflow -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", READ_ONLY_FOR_EVERYONE, ids=lambda m: m._meta.label)
def test_it_never_lets_a_superuser_write_cards_entries_transitions_or_the_journal(root, rf, model):
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = root.user
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_it_has_no_form_that_edits_a_cards_entries(root, scene):
    card = scene[0]["kpi.scorecard"]
    page = root.get(url("kpi.scorecard", "change", card.pk))
    assert (
        'name="_save"' not in page.content.decode() and 'name="entries-0-result"' not in page.content.decode()
    )
    assert reverse("scorecard", args=[card.pk]) in page.content.decode()
    assert root.post(url("kpi.scorecard", "change", card.pk), {}).status_code == 403


@pytest.fixture
def reviewed_card(rubric, world, people):
    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=date(2026, 3, 1))
    scorecard_update_entries(
        scorecard=card, by=people.alice, version=card.version,
        entries={"1.1": EntryInput(Result.DONE, evidence_note="Văn bản số 1/VHXH")},
    )  # fmt: skip
    scorecard_submit(scorecard=settle(card), by=people.alice)
    return scorecard_review(scorecard=accept_not_applicable(card), by=people.bob)


def _act(client, action, card, **extra):
    data = {"action": action, "_selected_action": [card.pk], **extra}
    return client.post(url("kpi.scorecard", "changelist"), data)


def test_it_approves_through_the_service(ward_admin, reviewed_card):
    version = reviewed_card.version
    _act(ward_admin, "approve_selected", reviewed_card, index=0)
    reviewed_card.refresh_from_db()
    assert reviewed_card.state == Scorecard.State.APPROVED and reviewed_card.version == version + 1
    last = reviewed_card.transitions.order_by("-id").first()
    assert last.to_state == Scorecard.State.APPROVED and last.by.username == "qtv.phuong1"


def test_it_asks_for_a_reason_before_reopening(root, reviewed_card, people):
    from kpi.services import scorecard_approve

    scorecard_approve(scorecard=reviewed_card, by=people.charlie)
    page = _act(root, "reopen_selected", reviewed_card, index=0)
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    blank = _act(root, "reopen_selected", reviewed_card, apply="1", reason=" ")
    assert "Cần ghi lý do." in blank.content.decode()
    reviewed_card.refresh_from_db()
    assert reviewed_card.state == Scorecard.State.APPROVED

    _act(root, "reopen_selected", reviewed_card, apply="1", reason="Sai điểm tiêu chí 1.1")
    reviewed_card.refresh_from_db()
    assert reviewed_card.state == Scorecard.State.REVIEWED
    assert reviewed_card.transitions.order_by("-id").first().reason == "Sai điểm tiêu chí 1.1"


def test_it_does_not_act_on_another_wards_card(client, reviewed_card, world):
    user = UserFactory(username="qtv.phuong2", is_staff=True)
    UserProfileFactory(user=user, unit=world.other_ward, role=UserProfile.Role.ADMIN)
    user.user_permissions.set(Permission.objects.all())
    client.force_login(user)
    _act(client, "approve_selected", reviewed_card, index=0)
    reviewed_card.refresh_from_db()
    assert reviewed_card.state == Scorecard.State.REVIEWED


# --- the Nhật ký ------------------------------------------------------------------------------------------------


def _xlsx(rows, name="tep.xlsx") -> SimpleUploadedFile:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


APPENDIX = [
    ["STT", "Nội dung nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời gian", "Sản phẩm"],
    [1, "Ban hành văn bản chỉ đạo", "UBND phường", "Phòng VHXH", "Tháng 01/2026", "Văn bản"],
]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_it_records_who_imported_a_plan_and_which_file(root, world, media):
    upload = _xlsx(APPENDIX, "phu-luc-15.xlsx")
    digest = hashlib.sha256(upload.read()).hexdigest()
    upload.seek(0)
    importer = reverse("admin:plans_plan_import")
    preview = root.post(
        importer, {"file": upload, "plan": "15/KH-UBND", "title": "Thử", "issuer": world.ubnd.pk}
    )
    params = {k: preview.context["params"][k] for k in ("token", "plan", "title", "issuer", "ward")}
    assert root.post(importer, {**params, "confirm": "1"}).status_code == 302
    entry = AuditEntry.objects.get(action=Action.IMPORT)
    assert (entry.by, entry.file_name, entry.file_sha256) == (root.user, "phu-luc-15.xlsx", digest)
    assert entry.unit == world.ubnd and entry.object_id == Plan.objects.get(number="15/KH-UBND").pk


def test_it_refuses_to_import_into_another_wards_plan(ward_admin, world, media):
    other = PlanFactory(issuer=world.other_ubnd, number="9/KH-UBND")
    response = ward_admin.post(
        reverse("admin:plans_plan_import"), {"file": _xlsx(APPENDIX), "plan": "9/KH-UBND"}
    )
    assert "ngoài phạm vi của bạn" in response.content.decode()
    assert not other.tasks.exists()


def test_it_records_who_imported_reference_data_and_which_file(root, world, plan, media):
    template = root.get(reverse("admin:plans_table_download", args=["rubric"]) + "?template=1").content
    upload = SimpleUploadedFile("tieu-chi.xlsx", template)
    tables = reverse("admin:plans_tables")
    preview = root.post(tables, {"table": "rubric", "plan": plan.pk, "file": upload})
    root.post(tables, {"confirm": "1", "table": "rubric", "plan": plan.pk, "token": preview.context["token"]})
    entry = AuditEntry.objects.get(action=Action.IMPORT)
    assert (entry.by, entry.file_name) == (root.user, "tieu-chi.xlsx")
    assert entry.file_sha256 == hashlib.sha256(template).hexdigest() and entry.unit == world.ubnd


def test_it_records_who_imported_past_kpi_months_on_the_journal_and_the_transitions(root, rubric, media):
    header = [
        "Tháng",
        "Đơn vị",
        "Mã tiêu chí",
        "Kết quả",
        "Tỷ lệ đạt",
        "Điểm thẩm định",
        "Ghi chú",
        "Minh chứng",
    ]
    codes = Criterion.objects.filter(group__rubric=rubric).values_list("code", flat=True)
    upload = _xlsx(
        [header, *(["03/2026", "Phòng VHXH", code, "Hoàn thành"] for code in codes)], "diem-cu.xlsx"
    )
    importer = reverse("admin:kpi_scorecard_import")
    preview = root.post(importer, {"file": upload})
    assert root.post(importer, {"token": preview.context["token"], "confirm": "1"}).status_code == 302
    entry = AuditEntry.objects.get(action=Action.IMPORT)
    assert (entry.by, entry.file_name, len(entry.file_sha256)) == (root.user, "diem-cu.xlsx", 64)
    card = Scorecard.objects.get()
    assert entry.details["cards"] == [card.pk]
    assert card.transitions.get(to_state=Scorecard.State.REVIEWED).by == root.user


def test_it_records_a_command_import_as_the_system(world, plan, tmp_path):
    path = tmp_path / "phu-luc.xlsx"
    path.write_bytes(_xlsx(APPENDIX).read())
    call_command("import_plan", str(path), plan=plan.code, stdout=BytesIOText(), stderr=BytesIOText())
    entry = AuditEntry.objects.get(action=Action.IMPORT)
    assert entry.by is None and entry.file_name == "phu-luc.xlsx"
    assert entry.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and entry.object_id == plan.pk


def test_it_records_a_reference_data_command_import_as_the_system(world, plan, tmp_path):
    from plans.tables import REGISTRY, export_table

    path = tmp_path / "tieu-chi.xlsx"
    path.write_bytes(export_table(REGISTRY["rubric"](plan), template=True))
    call_command("import_data", "rubric", str(path), plan=plan.code, stdout=BytesIOText())
    entry = AuditEntry.objects.get(action=Action.IMPORT)
    assert (entry.by, entry.file_name, entry.unit) == (None, "tieu-chi.xlsx", world.ubnd)
    assert entry.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_it_records_nothing_for_a_dry_run(world, plan, tmp_path):
    path = tmp_path / "phu-luc.xlsx"
    path.write_bytes(_xlsx(APPENDIX).read())
    call_command("import_plan", str(path), plan=plan.code, dry_run=True, stdout=BytesIOText())
    assert not AuditEntry.objects.exists()


def test_it_logs_a_criterion_edit_before_first_use(root, rubric):
    criterion = Criterion.objects.get(group__rubric=rubric, code="1.1")
    data = {"code": "1.1", "name": "Tiêu chí mới", "achievement": "", "evidence": "", "frequency": "Tháng",
            "order": 1, "applies_to": "[]", "not_applicable_reason": ""}  # fmt: skip
    assert root.post(url("kpi.criterion", "change", criterion.pk), data).status_code == 302
    entry = AuditEntry.objects.get(action=Action.CRITERION_EDIT)
    assert entry.by == root.user and entry.object_id == criterion.pk and entry.unit == rubric.plan.issuer
    assert "Chỉ tiêu/KPI đánh giá" in entry.summary and entry.details["fields"]["name"] == "Tiêu chí mới"


def test_it_refuses_a_criterion_edit_once_the_rubric_is_in_use(root, rubric, world):
    scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=date(2026, 3, 1))
    criterion = Criterion.objects.get(group__rubric=rubric, code="1.1")
    assert root.post(url("kpi.criterion", "change", criterion.pk), {"name": "x"}).status_code == 403


def test_it_names_the_person_or_the_system_in_the_journal(root, world):
    audit_record(action=Action.IMPORT, by=None, unit=world.ward, file_name="a.xlsx", file_sha256="ab" * 32)
    page = root.get(url("plans.auditentry", "changelist")).content.decode()
    assert "hệ thống" in page and "abababababab" in page and "ab" * 32 not in page


class BytesIOText:
    """A stream for call_command's output."""

    def write(self, text):
        pass

    def flush(self):
        pass
