"""The bell, /thong-bao/, the returned-card banner, "Nhắc nộp" and the ward bundle job, through the pages."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date, timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from kpi.scoring import Result
from kpi.services import (
    EntryInput,
    scorecard_get_or_create,
    scorecard_return,
    scorecard_submit,
    scorecard_update_entries,
)
from plans.models import UserProfile
from reports.models import EmailPreference, Job, Notification
from tests.factories import UserFactory, UserProfileFactory
from tests.kpi_helpers import settle

MARCH = date(2026, 3, 1)
Kind = Notification.Kind


@pytest.fixture
def returned(world, rubric, people):
    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=MARCH)
    card = scorecard_update_entries(scorecard=card, by=people.alice, version=card.version,
                                    entries={"1.1": EntryInput(Result.DONE, evidence_note="Biên bản 1")})  # fmt: skip
    scorecard_submit(
        scorecard=settle(card), by=people.alice, at=timezone.now().replace(year=2026, month=4, day=2)
    )
    return scorecard_return(scorecard=card, by=people.bob, reason="Thiếu ảnh minh chứng hội nghị")


def test_the_bell_counts_unread_notifications_on_every_page(client, returned, people):
    client.force_login(people.alice)
    for name in ("home", "password_change", "notifications"):
        page = client.get(reverse(name)).content.decode()
        assert "data-bell-count>1</span>" in page, name
    client.force_login(people.bob)
    assert "data-bell-count" not in client.get(reverse("home")).content.decode()


def test_the_bell_costs_one_query(client, returned, people, django_assert_num_queries, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SESSION_SAVE_EVERY_REQUEST = False
    client.force_login(people.alice)
    with CaptureQueriesContext(connection) as with_bell:
        client.get(reverse("password_change"))
    processors = settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"],
                           "context_processors": [p for p in processors if not p.startswith("reports.")]}}]  # fmt: skip
    with CaptureQueriesContext(connection) as without:
        client.get(reverse("password_change"))
    assert len(with_bell) - len(without) == 1


def test_the_list_is_newest_first_and_opening_one_marks_it_read(client, returned, people):
    older = Notification.objects.create(user=people.alice, kind=Kind.TASK_DUE, subject="task:1", day=MARCH,
                                        title="Nhiệm vụ 1 đến hạn sau 3 ngày", link=reverse("home"))  # fmt: skip
    Notification.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=2))
    client.force_login(people.alice)
    page = client.get(reverse("notifications")).content.decode()
    assert page.index("Phiếu KPI tháng 03/2026 bị trả lại") < page.index("Nhiệm vụ 1 đến hạn")
    item = Notification.objects.get(kind=Kind.CARD_RETURNED)
    response = client.get(reverse("notification", args=[item.pk]))
    assert response.status_code == 302 and response.url == reverse("scorecard", args=[returned.pk])
    item.refresh_from_db()
    assert item.read_at is not None
    assert "data-bell-count>1</span>" in client.get(reverse("home")).content.decode()  # the older one
    client.post(reverse("notifications_read"))
    assert not Notification.objects.filter(user=people.alice, read_at__isnull=True).exists()


def test_someone_elses_notification_is_a_404(client, returned, people):
    item = Notification.objects.get(kind=Kind.CARD_RETURNED)
    client.force_login(people.bob)
    assert client.get(reverse("notification", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.read_at is None


def test_the_returned_card_shows_its_reason_on_the_card_and_on_my_work(client, returned, people):
    client.force_login(people.alice)
    card_page = client.get(reverse("scorecard", args=[returned.pk])).content.decode()
    home = client.get(reverse("home")).content.decode()
    for page in (card_page, home):
        assert "bị trả lại" in page and "Lý do: <b>Thiếu ảnh minh chứng hội nghị</b>" in page
    # Sent again, the banner goes.
    scorecard_submit(
        scorecard=returned, by=people.alice, at=timezone.now().replace(year=2026, month=4, day=3)
    )
    assert "data-returned" not in client.get(reverse("home")).content.decode()


def test_the_preference_page_saves_off_and_at_once(client, people):
    client.force_login(people.alice)
    page = client.get(reverse("notification_preferences")).content.decode()
    assert "chưa có địa chỉ thư điện tử" in page
    client.post(reverse("notification_preferences"), {"mode": "digest", "returned_at_once": "on"})
    pref = EmailPreference.objects.get(user=people.alice)
    assert (pref.mode, pref.returned_at_once) == ("digest", True)
    client.post(reverse("notification_preferences"), {"mode": "off", "returned_at_once": "on"})
    pref.refresh_from_db()
    assert (pref.mode, pref.returned_at_once) == ("off", False)
    assert client.post(reverse("notification_preferences"), {"mode": "x"}).status_code == 200


# --- Nhắc nộp ---------------------------------------------------------------------------------------------------


@pytest.fixture
def olga(world):
    user = UserFactory(username="olga")
    UserProfileFactory(user=user, unit=world.police, role=UserProfile.Role.OFFICER)
    return user


def test_the_reviewer_reminds_units_that_have_not_sent_once_a_day(client, world, rubric, people, olga):
    scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=MARCH)  # a draft: not sent either
    client.force_login(people.bob)
    queue = client.get(reverse("review_queue"), {"month": "2026-03"}).content.decode()
    assert "Nhắc nộp" in queue and f'name="unit" value="{world.police.pk}"' in queue
    response = client.post(
        reverse("submit_nudge"), {"month": "2026-03", "unit": [world.police.pk]}, follow=True
    )
    assert "Đã nhắc 1 đơn vị: Công an phường Thử Một." in response.content.decode()
    [nudge] = Notification.objects.filter(kind=Kind.SUBMIT_NUDGE)
    assert nudge.user == olga and nudge.link == reverse("self_assessment", args=["2026-03"])
    # All at once: the police were reminded today already; Phòng VH-XH is; the school has nobody to tell.
    response = client.post(reverse("submit_nudge"), {"month": "2026-03", "all": "1"}, follow=True)
    text = response.content.decode()
    assert "Đã nhắc 1 đơn vị: Phòng Văn hóa - Xã hội." in text
    assert "Đã nhắc hôm nay, không nhắc lại: Công an phường Thử Một." in text
    assert "Không có cán bộ nào có tài khoản để nhắc: Trường Mầm non A." in text
    assert set(Notification.objects.filter(kind=Kind.SUBMIT_NUDGE).values_list("user__username", flat=True)) == {
        "olga", "alice"}  # fmt: skip


def test_nobody_reminds_another_wards_units(client, world, rubric, people, olga):
    erin_reviewer = UserFactory(username="rita")
    UserProfileFactory(user=erin_reviewer, unit=world.other_ward, role=UserProfile.Role.REVIEWER)
    client.force_login(erin_reviewer)
    client.post(reverse("submit_nudge"), {"month": "2026-03", "unit": [world.police.pk]})
    client.post(reverse("submit_nudge"), {"month": "2026-03", "all": "1"})
    assert not Notification.objects.exists()


# --- the ward bundle --------------------------------------------------------------------------------------------


@pytest.fixture
def cards(world, rubric, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    made = []
    for unit in (world.vhxh, world.police):
        made.append(settle(scorecard_get_or_create(unit=unit, rubric=rubric, month=MARCH), timeliness=True))
    return made


def test_the_ward_bundle_runs_as_a_job_with_progress_and_a_notification(client, world, people, cards):
    client.force_login(people.bob)
    response = client.post(reverse("bundle_start"), {"ward": world.ward.code, "month": "2026-03"})
    job = Job.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"&job={job.pk}")
    assert (job.state, job.done_steps, job.total_steps, job.percent) == ("done", 3, 3, 100)
    queue = client.get(response.url).content.decode()
    assert 'value="100"' in queue and reverse("job_download", args=[job.pk]) in queue
    assert "js/job-progress.js" in queue
    status = client.get(reverse("job", args=[job.pk]), {"format": "json"}).json()
    assert status["state"] == "done" and status["percent"] == 100 and status["download"]
    [note] = Notification.objects.filter(kind=Kind.JOB_DONE)
    assert note.user == people.bob and note.link == reverse("job_download", args=[job.pk])
    download = client.get(reverse("job_download", args=[job.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = sorted(archive.namelist())
    assert names == ["phieu-kpi/phieu-kpi-2026-03-t-w1-ca.pdf", "phieu-kpi/phieu-kpi-2026-03-t-w1-vhxh.pdf",
                     "tong-hop-kpi-2026-03-t-w1.pdf"]  # fmt: skip
    assert all(archive.read(name).startswith(b"%PDF") for name in names)


def test_the_bundle_is_for_its_requester_and_the_wards_readers_only(client, world, people, cards):
    client.force_login(people.bob)
    client.post(reverse("bundle_start"), {"ward": world.ward.code, "month": "2026-03"})
    job = Job.objects.get()
    expected = {people.bob: 200, people.charlie: 200, people.alice: 404, people.dave: 404, people.erin: 404}
    for user, status in expected.items():
        client.force_login(user)
        assert client.get(reverse("job_download", args=[job.pk])).status_code == status, user
        assert client.get(reverse("job", args=[job.pk])).status_code == status, user
    client.force_login(people.erin)
    assert (
        client.post(reverse("bundle_start"), {"ward": world.ward.code, "month": "2026-03"}).status_code == 404
    )


def test_a_failing_bundle_is_retried_then_shown_failed_in_vietnamese_with_no_file(
    world, people, cards, settings
):
    from reports.jobs import run_ward_bundle

    settings.JOB_MAX_ATTEMPTS = 3
    job = Job.objects.create(kind=Job.Kind.WARD_BUNDLE, requested_by=people.bob, ward=world.ward, month=MARCH)
    broken = mock.patch("reports.bundle.render_documents", side_effect=RuntimeError("phông chữ hỏng"))
    with broken, mock.patch("django_q.conf.Conf.SYNC", False):
        for attempt in (1, 2):
            with pytest.raises(RuntimeError):
                run_ward_bundle(str(job.pk))  # re-raised: django-q2 records it and hands it out again
            job.refresh_from_db()
            assert (job.state, job.attempts) == ("queued", attempt) and "sẽ tự thử lại" in job.error
            assert not Notification.objects.exists()
        with pytest.raises(RuntimeError):
            run_ward_bundle(str(job.pk))
    job.refresh_from_db()
    assert job.state == "failed" and job.attempts == 3 and not job.file
    assert "Không tạo được tệp sau 3 lần thử" in job.error
    [note] = Notification.objects.filter(kind=Kind.JOB_FAILED)
    assert note.user == people.bob and note.link == reverse("job", args=[job.pk])
    assert run_ward_bundle(str(job.pk)) == "nothing to do"  # delivered once more: idempotent
    assert not any(settings.MEDIA_ROOT.rglob("*.zip"))  # nothing half-written


def test_a_finished_bundle_is_not_built_twice_and_expires(client, world, people, cards, settings):
    from reports.jobs import delete_expired_files, run_ward_bundle

    client.force_login(people.bob)
    client.post(reverse("bundle_start"), {"ward": world.ward.code, "month": "2026-03"})
    job = Job.objects.get()
    with mock.patch("reports.exports.ScorecardPdf.render") as render:
        assert run_ward_bundle(str(job.pk)) == "nothing to do"
    render.assert_not_called()
    path = job.file.path
    assert delete_expired_files(now=job.expires_at - timedelta(seconds=1)) == 0
    assert delete_expired_files(now=job.expires_at) == 1
    job.refresh_from_db()
    assert not job.file and not os.path.exists(path)
    assert client.get(reverse("job_download", args=[job.pk])).status_code == 404
    assert "hết thời gian lưu" in client.get(reverse("job", args=[job.pk])).content.decode()
