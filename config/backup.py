"""One archive holding the whole system: a consistent database dump and every evidence file, with a manifest.

The archive is a plain tar (the dump is compressed by pg_dump, the evidence is PDFs and photos that do not
compress): manifest.json, database/postgresql.dump or database/sqlite3.db, and media/<name> for every file an
Evidence row names. The manifest carries the SHA-256 of the dump and of every file, as read while writing it,
so a restore can prove that what it puts back is what was saved.

Consistency: the list of files is read in the same snapshot as the dump (PostgreSQL: pg_dump --snapshot of a
REPEATABLE READ transaction; SQLite: the rows are read from the online backup's copy), so the archive holds
exactly the files the dumped rows refer to. Evidence files are never rewritten (each has its own random
name), and a file is written before its row commits, so every file a dumped row names is on disk.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
DUMPS = {"postgresql": "database/postgresql.dump", "sqlite": "database/sqlite3.db"}
EVIDENCE_FILES_SQL = "SELECT file, sha256 FROM tasks_evidence WHERE file <> '' ORDER BY id"
CHUNK = 1 << 20


class BackupError(Exception):
    """Why a backup or a restore cannot go on, in Vietnamese, for the administrator."""


@dataclass
class Report:
    files: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class HashingReader(io.RawIOBase):
    """Reads a file for tarfile while computing its SHA-256: each file is read once."""

    def __init__(self, handle):
        self.handle, self.digest = handle, hashlib.sha256()

    def readable(self):
        return True

    def read(self, size=-1):
        data = self.handle.read(size)
        self.digest.update(data)
        return data


# --- PostgreSQL tools ---------------------------------------------------------------------------------------


def _major(version_text: str) -> int:
    """15 of "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"; 0 when unreadable."""
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", version_text)
    return int(match.group(1)) if match else 0


def pg_tool(name: str, server_major: int) -> str:
    """pg_dump or pg_restore of at least the server's major version: an older one refuses to dump a newer
    server. PG_BIN_DIR wins; then Debian's per-version folder; then the one on PATH."""
    candidates = []
    if os.environ.get("PG_BIN_DIR"):
        candidates.append(str(Path(os.environ["PG_BIN_DIR"]) / name))
    candidates += [f"/usr/lib/postgresql/{server_major}/bin/{name}", shutil.which(name) or ""]
    found = []
    for candidate in filter(None, candidates):
        if not os.access(candidate, os.X_OK):
            continue
        output = subprocess.run([candidate, "--version"], capture_output=True, text=True, check=False).stdout
        major = _major(output)
        if major >= server_major:
            return candidate
        found.append(f"{candidate} (phiên bản {major})")
    have = "; có: " + ", ".join(found) if found else ""
    raise BackupError(
        f"Không tìm thấy {name} phiên bản {server_major} trở lên, cần cho máy chủ PostgreSQL {server_major}{have}. "
        f"Cài gói postgresql-client-{server_major} (sudo apt-get install postgresql-client-{server_major}) "
        f"hoặc đặt PG_BIN_DIR là thư mục chứa {name} đúng phiên bản."
    )


def libpq_environment(settings_dict: dict) -> dict:
    """The connection as libpq's variables: no password on a command line (visible in `ps`)."""
    variables = {
        "PGDATABASE": settings_dict["NAME"],
        "PGUSER": settings_dict.get("USER") or "",
        "PGPASSWORD": settings_dict.get("PASSWORD") or "",
        "PGHOST": settings_dict.get("HOST") or "",
        "PGPORT": str(settings_dict.get("PORT") or ""),
    }
    return {**os.environ, **{k: v for k, v in variables.items() if v}}


def _run(command: list[str], environment: dict, what: str):
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} thất bại: {result.stderr.strip() or result.stdout.strip()}")


# --- backup ------------------------------------------------------------------------------------------------


def _dump_postgresql(target: Path) -> list[tuple[str, str]]:
    server_major = connection.pg_version // 10000
    pg_dump = pg_tool("pg_dump", server_major)
    if connection.in_atomic_block:
        raise BackupError("Không sao lưu được trong một giao dịch đang mở.")
    with transaction.atomic(), connection.cursor() as cursor:
        # The dump and the list of files see the same moment: pg_dump joins this transaction's snapshot.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        cursor.execute(EVIDENCE_FILES_SQL)
        rows = cursor.fetchall()
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                "-f",
                str(target),
            ],
            libpq_environment(connection.settings_dict),
            "pg_dump",
        )
    return rows


def _dump_sqlite(target: Path) -> list[tuple[str, str]]:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        # SQLite's online backup: a consistent copy while the site keeps running (an in-memory test database
        # too, which a file copy could not reach).
        connection.connection.backup(copy)
        return copy.execute(EVIDENCE_FILES_SQL).fetchall()
    finally:
        copy.close()


def _migrations() -> dict[str, str]:
    latest = {}
    for app, name in MigrationRecorder.Migration.objects.order_by("app", "name").values_list("app", "name"):
        latest[app] = name
    return latest


