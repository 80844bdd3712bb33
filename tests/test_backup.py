"""Backups that include the evidence: a month with evidence, backed up, restored into a fresh database and
media folder, compared; a refused non-empty target and a tampered archive; evidence files removed with their
row. Runs on the suite's engine (SQLite, or PostgreSQL when DATABASE_URL says so, as CI runs it again); the
PostgreSQL restore goes into a database of its own that the test creates and drops."""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction

from config.backup import BackupError, pg_tool
from kpi.scoring import Result
from kpi.services import (
    EntryInput,
    scorecard_approve,
    scorecard_get_or_create,
    scorecard_review,
    scorecard_submit,
    scorecard_update_entries,
)
from tasks.models import Evidence
from tasks.services import evidence_delete, evidence_upload
from tests.backup_probe import snapshot
from tests.factories import TaskFactory
from tests.kpi_helpers import accept_not_applicable, settle

ROOT = settings.BASE_DIR
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4


@pytest.fixture
def month_with_evidence(transactional_db, world, rubric, plan, people, settings, tmp_path):
    """March of Phòng VH-XH: two files and a link attached, the card sent, reviewed and approved; a draft of
    the police; one file removed (hidden, kept)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    task = TaskFactory(plan=plan, content="Tổ chức sinh hoạt chuyên đề")
    task.lead_units.add(world.vhxh)
    minutes, photo, removed = evidence_upload(
        unit=world.vhxh, by=people.alice, task=task, doc_number="15/BB-VHXH", summary="Biên bản",
        files=[SimpleUploadedFile("bien-ban.pdf", PDF), SimpleUploadedFile("anh.jpg", JPEG),
               SimpleUploadedFile("nham.pdf", PDF + b"%nham")],
    )  # fmt: skip
    evidence_delete(evidence=removed, by=people.alice)
    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=date(2026, 3, 1))
    card = scorecard_update_entries(scorecard=card, by=people.alice, version=card.version, entries={
        "1.1": EntryInput(Result.DONE, comment="Đủ biên bản", evidence_ids=[minutes.pk, photo.pk]),
        "2.1": EntryInput(Result.LATE, evidence_note="Chậm 3 ngày"),
    })  # fmt: skip
    card = scorecard_submit(
        scorecard=settle(card, by=people.alice), by=people.alice, at=datetime(2026, 4, 3, 9, tzinfo=HCM)
    )
    card = scorecard_review(scorecard=accept_not_applicable(card, by=people.bob), by=people.bob)
    scorecard_approve(scorecard=card, by=people.charlie)
    draft = scorecard_get_or_create(unit=world.police, rubric=rubric, month=date(2026, 3, 1))
    scorecard_update_entries(scorecard=draft, by=None, version=draft.version, entries={
        "1.1": EntryInput(Result.NOT_DONE, comment="Chưa tổ chức"),
    })  # fmt: skip
    return tmp_path


class Target:
    """A fresh database of the suite's engine, and a fresh media folder, for the restored system."""

    def __init__(self, tmp_path: Path, name: str):
        self.media = tmp_path / f"{name}-media"
        self.env_file = tmp_path / "empty.env"
        self.env_file.write_text("", encoding="utf-8")
        self.vendor = connection.vendor
        if self.vendor == "postgresql":
            import psycopg

            self.database = f"{connection.settings_dict['NAME']}_{name}"[:63]
            params = connection.settings_dict
            self.server = dict(
                host=params.get("HOST") or "", port=params.get("PORT") or "", user=params.get("USER") or "",
                password=params.get("PASSWORD") or "",
            )  # fmt: skip
            self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self.database}"')
            auth = self.server["user"] + (f":{self.server['password']}" if self.server["password"] else "")
            self.url = (
                f"postgres://{auth}@{self.server['host']}:{self.server['port'] or 5432}/{self.database}"
            )
            self._psycopg = psycopg
        else:
            self.url = f"sqlite:///{tmp_path / f'{name}.sqlite3'}"

    def _admin(self, sql: str):
        import psycopg

        with psycopg.connect(
            dbname="postgres", autocommit=True, **{k: v for k, v in self.server.items() if v}
        ) as c:
            c.execute(sql)

    def drop(self):
        if self.vendor == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def run(self, *args: str) -> subprocess.CompletedProcess:
        environment = {
            k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MEDIA_ROOT", "ENV_FILE")
        }
        environment.update(
            DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1", ENV_FILE=str(self.env_file),
            DATABASE_URL=self.url, MEDIA_ROOT=str(self.media), PYTHONPATH=str(ROOT),
        )  # fmt: skip
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300,
            check=False,
        )  # fmt: skip

    def tables(self) -> int:
        probe = self.run("-c", "import django; django.setup(); from django.db import connection; "
                         "print(len(connection.introspection.table_names()))")  # fmt: skip
        assert probe.returncode == 0, probe.stderr
        return int(probe.stdout)

    def media_files(self) -> list[Path]:
        return sorted(p for p in self.media.rglob("*") if p.is_file()) if self.media.exists() else []


