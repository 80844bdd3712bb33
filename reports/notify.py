"""Telling people things: who is told about a unit, a task or a card, and the one function that records a
notification, after asking the access helpers whether the recipient may see what it is about.

A notification is never about something its recipient cannot open: every one goes through `notify`, which
checks the subject with plans.access / tasks.access / kpi.access, the same helpers the pages use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from plans.access import Role, unit_in_scope
from plans.models import OrgUnit, UserProfile
from reports.models import Notification

Kind = Notification.Kind


@dataclass(frozen=True)
class Message:
    """A notification not yet recorded: what `send_reminders --dry-run` prints and `notify` writes."""

    user: object
    kind: str
    subject: str
    day: date
    title: str
    body: str = ""
    link: str = ""
    unit: OrgUnit | None = None
    # What the recipient must be able to see: ("unit", unit), ("task", task) or ("card", card).
    about: tuple = field(default=(), compare=False)


def people(units, *roles: str):
    """Active users of these units with one of these roles, profile and unit loaded (one query)."""
    users = []
    for profile in (
        UserProfile.objects.filter(unit__in=units, role__in=roles, user__is_active=True)
        .select_related("user", "unit__ward")
        .order_by("user__username")
    ):
        # What plans.access.profile_of would load again for every access check.
        profile.user._scoped_profile = profile
        users.append(profile.user)
    return users


def officers_of(unit: OrgUnit):
    """Who works a unit's own tasks and card: its officers."""
    return people([unit], Role.OFFICER)


def ward_staff(ward: OrgUnit | None, role: str):
    """The reviewers (or leaders) who work for a ward: their unit is in that ward. City-level staff, who see
    every ward, are not reminded of each ward's daily business."""
    if ward is None:
        return []
    return people(OrgUnit.objects.filter(ward=ward), role)


def may_see(user, about: tuple, cache: dict | None = None) -> bool:
    """The pages' own answer to "may this user open it?". `cache` keeps each user's visible tasks for one
    run of the reminders (one query per user, not one per task)."""
    from kpi.access import visible_scorecards
    from tasks.access import visible_tasks

    kind, obj = about
    if kind == "unit":
        return unit_in_scope(user, obj)
    if kind == "task":
        cache = {} if cache is None else cache
        if user.pk not in cache:
            cache[user.pk] = set(visible_tasks(user).values_list("pk", flat=True))
        return obj.pk in cache[user.pk]
    if kind == "card":
        return unit_in_scope(user, obj.unit) and visible_scorecards(user).filter(pk=obj.pk).exists()
    raise ValueError(kind)


def allowed(message: Message, cache: dict | None = None) -> bool:
    return bool(message.about) and may_see(message.user, message.about, cache)


def notify(message: Message, cache: dict | None = None) -> Notification | None:
    """Record the notification once: None if the recipient may not see its subject, or was already told of
    this subject today (the unique constraint decides, so two runs at the same moment cannot both write)."""
    if not allowed(message, cache):
        return None
    try:
        with transaction.atomic():
            return Notification.objects.create(
                user=message.user, kind=message.kind, subject=message.subject, day=message.day,
                title=message.title[:255], body=message.body, link=message.link, unit=message.unit,
            )  # fmt: skip
    except IntegrityError:
        return None


def already_told(message: Message) -> bool:
    return Notification.objects.filter(
        user=message.user, kind=message.kind, subject=message.subject, day=message.day
    ).exists()


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())


def mark_all_read(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
