"""Inputs that used to break it: control characters and NUL bytes, text past any sensible length, over-long
links, impossible years, a file gone from disk, files that are not what they start like or are named, too many
files, too large a form. Each gets a Vietnamese message or a safe result, and writes nothing."""

import io
import logging
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpi.errors import WorkflowError
from kpi.models import Scorecard, ScoreEntry, Transition
from kpi.scoring import Result
from kpi.services import EntryInput, scorecard_get_or_create, scorecard_return, scorecard_update_entries
from plans.fields import clean_text
from plans.models import AuditEntry
from tasks.models import Evidence, TaskProgress
from tasks.services import TaskError, evidence_add_link, evidence_upload
from tasks.uploads import download_name
from tests.factories import TaskFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MARCH = date(2026, 3, 1)


@pytest.fixture
def setup(world, rubric, plan, people, settings, tmp_path, client):
    settings.MEDIA_ROOT = tmp_path
    task = TaskFactory(plan=plan, content="Tổ chức sinh hoạt chuyên đề")
    task.lead_units.add(world.vhxh)
    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=MARCH)
    client.force_login(people.alice)
    return task, card


def save(client, card, **fields):
    entry = card.entries.get(criterion__code="1.1")
    data = {"version": card.version, f"result-{entry.pk}": Result.DONE, "save": "1"}
    data.update({f"{name}-{entry.pk}": value for name, value in fields.items()})
    return client.post(reverse("scorecard", args=[card.pk]), data, follow=True), entry


# --- control characters and NUL ------------------------------------------------------------------------------


def test_word_line_breaks_and_control_characters_are_cleaned_and_the_excel_opens(setup, client):
    _, card = setup
    response, entry = save(client, card, comment="Dòng một\x0bdòng hai\x01\x1f\tcột", note="Số 15\x0c16")
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.comment == "Dòng một\ndòng hai\tcột" and entry.evidence_note == "Số 15\n16"
    # The card's Excel, which openpyxl used to refuse (IllegalCharacterError), is written.
    excel = client.get(reverse("reports:scorecard", args=[card.pk, "xlsx"]))
    assert excel.status_code == 200 and excel.content.startswith(b"PK")


def test_every_route_stores_clean_text_even_past_validation():
    assert clean_text("a\x00b\x07c\x0bd\x7fe\r\n") == "abc\nde\r\n"


def test_a_nul_in_a_comment_is_refused_with_a_message(setup, client):
    _, card = setup
    response, entry = save(client, card, comment="Nhận xét\x00")
    assert "có ký tự không hợp lệ" in response.content.decode()
    entry.refresh_from_db()
    assert entry.comment == "" and entry.result == Result.NOT_ASSESSED
    with pytest.raises(WorkflowError, match="ký tự rỗng"):  # the service, whoever calls it
        scorecard_update_entries(scorecard=card, by=None, version=card.version,
                                 entries={"1.1": EntryInput(Result.DONE, comment="x\x00")})  # fmt: skip


def test_a_nul_in_an_evidence_summary_or_number_is_refused_in_vietnamese(setup, client, tmp_path):
    task, _ = setup
    url = reverse("task", args=[task.pk])
    for field in ("summary", "doc_number"):
        response = client.post(url, {"evidence": "1", "e-files": [SimpleUploadedFile("a.pdf", PDF)],
                                     f"e-{field}": "Biên bản\x00"})  # fmt: skip
        page = response.content.decode()
        assert response.status_code == 200 and "ký tự rỗng (NUL" in page and "Null characters" not in page
    assert not Evidence.objects.exists() and not list(tmp_path.rglob("*.pdf"))


# --- lengths ---------------------------------------------------------------------------------------------


def test_a_comment_past_its_limit_is_refused_naming_the_limit(setup, client):
    _, card = setup
    response, entry = save(client, card, comment="x" * 2001)
    assert "Tối đa 2.000 ký tự (đang có 2001 ký tự)" in response.content.decode()
    entry.refresh_from_db()
    assert entry.comment == "" and entry.result == Result.NOT_ASSESSED
    response, entry = save(client, card, comment="x" * 2000)
    entry.refresh_from_db()
    assert len(entry.comment) == 2000


def test_a_reason_past_its_limit_is_refused(setup, people):
    _, card = setup
    card.state = Scorecard.State.SUBMITTED
    card.save()
    with pytest.raises(WorkflowError, match=r"Tối đa 1\.000 ký tự"):
        scorecard_return(scorecard=card, by=people.bob, reason="y" * 1001)
    card.refresh_from_db()
    assert card.state == Scorecard.State.SUBMITTED and not Transition.objects.exists()


def test_evidence_and_progress_forms_show_and_keep_their_limits(setup, client):
    task, _ = setup
    url = reverse("task", args=[task.pk])
    page = client.get(url).content.decode()
    assert 'maxlength="1000"' in page and "Tối đa 1.000 ký tự." in page  # the summary
    assert 'maxlength="2000"' in page and "Tối đa 2.000 ký tự." in page  # progress and completion notes
    response = client.post(url, {"evidence": "1", "e-url": "https://a.vn/", "e-summary": "s" * 1001})
    assert "Tối đa 1.000 ký tự (đang có 1001 ký tự)" in response.content.decode()
    response = client.post(url, {"p-reported_on": "2026-03-02", "p-percent": "50", "p-note": "n" * 2001})
    assert "Tối đa 2.000 ký tự (đang có 2001 ký tự)" in response.content.decode()
    assert not Evidence.objects.exists() and not TaskProgress.objects.exists()