def write_backup(output: Path) -> tuple[dict, Report]:
    """Write the archive to `output` (first to a temporary name beside it, so a failed run never leaves a
    half-written file under the name a schedule expects). Returns the manifest and what was found."""
    vendor = connection.vendor
    if vendor not in DUMPS:
        raise BackupError(f"Không hỗ trợ sao lưu cơ sở dữ liệu loại {vendor}.")
    output.parent.mkdir(parents=True, exist_ok=True)
    report = Report()
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=output.parent) as work:
        dump = Path(work) / "database"
        rows = _dump_postgresql(dump) if vendor == "postgresql" else _dump_sqlite(dump)
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": {
                "vendor": vendor,
                "server_version": connection.pg_version if vendor == "postgresql" else sqlite3.sqlite_version,
                "path": DUMPS[vendor],
                "sha256": sha256_of(dump),
                "size": dump.stat().st_size,
            },
            "migrations": _migrations(),
            "files": [],
            "missing": [],
        }
        partial = Path(work) / "archive.tar"
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
            archive.add(dump, arcname=DUMPS[vendor])
            for name, recorded in dict(rows).items():  # one entry per file, in the rows' order
                if not default_storage.exists(name):
                    report.missing.append(name)
                    continue
                info = tarfile.TarInfo(f"media/{name}")
                info.size, info.mtime, info.mode = (
                    default_storage.size(name),
                    int(timezone.now().timestamp()),
                    0o640,
                )
                with default_storage.open(name, "rb") as handle:
                    reader = HashingReader(handle)
                    archive.addfile(info, reader)
                digest = reader.digest.hexdigest()
                if recorded and digest != recorded:
                    report.altered.append(name)
                manifest["files"].append(
                    {"name": name, "size": info.size, "sha256": digest, "recorded": recorded}
                )
                report.files += 1
                report.bytes += info.size
            manifest["missing"] = report.missing
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
        os.replace(partial, output)
    return manifest, report


# --- restore -----------------------------------------------------------------------------------------------


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not name:
        raise BackupError(f"Bản sao lưu có đường dẫn không an toàn: {name!r}.")
    return str(path)


def read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(archive.extractfile(MANIFEST))
    except (KeyError, ValueError, AttributeError):
        raise BackupError(
            "Tệp không phải bản sao lưu của hệ thống (thiếu hoặc hỏng manifest.json)."
        ) from None
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"Bản sao lưu định dạng {manifest.get('format')!r}, phiên bản này đọc định dạng {FORMAT}."
        )
    return manifest


def target_problems() -> list[str]:
    """Why the database or the media store is not an empty target (a restore never overwrites anything)."""
    problems = []
    tables = [t for t in connection.introspection.table_names() if not t.startswith("sqlite_")]
    if tables:
        problems.append(
            f"Cơ sở dữ liệu {connection.settings_dict['NAME']} đã có {len(tables)} bảng. Chỉ khôi phục vào một cơ sở "
            "dữ liệu trống (tạo mới, chưa chạy migrate)."
        )
    root = Path(settings.MEDIA_ROOT) / "evidence"
    if root.exists() and any(p.is_file() for p in root.rglob("*")):
        problems.append(
            f"Thư mục minh chứng {root} đã có tệp. Chỉ khôi phục vào một thư mục MEDIA_ROOT trống."
        )
    return problems


def _extract_verified(archive: tarfile.TarFile, name: str, expected: str, target: Path) -> None:
    member = archive.getmember(name)
    if not member.isfile():
        raise BackupError(f"Bản sao lưu hỏng: {name} không phải tệp.")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with archive.extractfile(member) as source, target.open("wb") as sink:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            sink.write(chunk)
    if digest.hexdigest() != expected:
        raise BackupError(
            f"Sai mã SHA-256 của {name}: bản sao lưu đã bị hỏng hoặc bị sửa. Không khôi phục gì."
        )


def _restore_postgresql(dump: Path):
    pg_restore = pg_tool("pg_restore", connection.pg_version // 10000)
    connection.close()
    _run(
        [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         "-d", connection.settings_dict["NAME"], str(dump)],
        libpq_environment(connection.settings_dict),
        "pg_restore",
    )  # fmt: skip


def _restore_sqlite(dump: Path):
    name = connection.settings_dict["NAME"]
    connection.ensure_connection()
    source = sqlite3.connect(dump)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    connection.close()
    if str(name) != ":memory:" and "mode=memory" not in str(name):
        Path(name).chmod(0o600)


def restore_backup(path: Path) -> dict:
    """Restore into the empty database and media store of the current settings; every checksum is verified
    before anything is written, and every file again once in place."""
    try:
        archive = tarfile.open(path, "r:")  # noqa: SIM115  (closed by the with below; the open can fail)
    except (OSError, tarfile.TarError):
        raise BackupError(f"Không đọc được tệp sao lưu {path}.") from None
    with archive, tempfile.TemporaryDirectory(prefix="restore-") as work:
        manifest = read_manifest(archive)
        database = manifest["database"]
        if database["vendor"] != connection.vendor:
            raise BackupError(
                f"Bản sao lưu là của cơ sở dữ liệu {database['vendor']}, đích là {connection.vendor}: "
                "khôi phục vào cùng loại cơ sở dữ liệu."
            )
        problems = target_problems()
        if problems:
            raise BackupError(" ".join(problems) + " Không khôi phục gì.")
        staging = Path(work)
        dump = staging / "database"
        _extract_verified(archive, _safe_name(database["path"]), database["sha256"], dump)
        files = [(_safe_name(entry["name"]), entry["sha256"]) for entry in manifest["files"]]
        for name, digest in files:
            _extract_verified(archive, f"media/{name}", digest, staging / "media" / name)
        if connection.vendor == "postgresql":
            _restore_postgresql(dump)
        else:
            _restore_sqlite(dump)
        for name, _digest in files:
            with (staging / "media" / name).open("rb") as handle:
                stored = default_storage.save(name, File(handle))
            if stored != name:
                raise BackupError(f"Không đặt được {name} vào kho minh chứng (đã có tệp cùng tên).")
        for name, digest in files:
            actual = hashlib.sha256()
            with default_storage.open(name, "rb") as handle:
                for chunk in iter(lambda: handle.read(CHUNK), b""):
                    actual.update(chunk)
            if actual.hexdigest() != digest:
                raise BackupError(f"Sai mã SHA-256 của {name} sau khi khôi phục: kiểm tra kho minh chứng.")
    return manifest
