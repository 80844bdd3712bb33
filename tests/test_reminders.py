"""`send_reminders --today` driven day by day across March 2026 with a frozen clock: who is told what on which
day, that a second run of a day tells nobody anything, one digest e-mail per user per day (locmem), and that
nothing crosses units or wards."""

from __future__ import annotations

import smtplib
from datetime import date, datetime, timedelta
from io import StringIO
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from kpi.scoring import Result
from kpi.services import (
    EntryInput,
    scorecard_get_or_create,
    scorecard_return,
    scorecard_submit,
    scorecard_update_entries,
)
from plans.access import unit_in_scope
from plans.models import UserProfile
from reports.models import EmailPreference, Notification
from tests.factories import TaskFactory, UserFactory, UserProfileFactory
from tests.kpi_helpers import settle

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FEB, MARCH = date(2026, 2, 1), date(2026, 3, 1)
Kind = Notification.Kind


class Clock:
    """django.utils.timezone.now, frozen at a moment the test moves: auto_now fields, localdate() and the
    services all read it, so a month passes without a sleep."""

    def __init__(self):
        self.at = datetime(2026, 3, 1, 8, 0, tzinfo=VN)

    def day(self, day: date, hour: int = 8):
        self.at = datetime(day.year, day.month, day.day, hour, 0, tzinfo=VN)

    def __call__(self):
        return self.at


@pytest.fixture
def clock():
    frozen = Clock()
    with mock.patch("django.utils.timezone.now", frozen):
        yield frozen