@pytest.mark.parametrize("length", [501, 2048])
def test_an_overlong_link_is_a_message_not_a_database_error(setup, client, people, world, length):
    task, _ = setup
    link = "https://longbien.hanoi.gov.vn/tin?" + "q" * (length - 34)
    assert len(link) == length
    response = client.post(reverse("task", args=[task.pk]), {"evidence": "1", "e-url": link})
    assert response.status_code == 200 and f"tối đa 500 kí tự (hiện có {length})" in response.content.decode()
    with pytest.raises(TaskError, match=f"Đường dẫn dài {length} ký tự, quá 500 ký tự"):
        evidence_add_link(unit=world.vhxh, by=people.alice, url=link, task=task)
    assert not Evidence.objects.exists()


# --- addresses and missing files -----------------------------------------------------------------------------


@pytest.mark.parametrize("year", [0, 1999, 2101, 99999])
def test_a_quarter_of_an_impossible_year_is_not_found(setup, client, people, plan, year):
    client.force_login(people.charlie)
    response = client.get(f"/reports/plans/{plan.pk}/{year}-Q1.pdf")
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD).exists()


def test_a_download_whose_file_is_gone_says_so_and_is_logged(setup, client, people, world, caplog):
    task, _ = setup
    (evidence,) = evidence_upload(unit=world.vhxh, by=people.alice, task=task,
                                  files=[SimpleUploadedFile("bien-ban.pdf", PDF)])  # fmt: skip
    Path(evidence.file.path).unlink()
    with caplog.at_level(logging.ERROR, logger="tasks.views"):
        response = client.get(reverse("evidence_download", args=[evidence.pk]))
    assert response.status_code == 410
    assert "Tệp minh chứng không còn" in response.content.decode()
    assert any(evidence.file.name in record.getMessage() for record in caplog.records)


# --- files that are not what they look like ------------------------------------------------------------------

HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"


def polyglot_jar() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: Evil\n")
        archive.writestr("Evil.class", b"\xca\xfe\xba\xbe")
    return buffer.getvalue()


REFUSED = [
    ("bao-cao.pdf", b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF", "trang web (HTML)"),
    ("anh.jpg", b"\xff\xd8\xff\xe0<!DOCTYPE html><body onload=alert(1)>", "trang web (HTML)"),
    ("anh.heic", HEIC + b"<svg onload=alert(1)>", "trang web (HTML)"),
    ("cut.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n", "không hoàn chỉnh"),
    ("tai-lieu.jar", polyglot_jar(), "chương trình chạy được"),
]


@pytest.mark.parametrize(("name", "content", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_content_that_only_starts_like_an_accepted_kind_is_refused(setup, client, name, content, message):
    task, _ = setup
    response = client.post(reverse("task", args=[task.pk]),
                           {"evidence": "1", "e-files": [SimpleUploadedFile(name, content)]})  # fmt: skip
    page = response.content.decode()
    assert "Không lưu tệp nào." in page and message in page
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("uploaded", "served"),
    [("bao-cao.html", "bao-cao.pdf"), ("report.pdf.exe", "report.pdf"), ("Báo cáo 12.2025.pdf", "Báo cáo 12.2025.pdf"),
     ("scan", "scan.pdf"), ("anh.PDF", "anh.pdf")],
)  # fmt: skip
def test_a_pdf_is_stored_and_served_as_a_pdf_whatever_its_name(setup, client, uploaded, served):
    task, _ = setup
    client.post(
        reverse("task", args=[task.pk]), {"evidence": "1", "e-files": [SimpleUploadedFile(uploaded, PDF)]}
    )
    evidence = Evidence.objects.get()
    assert evidence.original_name == uploaded  # what the uploader had, for the record
    assert Path(evidence.file.name).suffix == ".pdf" and evidence.content_type == "application/pdf"
    response = client.get(reverse("evidence_download", args=[evidence.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert download_name(uploaded, "pdf") == served
    assert (
        served.encode("ascii", "ignore").decode() in response["Content-Disposition"]
        or "utf-8''" in (response["Content-Disposition"])
    )
    assert ".html" not in response["Content-Disposition"] and ".exe" not in response["Content-Disposition"]


# --- too many files, too large a form -------------------------------------------------------------------------


def test_101_files_in_one_upload_are_refused_in_vietnamese(setup, client, tmp_path):
    task, _ = setup
    files = [SimpleUploadedFile(f"t{i}.pdf", PDF) for i in range(101)]
    response = client.post(reverse("task", args=[task.pk]), {"evidence": "1", "e-files": files})
    assert response.status_code == 400
    page = response.content.decode()
    assert "tối đa 100 tệp" in page and "Chưa có tệp nào được lưu" in page
    assert not Evidence.objects.exists() and not list(tmp_path.rglob("*.pdf"))


def test_a_form_of_six_megabytes_of_text_is_refused_in_vietnamese(setup, client):
    _, card = setup
    entry = card.entries.get(criterion__code="1.1")
    response = client.post(reverse("scorecard", args=[card.pk]),
                           {"version": card.version, f"comment-{entry.pk}": "x" * (6 * 1024 * 1024)})  # fmt: skip
    assert response.status_code == 413
    page = response.content.decode()
    assert "Phần chữ của biểu mẫu gửi lên vượt quá giới hạn 5 MB" in page and "Chưa có gì được lưu" in page
    assert ScoreEntry.objects.get(pk=entry.pk).comment == ""
