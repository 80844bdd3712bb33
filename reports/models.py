"""Notifications (in the app and in the daily e-mail), each user's e-mail preference, and the background jobs
that make files (the ward bundle). Kept in reports, the top app, because reminders read tasks and cards alike.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One thing a user is told, in the app (the bell, /thong-bao/) and, once, by e-mail.

    A row is also the record of a reminder: (user, kind, subject, day) is unique, so running the reminders
    twice on one day tells nobody anything twice."""

    class Kind(models.TextChoices):
        TASK_DUE = "task_due", "Nhiệm vụ sắp đến hạn"
        TASK_OVERDUE = "task_overdue", "Nhiệm vụ quá hạn"
        CARD_DUE = "card_due", "Phiếu KPI sắp đến hạn nộp"
        EVIDENCE_MISSING = "evidence_missing", "Tiêu chí đã chấm chưa có minh chứng"
        CARDS_MISSING = "cards_missing", "Đơn vị chưa nộp phiếu KPI"
        CARD_RETURNED = "card_returned", "Phiếu KPI bị trả lại"
        REVIEW_WAITING = "review_waiting", "Phiếu chờ thẩm định"
        APPROVAL_WAITING = "approval_waiting", "Phiếu chờ phê duyệt"
        SUBMIT_NUDGE = "submit_nudge", "Nhắc nộp phiếu KPI"
        JOB_DONE = "job_done", "Tệp đã sẵn sàng"
        JOB_FAILED = "job_failed", "Công việc không hoàn thành"

    class Email(models.TextChoices):
        PENDING = "pending", "Chờ gửi"
        SENT = "sent", "Đã gửi"
        SKIPPED = "skipped", "Không gửi thư"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name="Người nhận",
    )
    kind = models.CharField("Loại", max_length=20, choices=Kind.choices)
    # What it is about, as a stable key ("task:12:2026-03-31", "card:7"): with the day, what makes it unique.
    subject = models.CharField("Đối tượng", max_length=120)
    day = models.DateField("Ngày")
    title = models.CharField("Tiêu đề", max_length=255)
    body = models.TextField("Nội dung", blank=True)
    link = models.CharField("Đường dẫn", max_length=255, blank=True)
    # Where it belongs in the org tree: the admin list is scoped by it, and the leak tests check it.
    unit = models.ForeignKey(
        "plans.OrgUnit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="Đơn vị",
    )
    created_at = models.DateTimeField("Lúc", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("Đã đọc lúc", null=True, blank=True)
    email = models.CharField("Thư", max_length=10, choices=Email.choices, default=Email.PENDING)
    emailed_at = models.DateTimeField("Gửi thư lúc", null=True, blank=True)

    class Meta:
        verbose_name = "Thông báo"
        verbose_name_plural = "Thông báo"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "subject", "day"], name="notification_once_per_subject_day"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["email", "user"], name="notification_email_idx"),
        ]

    def __str__(self):
        return f"{self.user}: {self.title}"


class EmailPreference(models.Model):
    """How a user wants e-mail. No row: the daily digest, returned cards in it like everything else."""

    class Mode(models.TextChoices):
        DIGEST = "digest", "Một thư tổng hợp mỗi ngày"
        OFF = "off", "Không nhận thư (chỉ xem thông báo trong phần mềm)"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preference"
    )
    mode = models.CharField("Nhận thư", max_length=10, choices=Mode.choices, default=Mode.DIGEST)
    returned_at_once = models.BooleanField(
        "Gửi thư ngay khi phiếu bị trả lại", default=False,
        help_text="Không chờ thư tổng hợp hằng ngày.",
    )  # fmt: skip

    class Meta:
        verbose_name = "Cách nhận thư"
        verbose_name_plural = "Cách nhận thư"

    def __str__(self):
        return f"{self.user}: {self.get_mode_display()}"


def job_file_path(instance, filename):
    return f"jobs/{instance.pk}/{filename}"


class Job(models.Model):
    """A long piece of work a user started from a page (the ward bundle), as the user sees it: its progress,
    its file, or why it failed. django-q2's own rows (the admin's queued, failed and scheduled lists) say how
    the queue ran it; this row is what the page that started it polls."""

    class Kind(models.TextChoices):
        WARD_BUNDLE = "ward_bundle", "Trọn bộ phiếu KPI và tổng hợp của phường (ZIP)"

    class State(models.TextChoices):
        QUEUED = "queued", "Đang chờ"
        RUNNING = "running", "Đang chạy"
        DONE = "done", "Xong"
        FAILED = "failed", "Không thành công"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("Loại", max_length=20, choices=Kind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="Người yêu cầu"
    )
    ward = models.ForeignKey(
        "plans.OrgUnit", on_delete=models.CASCADE, related_name="+", verbose_name="Phường"
    )
    month = models.DateField("Tháng")
    state = models.CharField("Trạng thái", max_length=10, choices=State.choices, default=State.QUEUED)
    done_steps = models.PositiveIntegerField("Đã xong", default=0)
    total_steps = models.PositiveIntegerField("Tổng số bước", default=0)
    attempts = models.PositiveSmallIntegerField("Số lần chạy", default=0)
    error = models.TextField("Lỗi", blank=True)
    file = models.FileField("Tệp", upload_to=job_file_path, blank=True, max_length=255)
    file_name = models.CharField("Tên tệp", max_length=255, blank=True)
    created_at = models.DateTimeField("Tạo lúc", auto_now_add=True)
    finished_at = models.DateTimeField("Xong lúc", null=True, blank=True)
    expires_at = models.DateTimeField("Xóa tệp lúc", null=True, blank=True)

    class Meta:
        verbose_name = "Công việc nền"
        verbose_name_plural = "Công việc nền"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.ward} {self.month:%m/%Y}"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return int(self.done_steps * 100 / self.total_steps) if self.total_steps else 0
