"""Evidence files are checked by what they contain, never by their name.

Accepted: PDF, DOCX, XLSX, JPEG, PNG and HEIC (phone cameras). An Office file is a zip: it must hold the parts
of its kind, and its members must not expand past EVIDENCE_MAX_EXPANDED_BYTES (a "zip bomb").
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass

from django.conf import settings


class EvidenceRejected(ValueError):
    """Why a file is refused, in Vietnamese, naming the file."""


@dataclass(frozen=True)
class Kind:
    extension: str
    content_type: str
    label: str


PDF = Kind("pdf", "application/pdf", "PDF")
DOCX = Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word")
XLSX = Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel")
JPEG = Kind("jpg", "image/jpeg", "ảnh JPG")
PNG = Kind("png", "image/png", "ảnh PNG")
HEIC = Kind("heic", "image/heic", "ảnh HEIC")
ALLOWED = "PDF, DOCX, XLSX, JPG, PNG (hoặc HEIC từ điện thoại)"


def sniff(head: bytes, path) -> Kind | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"):
        return HEIC
    if head.startswith(b"PK\x03\x04"):
        return _office(path)
    return None


def _office(path) -> Kind | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            expanded = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        return None
    if expanded > settings.EVIDENCE_MAX_EXPANDED_BYTES:
        raise EvidenceRejected("giải nén ra quá lớn (nghi là tệp nén độc hại)")
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def check_upload(upload) -> tuple[Kind, str]:
    """(kind, sha256) of an acceptable upload; EvidenceRejected otherwise."""
    name = upload.name
    if upload.size == 0:
        raise EvidenceRejected(f"“{name}”: tệp rỗng.")
    limit = settings.EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise EvidenceRejected(f"“{name}”: quá {limit // (1024 * 1024)} MB.")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    try:
        kind = sniff(head, upload)
    except EvidenceRejected as exc:
        raise EvidenceRejected(f"“{name}”: {exc}.") from exc
    if kind is None:
        raise EvidenceRejected(
            f"“{name}”: nội dung không phải {ALLOWED} (hệ thống kiểm tra nội dung, không theo tên)."
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return kind, digest.hexdigest()
