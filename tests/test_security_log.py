"""The security log: sign-ins and failures, the Nhật ký's events (approvals, imports, downloads…) and admin
changes, one JSON line each with user, unit, object and address; kept in the database and pruned never below
31 days."""

import io
import json
import logging
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest
from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.security_log import JsonFormatter
from plans.audit import Action, audit_record
from plans.models import AuditEntry
from tasks.services import evidence_upload
from tests.factories import TaskFactory, UserFactory
from tests.kpi_helpers import accept_not_applicable, settle

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def lines(caplog):
    """The security log as the JSON lines it writes."""
    logger = logging.getLogger("security")
    logger.addHandler(caplog.handler)
    formatter = JsonFormatter()
    yield lambda: [json.loads(formatter.format(r)) for r in caplog.records if r.name == "security"]
    logger.removeHandler(caplog.handler)


def test_sign_ins_and_failures_are_logged_with_the_address(people, lines):
    client = Client(REMOTE_ADDR="10.0.0.7")
    client.post(reverse("login"), {"username": "alice", "password": "sai"})
    client.post(reverse("login"), {"username": "mat-khau-go-nham", "password": "sai"})
    client.post(reverse("login"), {"username": "alice", "password": "password"})
    client.post(reverse("logout"))
    events = [(e["event"], e["user"], e["unit"], e["address"]) for e in lines()]
    assert events == [
        ("login_failed", "alice", None, "10.0.0.7"),
        # A name that is no account may be someone's password typed in the wrong box: not written.
        ("login_failed", "(không có tài khoản này)", None, "10.0.0.7"),
        ("login", "alice", "T-W1-VHXH", "10.0.0.7"),
        ("logout", "alice", "T-W1-VHXH", "10.0.0.7"),
    ]
    assert all(e["time"].endswith("+00:00") for e in lines())
    # Kept in the database: django-axes' logs.
    assert AccessFailureLog.objects.filter(ip_address="10.0.0.7").count() == 2
    assert AccessLog.objects.filter(username="alice", logout_time__isnull=False).exists()


def test_approvals_downloads_and_imports_are_logged_as_the_nhat_ky_records_them(
    world, rubric, plan, people, settings, tmp_path, lines
):
    from kpi.services import scorecard_approve, scorecard_get_or_create, scorecard_review, scorecard_submit

    settings.MEDIA_ROOT = tmp_path
    task = TaskFactory(plan=plan)
    task.lead_units.add(world.vhxh)
    (evidence,) = evidence_upload(unit=world.vhxh, by=people.alice, task=task,
                                  files=[SimpleUploadedFile("bien-ban.pdf", PDF)])  # fmt: skip
    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=date(2026, 3, 1))
    card = scorecard_submit(scorecard=settle(card, by=people.alice, timeliness=True), by=people.alice)
    card = scorecard_review(scorecard=accept_not_applicable(card, by=people.bob), by=people.bob)
    scorecard_approve(scorecard=card, by=people.charlie)
    audit_record(action=Action.IMPORT, unit=world.ward, summary="Nhập kế hoạch từ tệp ke-hoach.xlsx")

    client = Client(REMOTE_ADDR="10.0.0.9")
    client.force_login(people.charlie)
    assert client.get(reverse("evidence_download", args=[evidence.pk])).status_code == 200
    assert client.get(reverse("reports:scorecard", args=[card.pk, "xlsx"])).status_code == 200

    by_event = {}
    for entry in lines():
        by_event.setdefault(entry["event"], []).append(entry)
    approval = by_event["approve"][0]
    assert (approval["user"], approval["unit"], approval["address"]) == ("charlie", "T-W1-VHXH", None)
    assert "Phòng Văn hóa - Xã hội" in approval["object"]
    assert by_event["import"][0]["user"] is None and by_event["import"][0]["unit"] == "T-W1"
    download = by_event["evidence_download"][0]
    assert (download["user"], download["unit"], download["address"]) == ("charlie", "T-W1-VHXH", "10.0.0.9")
    assert download["detail"] == f"Tải minh chứng “{evidence.label}”."
    assert by_event["download"][0]["user"] == "charlie" and by_event["download"][0]["address"] == "10.0.0.9"
    assert by_event["evidence_add"][0]["user"] == "alice"
    # The same events are the Nhật ký's rows.
    assert AuditEntry.objects.filter(action=Action.EVIDENCE_DOWNLOAD, by=people.charlie).count() == 1
    assert AuditEntry.objects.filter(action=Action.APPROVE).count() == 1


def test_admin_changes_are_logged_and_readable_by_a_superuser(people, lines):
    group = Group.objects.create(name="Cán bộ")
    LogEntry.objects.create(user=people.bob, content_type=ContentType.objects.get_for_model(Group),
                            object_id=str(group.pk), object_repr="Cán bộ", action_flag=CHANGE,
                            change_message='[{"changed": {"fields": ["Name"]}}]')  # fmt: skip
    (entry,) = [e for e in lines() if e["event"].startswith("admin_")]
    assert entry["event"] == "admin_change" and entry["user"] == "bob"
    assert entry["object"] == f"auth.Group:{group.pk} Cán bộ"
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    page = client.get(reverse("admin:admin_logentry_changelist"))
    assert page.status_code == 200 and "Cán bộ" in page.content.decode()
    client.force_login(people.bob)
    assert client.get(reverse("admin:admin_logentry_changelist")).status_code in (302, 403)


def test_the_service_writes_json_lines_to_standard_output(tmp_path):
    env_file = tmp_path / "empty.env"
    env_file.write_text("", encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if k not in ("ENV_FILE", "DJANGO_SETTINGS_MODULE")}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1", ENV_FILE=str(env_file),
                       LOG_LEVEL="ERROR")  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from config.security_log import emit; "
         "emit('login_failed', username='alice', unit=None, detail='thử')"],
        cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    event = json.loads(line)
    assert {k: event[k] for k in ("event", "user", "unit", "object", "address", "detail")} == {
        "event": "login_failed", "user": "alice", "unit": None, "object": None, "address": None, "detail": "thử",
    }  # fmt: skip


def test_pruning_keeps_at_least_31_days_and_never_the_nhat_ky(db):
    old = AccessLog.objects.create(username="a", ip_address="10.0.0.1", user_agent="", http_accept="",
                                   path_info="/")  # fmt: skip
    recent = AccessLog.objects.create(username="b", ip_address="10.0.0.1", user_agent="", http_accept="",
                                      path_info="/")  # fmt: skip
    AccessLog.objects.filter(pk=old.pk).update(attempt_time=timezone.now() - timedelta(days=40))
    AccessLog.objects.filter(pk=recent.pk).update(attempt_time=timezone.now() - timedelta(days=20))
    audit_record(action=Action.IMPORT, summary="cũ")
    with pytest.raises(CommandError, match="ít nhất 31 ngày"):
        call_command("prune_security_log", "--older-than", "30")
    assert AccessLog.objects.count() == 2
    out = io.StringIO()
    call_command("prune_security_log", "--older-than", "31", stdout=out)
    assert "Đã xóa 1 bản ghi đăng nhập, đăng xuất" in out.getvalue()
    assert list(AccessLog.objects.values_list("username", flat=True)) == ["b"]
    assert AuditEntry.objects.count() == 1
