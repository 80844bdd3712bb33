"""Evidence uploads: checked by content, stored under generated names, served only through the access check."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kpi.seed import load_seed_data
from plans.models import OrgUnit, Plan, UserProfile
from tasks.models import Evidence
from tests.factories import UserFactory, UserProfileFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200


def docx(extra: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def setup(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    settings.EVIDENCE_MAX_EXPANDED_BYTES = 5 * 1024 * 1024
    load_seed_data()
    alice = UserFactory(username="alice")
    UserProfileFactory(user=alice, unit=OrgUnit.objects.get(code="LB-VHXH"), role=UserProfile.Role.OFFICER)
    frank = UserFactory(username="frank")
    UserProfileFactory(user=frank, unit=OrgUnit.objects.get(code="LB-CA"), role=UserProfile.Role.OFFICER)
    task = Plan.objects.find("KH-UBND-LB-2026").tasks.get(code="14")  # lead Phòng VH-XH, not the police
    return alice, frank, task, tmp_path / "media"


def upload(client, task, *files, **meta):
    data = {"evidence": "1", "e-files": list(files), **{f"e-{k}": v for k, v in meta.items()}}
    return client.post(reverse("task", args=[task.pk]), data)


def test_it_stores_several_files_by_content_and_serves_them_only_to_the_scope(setup, client):
    alice, frank, task, media = setup
    client.force_login(alice)
    response = upload(client, task, SimpleUploadedFile("bao-cao.pdf", PDF), SimpleUploadedFile("anh.JPG", JPEG),
                      SimpleUploadedFile("ke-hoach.docx", docx()), doc_number="12/BC-VHXH", doc_date="2026-03-20",
                      summary="Báo cáo rà soát đội ngũ")  # fmt: skip
    assert response.status_code == 302
    stored = list(Evidence.objects.order_by("original_name"))
    assert [(e.original_name, e.content_type, e.extension) for e in stored] == [
        ("anh.JPG", "image/jpeg", "jpg"), ("bao-cao.pdf", "application/pdf", "pdf"),
        ("ke-hoach.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    ]  # fmt: skip
    pdf = stored[1]
    assert pdf.sha256 == hashlib.sha256(PDF).hexdigest()
    path = Path(pdf.file.path)
    assert path.name == f"{pdf.token}.pdf" and "bao-cao" not in str(path) and str(path).startswith(str(media))
    assert pdf.label == "12/BC-VHXH, 20/03/2026, Báo cáo rà soát đội ngũ"

    download = client.get(reverse("evidence_download", args=[pdf.pk]))
    assert download["Content-Disposition"] == 'attachment; filename="bao-cao.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF
    client.force_login(frank)
    assert client.get(reverse("evidence_download", args=[pdf.pk])).status_code == 404
    assert client.post(reverse("evidence_remove", args=[pdf.pk])).status_code == 404


def zip_bomb() -> bytes:
    return docx({"word/media/big.bin": b"\x00" * (6 * 1024 * 1024)})  # compresses to a few KiB


BAD = [
    ("anh.png", b"<html><script>alert(1)</script></html>", "nội dung không phải PDF, DOCX, XLSX, JPG, PNG"),
    ("bao-cao.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100, "nội dung không phải"),
    ("rong.pdf", b"", "tệp rỗng"),
    ("lon.pdf", b"%PDF-" + b"0" * (1024 * 1024 + 10), "quá 1 MB"),
    ("bom.docx", zip_bomb(), "giải nén ra quá lớn"),
    ("gia.docx", b"PK\x03\x04not really a zip", "nội dung không phải"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD, ids=[b[0] for b in BAD])
def test_it_refuses_bad_files_and_stores_nothing(setup, client, name, content, message):
    alice, _, task, media = setup
    client.force_login(alice)
    response = upload(client, task, SimpleUploadedFile("tot.pdf", PDF), SimpleUploadedFile(name, content))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Không lưu tệp nào." in page and f"“{name}”" in page and message in page
    assert not Evidence.objects.exists()
    assert not (media / "evidence").exists() or not any((media / "evidence").rglob("*.*"))


def test_it_hides_deleted_evidence_and_keeps_it(setup, client):
    alice, _, task, _ = setup
    client.force_login(alice)
    upload(client, task, SimpleUploadedFile("bao-cao.pdf", PDF))
    evidence = Evidence.objects.get()
    client.post(reverse("evidence_remove", args=[evidence.pk]))
    evidence.refresh_from_db()
    assert evidence.deleted_by == alice and evidence.deleted_at <= timezone.now()
    assert Path(evidence.file.path).exists()  # nothing uploaded is ever lost
    assert client.get(reverse("evidence_download", args=[evidence.pk])).status_code == 404
    assert "bao-cao.pdf" not in client.get(reverse("task", args=[task.pk])).content.decode()


def test_it_takes_a_link_with_document_details(setup, client):
    alice, _, task, _ = setup
    client.force_login(alice)
    response = upload(client, task, url="https://longbien.hanoi.gov.vn/tin/123", doc_number="Tin bài 05")
    assert response.status_code == 302
    assert Evidence.objects.get().url == "https://longbien.hanoi.gov.vn/tin/123"
    empty = upload(client, task)
    assert "Chọn ít nhất một tệp hoặc nhập một đường dẫn." in empty.content.decode()
