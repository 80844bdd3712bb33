"""Evidence files are checked by what they contain, never by their name.

Accepted: PDF, DOCX, XLSX, JPEG, PNG and HEIC (phone cameras). An Office file is a zip: it must hold the parts
of its kind, and its members must not expand past EVIDENCE_MAX_EXPANDED_BYTES (a "zip bomb").

A file is stored, typed and later served as what its content was verified to be, never as its name says:
"bao-cao.html" holding a PDF is downloaded as "bao-cao.pdf", "report.pdf.exe" as "report.pdf"
(download_name). Content that only starts like an accepted kind is refused: HTML behind a PDF, JPEG or HEIC
signature (a browser or a mail client that sniffs would render it as a page), a "PDF" without the end marker
every PDF has, and an Office file that also carries a program (a DOCX/JAR polyglot runs as Java when named
.jar).
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
EXTENSIONS = {"pdf", "docx", "xlsx", "jpg", "jpeg", "png", "heic", "heif"}

# What browsers look for when they sniff a document as HTML, within the bytes they sniff (the first 512;
# twice that here). Tags only: short ones such as "<b" or "<a" also begin PDF hex strings.
HTML_MARKERS = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<svg", b"<title",
                b"<style", b"<meta", b"<!--")  # fmt: skip
SNIFFED_BYTES = 1024
# Every PDF ends with %%EOF; readers tolerate a little trailing data after it, so look in the last kilobytes.
PDF_TAIL_BYTES = 2048
# Members that make a zip something that runs: Java (a .jar is a zip with a manifest and classes), scripts,
# Windows programs, web pages. No Word or Excel file has them.
EXECUTABLE_MEMBERS = (".class", ".jar", ".exe", ".dll", ".js", ".vbs", ".ps1", ".bat", ".cmd", ".sh", ".html",
                      ".htm", ".hta")  # fmt: skip


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
    if "META-INF/MANIFEST.MF" in names or any(n.lower().endswith(EXECUTABLE_MEMBERS) for n in names):
        raise EvidenceRejected(
            "trong tệp có chứa chương trình chạy được (tệp ghép, ví dụ Word kèm Java): không nhận"
        )
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
    if kind in (PDF, JPEG, PNG, HEIC):
        upload.seek(0)
        start = upload.read(SNIFFED_BYTES).lower()
        if any(marker in start for marker in HTML_MARKERS):
            raise EvidenceRejected(
                f"“{name}”: nội dung là trang web (HTML) dù bắt đầu như {kind.label}: không nhận."
            )
    if kind is PDF:
        upload.seek(max(upload.size - PDF_TAIL_BYTES, 0))
        if b"%%EOF" not in upload.read():
            raise EvidenceRejected(
                f"“{name}”: tệp PDF không hoàn chỉnh (thiếu phần kết thúc), có thể bị hỏng."
            )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return kind, digest.hexdigest()


def download_name(original: str, extension: str) -> str:
    """The uploader's file name with the extension of what the file was verified to be: its last extension
    replaced, and an accepted one left before it dropped too ("report.pdf.exe" -> "report.pdf", not
    "report.pdf.pdf"). A dotted name that is not an extension ("Báo cáo 12.2025.pdf") keeps its dots."""
    stem = (original or "").replace("/", "_").replace("\\", "_").strip() or "minh-chung"
    head, dot, tail = stem.rpartition(".")
    if dot and head and tail.isalnum() and len(tail) <= 5:
        stem = head
        head, dot, tail = stem.rpartition(".")
        if dot and head and tail.lower() in EXTENSIONS:
            stem = head
    return f"{stem}.{extension}" if extension else stem
