"""Spreadsheets uploaded for import, kept between the preview and the confirmation.

Stored under MEDIA_ROOT/imports with a random name (never served), checked by content (an xlsx is a zip
holding [Content_Types].xml), and removed once imported.
"""

from __future__ import annotations

import secrets
import time
import zipfile
from pathlib import Path

from django.conf import settings

STALE_AFTER = 24 * 3600  # seconds


class UploadError(Exception):
    pass


def _folder() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_upload(upload) -> str:
    """Save an uploaded .xlsx and return the token that names it. The uploader's file name is kept beside
    it (never used as a path), so the confirmation can record which file was imported."""
    if upload.size > settings.IMPORT_MAX_BYTES:
        limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
        raise UploadError(f"Tệp quá lớn: tối đa {limit} MB.")
    if upload.size == 0:
        raise UploadError("Tệp rỗng.")
    purge_stale()
    token = secrets.token_hex(16)
    path = _folder() / f"{token}.xlsx"
    with path.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    try:
        with zipfile.ZipFile(path) as archive:
            if "[Content_Types].xml" not in archive.namelist():
                raise zipfile.BadZipFile
    except zipfile.BadZipFile:
        path.unlink(missing_ok=True)
        raise UploadError(
            "Tệp không phải là bảng tính Excel .xlsx (có thể là .xls cũ, có mật khẩu hoặc bị hỏng)."
        ) from None
    _name_path(token).write_text((upload.name or "")[:255], encoding="utf-8")
    return token


def purge_stale(max_age: float = STALE_AFTER):
    """Delete uploads previewed but never confirmed (nor discarded) for longer than `max_age` seconds: each
    new upload sweeps the folder, so none is kept past a day however the preview ended."""
    cutoff = time.time() - max_age
    for path in _folder().iterdir():
        if path.suffix in (".xlsx", ".name") and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _name_path(token: str) -> Path:
    return _folder() / f"{token}.name"


def upload_name(token: str) -> str:
    """The name the file had on the uploader's computer ("" if it was not kept)."""
    path = _name_path(upload_path(token).stem)
    return path.read_text(encoding="utf-8") if path.exists() else ""


def upload_path(token: str) -> Path:
    if not token or not token.isalnum() or len(token) != 32:
        raise UploadError("Phiên nhập không hợp lệ; hãy tải tệp lên lại.")
    path = _folder() / f"{token}.xlsx"
    if not path.exists():
        raise UploadError("Tệp đã tải lên không còn; hãy tải lên lại.")
    return path


def discard(token: str):
    upload_path(token).unlink(missing_ok=True)
    _name_path(token).unlink(missing_ok=True)