@pytest.fixture
def target(tmp_path):
    made = Target(tmp_path, "restore")
    yield made
    made.drop()


def tamper(archive: Path, member: str, into: Path) -> Path:
    """A copy of the archive with one byte of `member` changed, the manifest left as it was."""
    with tarfile.open(archive) as source, tarfile.open(into, "w") as copy:
        for info in source.getmembers():
            data = source.extractfile(info).read()
            if info.name == member:
                data = bytes([data[0] ^ 1]) + data[1:]
            copy.addfile(info, io.BytesIO(data))
    return into


def test_a_backup_restores_the_month_the_histories_and_every_file(month_with_evidence, target):
    tmp_path = month_with_evidence
    archive = tmp_path / "sao-luu.tar"
    out = io.StringIO()
    call_command("backup", "-o", str(archive), stdout=out)
    assert "3 tệp minh chứng" in out.getvalue()  # the hidden one too: nothing uploaded is lost
    before = snapshot()
    assert len(before["files"]) == 3 and before["summary"] and before["histories"] and before["audit"]

    with tarfile.open(archive) as opened:
        manifest = json.load(opened.extractfile("manifest.json"))
        assert manifest["database"]["vendor"] == connection.vendor
        for entry in manifest["files"]:
            data = opened.extractfile(f"media/{entry['name']}").read()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"] == entry["recorded"]

    # A tampered archive is refused before anything is written.
    evidence_name = manifest["files"][0]["name"]
    bad = tamper(archive, f"media/{evidence_name}", tmp_path / "hong.tar")
    refused = target.run("manage.py", "restore", str(bad))
    assert refused.returncode == 1 and "Sai mã SHA-256" in refused.stderr
    assert target.tables() == 0 and target.media_files() == []

    restored = target.run("manage.py", "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "mọi mã SHA-256 đều khớp" in restored.stdout
    probe = target.run("-m", "tests.backup_probe")
    assert probe.returncode == 0, probe.stderr
    after = json.loads(probe.stdout)
    assert after == json.loads(json.dumps(before))
    for name, (recorded, actual) in after["files"].items():
        assert recorded == actual
        assert (target.media / name).read_bytes() == (Path(settings.MEDIA_ROOT) / name).read_bytes()

    # Restoring again onto what is now a full system is refused, in Vietnamese, and changes nothing.
    files = target.media_files()
    again = target.run("manage.py", "restore", str(archive))
    assert again.returncode == 1
    assert "Chỉ khôi phục vào một cơ sở dữ liệu trống" in again.stderr
    assert "Chỉ khôi phục vào một thư mục MEDIA_ROOT trống" in again.stderr
    assert target.media_files() == files


def test_a_backup_names_the_files_missing_on_disk(month_with_evidence):
    tmp_path = month_with_evidence
    lost = Evidence.objects.filter(original_name="anh.jpg").get()
    Path(lost.file.path).unlink()
    with pytest.raises(Exception, match="1 tệp minh chứng không còn trên đĩa") as refusal:
        call_command("backup", "-o", str(tmp_path / "thieu.tar"), stdout=io.StringIO())
    assert lost.file.name in str(refusal.value)
    with tarfile.open(tmp_path / "thieu.tar") as opened:  # the rest is backed up all the same
        manifest = json.load(opened.extractfile("manifest.json"))
    assert manifest["missing"] == [lost.file.name] and len(manifest["files"]) == 2


def test_it_asks_for_a_pg_dump_as_new_as_the_server():
    with pytest.raises(BackupError, match="postgresql-client-99"):
        pg_tool("pg_dump", 99)


def test_a_deleted_evidence_row_takes_its_file_a_hidden_one_keeps_it(
    world, people, plan, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    task = TaskFactory(plan=plan)
    task.lead_units.add(world.vhxh)
    kept, gone, shared = evidence_upload(
        unit=world.vhxh, by=people.alice, task=task,
        files=[SimpleUploadedFile(f"{n}.pdf", PDF + n.encode()) for n in ("a", "b", "c")],
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        evidence_delete(evidence=kept, by=people.alice)
    assert Path(kept.file.path).exists()

    # A deletion that is rolled back keeps the file.
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        Evidence.objects.get(pk=gone.pk).delete()
        raise RuntimeError
    assert Path(gone.file.path).exists()
    with django_capture_on_commit_callbacks(execute=True):
        Evidence.objects.get(pk=gone.pk).delete()
    assert not Path(gone.file.path).exists()

    # Two rows naming one file (a copy made in the admin): the file stays until the last goes.
    twin = Evidence.objects.get(pk=shared.pk)
    twin.pk, twin.token = None, "f" * 32
    twin.save()
    with django_capture_on_commit_callbacks(execute=True):
        Evidence.objects.get(pk=shared.pk).delete()
    assert Path(shared.file.path).exists()
    with django_capture_on_commit_callbacks(execute=True):
        twin.delete()
    assert not Path(shared.file.path).exists()
