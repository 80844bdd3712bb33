"""E-mail: one digest per user per day of everything new, and "at once" for a returned card if the user asks.

A notification's `email` is "pending" until a message carrying it is accepted by the mail server; a server
that does not answer leaves it pending, so the next run sends it. Users with no address, or who turned
e-mail off, still have every notification in the app ("skipped" here).
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from reports.models import EmailPreference, Notification

logger = logging.getLogger("reports.mail")
Email = Notification.Email
# What an unreachable or refusing mail server raises: the digest stays queued.
MAIL_ERRORS = (smtplib.SMTPException, OSError)


class MailUnavailable(Exception):
    """The mail server did not take the messages; they stay pending for the next run."""


def preference(user) -> EmailPreference:
    return EmailPreference.objects.filter(user=user).first() or EmailPreference(user=user)


def wants_email(user, pref: EmailPreference | None = None) -> bool:
    pref = pref or preference(user)
    return bool(user.email) and pref.mode != EmailPreference.Mode.OFF


def _groups(items: list[Notification]):
    grouped = defaultdict(list)
    for item in items:
        grouped[item.get_kind_display()].append(item)
    return list(grouped.items())


def build_digest(user, items: list[Notification], today: date) -> EmailMultiAlternatives:
    context = {"user": user, "groups": _groups(items), "count": len(items), "today": today,
               "site": settings.SITE_URL}  # fmt: skip
    subject = f"Kế hoạch giáo dục phường: {len(items)} thông báo mới ngày {today:%d/%m/%Y}"
    message = EmailMultiAlternatives(
        subject, render_to_string("notifications/digest.txt", context), to=[user.email]
    )
    message.attach_alternative(render_to_string("notifications/digest.html", context), "text/html")
    return message


def pending_by_user(users=None) -> dict:
    pending = (
        Notification.objects.filter(email=Email.PENDING).select_related("user").order_by("created_at", "id")
    )
    if users is not None:
        pending = pending.filter(user__in=users)
    by_user = defaultdict(list)
    for item in pending:
        by_user[item.user].append(item)
    return by_user


def send_digests(today: date, *, dry_run: bool = False) -> tuple[int, list[str]]:
    """One message per user with pending notifications. Returns (messages sent, lines saying what was or
    would be sent). Raises MailUnavailable, leaving everything not yet sent pending, if the server fails."""
    sent, lines = 0, []
    preferences = {p.user_id: p for p in EmailPreference.objects.all()}
    for user, items in pending_by_user().items():
        pref = preferences.get(user.pk) or EmailPreference(user=user)
        if not wants_email(user, pref):
            if not dry_run:
                Notification.objects.filter(pk__in=[i.pk for i in items]).update(email=Email.SKIPPED)
            continue
        lines.append(f"Thư cho {user.username} <{user.email}>: {len(items)} thông báo")
        if dry_run:
            continue
        try:
            build_digest(user, items, today).send()
        except MAIL_ERRORS as exc:
            logger.warning("The mail server refused the digest for %s: %s", user.username, exc)
            raise MailUnavailable(str(exc)) from exc
        Notification.objects.filter(pk__in=[i.pk for i in items]).update(
            email=Email.SENT, emailed_at=timezone.now()
        )
        sent += 1
    return sent, lines


def send_now(notification_id: int) -> str:
    """The job for "at once": one message for one notification. If the server is down it stays pending and
    the next digest carries it."""
    item = Notification.objects.select_related("user").filter(pk=notification_id, email=Email.PENDING).first()
    if item is None:
        return "already sent"  # delivered twice by the queue, or the digest took it: nothing to do
    if not wants_email(item.user):
        Notification.objects.filter(pk=item.pk).update(email=Email.SKIPPED)
        return "no e-mail"
    context = {"user": item.user, "item": item, "site": settings.SITE_URL}
    message = EmailMultiAlternatives(
        item.title, render_to_string("notifications/single.txt", context), to=[item.user.email]
    )
    message.attach_alternative(render_to_string("notifications/single.html", context), "text/html")
    message.send()  # a failure is the job's failure: retried by the queue, and the digest still has it
    Notification.objects.filter(pk=item.pk).update(email=Email.SENT, emailed_at=timezone.now())
    return "sent"
