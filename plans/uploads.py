"""Spreadsheets uploaded for import, kept between the preview and the confirmation.

Stored under MEDIA_ROOT/imports with a random name (never served), checked by content (an xlsx is a zip
holding [Content_Types].xml), and removed once imported.
"""

from __future__ import annotations

import secrets
import zipfile
from pathlib import Path

from django.conf import settings


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
