"""The security log: one JSON line per event on standard output, for whatever collects the service's output
(journald under systemd, `docker logs`, a log shipper), so that sign-ins, approvals and downloads can be
searched and alerted on without reading the database.

What is written, and where it is also kept in the database (readable in the admin):
- sign-in, sign-out, failed sign-in (django.contrib.auth's signals) — django-axes' AccessLog and
  AccessFailureLog;
- everything the Nhật ký records — approvals, reopenings, imports, evidence added/removed/downloaded, report
  downloads — from AuditEntry's creation, so that no route can record one without the other;
- admin changes — Django's admin LogEntry ("Lịch sử quản trị" in the admin).

Each line: {"time", "event", "user", "unit", "object", "address", and "detail" when there is one}. The
address is the client's as config.lockout reads it (behind the proxy too); outside a request (a command) it
is null.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save

log = logging.getLogger("security")


class JsonFormatter(logging.Formatter):
    """A record of the security logger as one JSON line; any other record as a JSON line with its message."""

    def format(self, record: logging.LogRecord) -> str:
        event = getattr(record, "security", None) or {"event": record.name, "detail": record.getMessage()}
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            **event,
        }
        return json.dumps(line, ensure_ascii=False, default=str)


def _current_request():
    # django-simple-history's middleware keeps the request of this thread: the Nhật ký hook runs deep inside
    # services that are never handed the request.
    from simple_history.models import HistoricalRecords

    return getattr(HistoricalRecords.context, "request", None)


def _address(request) -> str | None:
    if request is None:
        return None
    from config.lockout import client_ip

    return client_ip(request)


def _unit_of(user) -> str | None:
    from plans.access import profile_of

    if user is None or not getattr(user, "is_authenticated", False):
        return None
    profile = profile_of(user)
    return profile.unit.code if profile and profile.unit_id else None


def emit(event: str, *, user=None, username: str | None = None, unit: str | None = None, obj: str | None = None,
         request=None, detail: str | None = None) -> None:  # fmt: skip
    request = request if request is not None else _current_request()
    name = username if username is not None else (user.get_username() if user is not None else None)
    record = {
        "event": event,
        "user": name,
        "unit": unit if unit is not None else _unit_of(user),
        "object": obj,
        "address": _address(request),
    }
    if detail:
        record["detail"] = detail
    log.info("%s", event, extra={"security": record})


def on_logged_in(sender, request, user, **kwargs):
    emit("login", user=user, request=request)


def on_logged_out(sender, request, user, **kwargs):
    emit("logout", user=user, request=request)


def on_login_failed(sender, credentials, request=None, **kwargs):
    # The username typed, never the password; users type their password into the name box by mistake, so
    # only a name that exists is written.
    from django.contrib.auth import get_user_model

    typed = (credentials or {}).get("username") or ""
    known = bool(typed) and get_user_model().objects.filter(username=typed).exists()
    emit("login_failed", username=typed if known else "(không có tài khoản này)", unit=None, request=request)


def on_audit_entry(sender, instance, created, **kwargs):
    if not created:
        return
    emit(
        instance.action,
        user=instance.by,
        unit=instance.unit.code if instance.unit_id else None,
        obj=instance.object_repr or None,
        detail=instance.summary or None,
    )


def on_admin_change(sender, instance, created, **kwargs):
    if not created:
        return
    kind = {1: "admin_add", 2: "admin_change", 3: "admin_delete"}.get(instance.action_flag, "admin_action")
    model = instance.content_type.model_class() if instance.content_type_id else None
    what = f"{model._meta.label}:{instance.object_id}" if model else instance.object_id
    emit(kind, user=instance.user, obj=f"{what} {instance.object_repr}", detail=instance.get_change_message())


def connect():
    from django.contrib.admin.models import LogEntry

    from plans.models import AuditEntry

    user_logged_in.connect(on_logged_in, dispatch_uid="security_log_login")
    user_logged_out.connect(on_logged_out, dispatch_uid="security_log_logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="security_log_login_failed")
    post_save.connect(on_audit_entry, sender=AuditEntry, dispatch_uid="security_log_audit")
    post_save.connect(on_admin_change, sender=LogEntry, dispatch_uid="security_log_admin")