@pytest.fixture
def month(world, rubric, plan, people, settings, clock):
    """February's cards are due on 5 March. Alice (Phòng VH-XH) and Olga (Công an) are officers; Olga has no
    e-mail address. A task led by Phòng VH-XH and coordinated by Công an is due on 20 March; another, led by
    Công an, was due on 28 February."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.REMINDER_REVIEW_AFTER_DAYS = 3
    for user, address in [(people.alice, "alice@phuong.vn"), (people.bob, "bob@phuong.vn"),
                          (people.charlie, "charlie@phuong.vn"), (people.dave, "dave@phuong.vn")]:  # fmt: skip
        user.email = address
        user.save()
    olga = UserFactory(username="olga")
    UserProfileFactory(user=olga, unit=world.police, role=UserProfile.Role.OFFICER)
    due = TaskFactory(plan=plan, code="5", content="Tổng kết năm học", deadline_text="Trước ngày 20/3/2026")
    due.lead_units.add(world.vhxh)
    due.coordinating_units.add(world.police)
    late = TaskFactory(plan=plan, code="6", content="Báo cáo phổ cập", deadline_text="Tháng 02/2026")
    late.lead_units.add(world.police)
    clock.day(date(2026, 2, 20))
    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=FEB)
    # 1.1 is scored but has no evidence yet: the card cannot be sent, and Alice is told which criterion.
    card = scorecard_update_entries(scorecard=card, by=people.alice, version=card.version,
                                    entries={"1.1": EntryInput(Result.DONE)})  # fmt: skip
    return {"olga": olga, "due": due, "late": late, "card": card}


def run(day: date, *extra) -> str:
    out = StringIO()
    call_command("send_reminders", "--today", day.isoformat(), *extra, stdout=out)
    return out.getvalue()


def told(day: date) -> set[tuple[str, str]]:
    return set(Notification.objects.filter(day=day).values_list("user__username", "kind"))


def test_it_tells_the_right_people_on_the_right_days_across_a_month(month, clock, people, world, rubric):
    days: dict[date, set] = {}
    for offset in range(31):
        day = MARCH + timedelta(days=offset)
        clock.day(day)
        if day == date(2026, 3, 3):
            # Công an sends February on the 3rd (its card has every criterion "Không áp dụng").
            police = settle(
                scorecard_get_or_create(unit=world.police, rubric=rubric, month=FEB), timeliness=True
            )
            scorecard_submit(scorecard=police, by=month["olga"])
        if day == date(2026, 3, 9):
            card = scorecard_update_entries(
                scorecard=month["card"], by=people.alice, version=month["card"].version,
                entries={"1.1": EntryInput(Result.DONE, evidence_note="Biên bản số 3/BB-VHXH")},
            )  # fmt: skip
            scorecard_submit(scorecard=settle(card), by=people.alice)
        if day == date(2026, 3, 10):
            clock.day(day, hour=15)  # returned in the afternoon, after the morning's run
        run(day)
        if day == date(2026, 3, 10):
            month["card"].refresh_from_db()
            scorecard_return(scorecard=month["card"], by=people.bob, reason="Thiếu biên bản tháng 2")
        days[day] = told(day)

    on = lambda d: days[date(2026, 3, d)]  # noqa: E731
    # The task overdue since 28/2: the day after, then weekly, to the lead unit's officer only.
    assert ("olga", Kind.TASK_OVERDUE) in on(1) and ("olga", Kind.TASK_OVERDUE) in on(8)
    assert ("olga", Kind.TASK_OVERDUE) in on(15) and ("olga", Kind.TASK_OVERDUE) not in on(2)
    # February's cards (deadline 5/3): 3 days and 1 day before, to units that have not sent; Công an sent on
    # the 3rd so is not told on the 4th; Alice's scored criterion without evidence is named both days.
    assert {("alice", Kind.CARD_DUE), ("olga", Kind.CARD_DUE), ("alice", Kind.EVIDENCE_MISSING)} <= on(2)
    assert ("alice", Kind.CARD_DUE) in on(4) and ("olga", Kind.CARD_DUE) not in on(4)
    assert not {k for u, k in on(3) if k == Kind.CARD_DUE}
    # The day after the deadline the reviewer gets the list of units without a sent card.
    [missing] = Notification.objects.filter(kind=Kind.CARDS_MISSING)
    assert (missing.user, missing.day) == (people.bob, date(2026, 3, 6))
    assert "Phòng Văn hóa - Xã hội" in missing.body and "Trường Mầm non A" in missing.body
    assert "Công an" not in missing.body
    # Công an's card waits for review from the 3rd: the reviewer is told after 3 days, then weekly.
    waiting = Notification.objects.filter(kind=Kind.REVIEW_WAITING, user=people.bob)
    assert sorted(waiting.values_list("day", flat=True)) == [date(2026, 3, 6), date(2026, 3, 13),
                                                            date(2026, 3, 20), date(2026, 3, 27)]  # fmt: skip
    # The task due on 20/3: 7, 3 and 1 days before, to the lead and the coordinating unit's officers.
    for d in (13, 17, 19):
        assert {("alice", Kind.TASK_DUE), ("olga", Kind.TASK_DUE)} <= on(d)
    assert ("alice", Kind.TASK_DUE) not in on(14)
    # The return is told at once, with the reason, and not again by that day's (or the next day's) run.
    [returned] = Notification.objects.filter(kind=Kind.CARD_RETURNED)
    assert (returned.user, returned.day) == (people.alice, date(2026, 3, 10))
    assert "Thiếu biên bản tháng 2" in returned.body
    # Nobody outside the ward hears anything, and the leader is not told of what is not theirs.
    assert not Notification.objects.filter(user__in=[people.dave, people.erin]).exists()
    for item in Notification.objects.select_related("unit", "user"):
        assert unit_in_scope(item.user, item.unit), (item.user, item.title)


def test_a_second_run_of_the_same_day_sends_nothing(month, clock):
    clock.day(date(2026, 3, 2))
    first = run(date(2026, 3, 2))
    count = Notification.objects.count()
    assert count >= 3 and "Đã gửi 1 thư tổng hợp." in first
    assert len(mail.outbox) == 1
    second = run(date(2026, 3, 2))
    assert Notification.objects.count() == count
    assert "Đã ghi 0 thông báo mới" in second and "Đã gửi 0 thư tổng hợp." in second
    assert len(mail.outbox) == 1


def test_the_digest_is_one_message_per_user_in_vietnamese_with_links(month, clock, settings):
    settings.SITE_URL = "https://kehoach.phuong.vn"
    clock.day(date(2026, 3, 2))
    run(date(2026, 3, 2))
    [message] = mail.outbox  # Olga has no address: hers stay in the app
    assert message.to == ["alice@phuong.vn"]
    assert message.subject.startswith("Kế hoạch giáo dục phường: 2 thông báo mới ngày 02/03/2026")
    assert "Phiếu KPI tháng 02/2026 chưa nộp: còn 3 ngày" in message.body
    assert "1 tiêu chí đã chấm chưa có minh chứng" in message.body
    assert "https://kehoach.phuong.vn/tu-cham/2026-02/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and 'href="https://kehoach.phuong.vn/tu-cham/2026-02/"' in html
    [olgas] = Notification.objects.filter(user=month["olga"])
    assert (olgas.email, olgas.read_at, olgas.kind) == (Notification.Email.SKIPPED, None, Kind.CARD_DUE)


def test_a_dry_run_prints_and_writes_nothing(month, clock):
    clock.day(date(2026, 3, 2))
    out = run(date(2026, 3, 2), "--dry-run")
    assert "alice: Phiếu KPI tháng 02/2026 chưa nộp: còn 3 ngày" in out
    assert "olga: Phiếu KPI tháng 02/2026 chưa nộp" in out
    assert "Sẽ gửi" in out
    assert not Notification.objects.exists() and not mail.outbox


def test_a_mail_server_that_is_down_leaves_the_digest_queued(month, clock):
    clock.day(date(2026, 3, 2))
    down = smtplib.SMTPServerDisconnected("down")
    refused = mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=down)
    with refused, pytest.raises(CommandError, match="thư tổng hợp vẫn chờ"):
        run(date(2026, 3, 2))
    pending = Notification.objects.filter(user__username="alice", email=Notification.Email.PENDING)
    assert pending.count() == 2 and not mail.outbox
    clock.day(date(2026, 3, 3))
    run(date(2026, 3, 3))  # the next run sends what waited
    assert len(mail.outbox) == 1 and "02/03/2026" not in mail.outbox[0].subject
    assert not pending.exists()


def test_a_user_who_turned_email_off_still_gets_notifications_in_the_app(month, clock, people):
    EmailPreference.objects.create(user=people.alice, mode=EmailPreference.Mode.OFF)
    clock.day(date(2026, 3, 2))
    run(date(2026, 3, 2))
    assert not mail.outbox
    assert Notification.objects.filter(user=people.alice, read_at__isnull=True).count() == 2


def test_a_returned_card_is_mailed_at_once_to_who_asks(
    month, clock, people, django_capture_on_commit_callbacks
):
    EmailPreference.objects.create(user=people.alice, returned_at_once=True)
    clock.day(date(2026, 3, 4))
    card = scorecard_update_entries(
        scorecard=month["card"], by=people.alice, version=month["card"].version,
        entries={"1.1": EntryInput(Result.DONE, evidence_note="Biên bản số 3/BB-VHXH")},
    )  # fmt: skip
    scorecard_submit(scorecard=settle(card), by=people.alice)
    with django_capture_on_commit_callbacks(execute=True):
        scorecard_return(scorecard=card, by=people.bob, reason="Sai số liệu tiêu chí 1.1")
    [message] = mail.outbox
    assert message.to == ["alice@phuong.vn"] and "bị trả lại" in message.subject
    assert "Sai số liệu tiêu chí 1.1" in message.body
    run(date(2026, 3, 4))  # the digest does not send it again
    assert len(mail.outbox) == 2 and "Phiếu KPI tháng 02/2026 bị trả lại" not in mail.outbox[1].body


def test_it_never_reminds_someone_of_a_task_they_cannot_see(month, clock, world, people):
    # A task another ward's unit also leads is that unit's officer's business too: dave may see it.
    month["due"].lead_units.add(world.other_ubnd)
    clock.day(date(2026, 3, 13))
    run(date(2026, 3, 13))
    assert ("dave", Kind.TASK_DUE) in told(date(2026, 3, 13))
    from reports.notify import Message, notify

    # Asked directly to tell dave about a card of this ward, the one helper refuses.
    refused = notify(
        Message(people.dave, Kind.CARD_DUE, "x", date(2026, 3, 13), "t", about=("card", month["card"]))
    )
    assert refused is None


def test_it_refuses_a_day_that_is_not_a_date(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--today", "13/03/2026", stdout=StringIO())


@pytest.mark.django_db
def test_it_schedules_the_daily_run_once_at_the_time_from_the_environment(settings, clock):
    from django_q.models import Schedule

    settings.REMINDER_TIME = "06:30"
    call_command("schedule_reminders", stdout=StringIO())
    call_command("schedule_reminders", stdout=StringIO())
    [schedule] = Schedule.objects.all()
    assert schedule.func == "reports.reminders.daily" and schedule.schedule_type == Schedule.DAILY
    local = schedule.next_run.astimezone(VN)
    assert (local.hour, local.minute) == (6, 30) and local > clock.at
    settings.REMINDER_TIME = "07:15"
    call_command("schedule_reminders", stdout=StringIO())
    assert Schedule.objects.get().next_run.astimezone(VN).minute == 15


def test_the_worker_runs_beside_the_server_and_stops_with_it(tmp_path):
    import sys
    import time

    from config.serve import run_beside

    marker = tmp_path / "worker.pid"
    worker = [
        sys.executable,
        "-c",
        f"import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); time.sleep(60)",
    ]
    server = [sys.executable, "-c", "import time; time.sleep(1.5); raise SystemExit(3)"]
    started = time.monotonic()
    assert run_beside(worker, server) == 3  # the server's own exit status
    assert (
        marker.exists() and time.monotonic() - started < 30
    )  # the worker ran, and was stopped, not waited for
    import os

    pid = int(marker.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.django_db
def test_a_month_of_the_seed_plans_tells_each_person_only_what_they_may_see(clock, settings):
    from kpi.access import visible_scorecards

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("load_seed_data", stdout=StringIO())
    call_command("create_demo_users", "--force", stdout=StringIO())
    for offset in range(31):
        day = MARCH + timedelta(days=offset)
        clock.day(day)
        run(day)
        count = Notification.objects.count()
        assert "Đã ghi 0 thông báo mới" in run(day) and Notification.objects.count() == count
    told_kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {Kind.CARD_DUE, Kind.CARDS_MISSING} <= told_kinds
    for item in Notification.objects.select_related("user", "unit"):
        assert unit_in_scope(item.user, item.unit), (item.user.username, item.title)
        if item.link.startswith("/phieu-kpi/"):
            assert visible_scorecards(item.user).filter(pk=int(item.link.split("/")[2])).exists()
