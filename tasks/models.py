from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from plans.fields import NOTE_MAX, SUMMARY_MAX, PlainTextField
from plans.models import OrgUnit, Plan
from tasks.deadlines import Schedule, parse_deadline


class TaskGroup(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="groups", verbose_name="Kế hoạch")
    code = models.CharField("Mã nhóm", max_length=30)
    title = models.TextField("Tên nhóm")
    order = models.PositiveIntegerField("Thứ tự", default=0)

    class Meta:
        verbose_name = "Nhóm nhiệm vụ"
        verbose_name_plural = "Nhóm nhiệm vụ"
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="taskgroup_code_unique_per_plan")
        ]

    def __str__(self):
        return f"{self.code}. {self.title}"


class Task(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="tasks", verbose_name="Kế hoạch")
    # SET_NULL, not PROTECT: deleting a plan deletes its groups and tasks together, and deleting one group
    # leaves its tasks in the plan, ungrouped, rather than losing them.
    group = models.ForeignKey(
        TaskGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks", verbose_name="Nhóm"
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subtasks",
        verbose_name="Thuộc nhiệm vụ",
    )
    code = models.CharField("STT / Mã", max_length=30)
    # The STT as the appendix writes it. Equal to the code, unless the numbering starts again in each group:
    # then the code is the STT under its group's code ("II.3"), unique in the plan (see tasks.plan_import).
    stt = models.CharField("STT (nguyên văn)", max_length=30, blank=True)
    order = models.PositiveIntegerField("Thứ tự", default=0)
    content = models.TextField("Nội dung nhiệm vụ")
    lead_units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="led_tasks", verbose_name="Đơn vị chủ trì"
    )
    coordinating_units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="coordinated_tasks", verbose_name="Đơn vị phối hợp"
    )
    # The cells as the document writes them: what was resolved to units above, and what could not be.
    lead_text = models.TextField("Chủ trì (nguyên văn)", blank=True)
    coordinating_text = models.TextField("Phối hợp (nguyên văn)", blank=True)
    unresolved_units = models.JSONField("Tên đơn vị chưa xác định", default=list, blank=True)
    deliverable = models.TextField("Sản phẩm", blank=True)
    deadline_text = models.CharField("Thời gian (nguyên văn)", max_length=500, blank=True)
    # Parsed from deadline_text on every save (see save()); stored so lists can filter on its kind.
    schedule = models.JSONField("Lịch thực hiện", default=dict, editable=False)
    notes = models.TextField("Ghi chú", blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name="Nghi trùng với",
        help_text="Dòng này lặp lại nguyên văn một dòng khác của văn bản gốc.",
    )
    source_ref = models.CharField("Vị trí trong văn bản", max_length=120, blank=True)

    class Meta:
        verbose_name = "Nhiệm vụ"
        verbose_name_plural = "Nhiệm vụ"
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="task_code_unique_per_plan"),
            models.CheckConstraint(condition=~Q(code=""), name="task_code_not_empty"),
        ]
        indexes = [models.Index(fields=["plan", "group"], name="task_plan_group_idx")]

    def __str__(self):
        return f"{self.code}. {self.content.splitlines()[0][:80] if self.content else ''}"

    @property
    def title(self) -> str:
        return self.content.splitlines()[0] if self.content else ""

    @property
    def is_suspected_duplicate(self) -> bool:
        return self.duplicate_of_id is not None

    def parsed_schedule(self) -> Schedule:
        return Schedule.from_dict(self.schedule) if self.schedule else parse_deadline(self.deadline_text)

    def save(self, *args, **kwargs):
        self.schedule = parse_deadline(self.deadline_text, period=self.plan.period).to_dict()
        super().save(*args, **kwargs)


class TaskProgress(models.Model):
    """A progress report on a task; percent 100 means done on `reported_on`.

    For recurring tasks `period_due` names the occurrence it reports on (the due date of that period), so
    each period has its own status.
    """

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="progress", verbose_name="Nhiệm vụ")
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="Đơn vị báo cáo",
    )
    period_due = models.DateField("Kỳ (hạn của kỳ)", null=True, blank=True)
    reported_on = models.DateField("Ngày")
    percent = models.PositiveSmallIntegerField("Tiến độ (%)", validators=[MaxValueValidator(100)])
    note = PlainTextField("Ghi chú", blank=True, max_length=NOTE_MAX)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="Người cập nhật",
    )
    created_at = models.DateTimeField("Thời điểm ghi", auto_now_add=True)

    class Meta:
        verbose_name = "Cập nhật tiến độ"
        verbose_name_plural = "Cập nhật tiến độ"
        ordering = ["task", "reported_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="taskprogress_percent_max_100"),
        ]
        indexes = [models.Index(fields=["task", "period_due"], name="taskprogress_task_period_idx")]

    def __str__(self):
        return f"{self.task.code} — {self.reported_on:%d/%m/%Y}: {self.percent}%"

    @property
    def is_completion(self) -> bool:
        return self.percent == 100


def evidence_path(instance, filename):
    # A generated name, never the uploader's: nothing about the file can be guessed or overwritten.
    return f"evidence/{instance.uploaded_at:%Y/%m}/{instance.token}.{instance.extension}"


class Evidence(models.Model):
    """Minh chứng: a file or a link, with the document's number, date and summary. Deleting hides it and
    keeps it (who, when): nothing uploaded is ever lost."""

    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="evidence", verbose_name="Đơn vị"
    )
    task = models.ForeignKey(
        Task,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name="Nhiệm vụ",
    )
    token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField("Tệp", upload_to=evidence_path, blank=True, max_length=255)
    original_name = models.CharField("Tên tệp gốc", max_length=255, blank=True)
    content_type = models.CharField("Loại (theo nội dung)", max_length=120, blank=True)
    extension = models.CharField(max_length=10, blank=True)
    size = models.PositiveBigIntegerField("Dung lượng", default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, db_index=True)
    url = models.URLField("Đường dẫn", max_length=500, blank=True)
    doc_number = models.CharField("Số, ký hiệu", max_length=100, blank=True)
    doc_date = models.DateField("Ngày ban hành", null=True, blank=True)
    summary = PlainTextField("Trích yếu", blank=True, max_length=SUMMARY_MAX)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="Người tải lên"
    )
    uploaded_at = models.DateTimeField("Tải lên lúc")
    deleted_at = models.DateTimeField("Xóa lúc", null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="Người xóa",
    )

    class Meta:
        verbose_name = "Minh chứng"
        verbose_name_plural = "Minh chứng"
        ordering = ["-uploaded_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(file="") | ~Q(url=""), name="evidence_file_or_link"),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        parts = [
            p for p in (self.doc_number, self.doc_date and f"{self.doc_date:%d/%m/%Y}", self.summary) if p
        ]
        return ", ".join(parts) or self.original_name or self.url
