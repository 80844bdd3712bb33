from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from kpi.scoring import Policy, Rank, Result
from plans.fields import COMMENT_MAX, REASON_MAX, TITLE_MAX, PlainTextField
from plans.formatting import vn_decimal
from plans.models import OrgUnit, Plan
from tasks.models import Task

POINTS = {"max_digits": 7, "decimal_places": 2}
RATIO = {"max_digits": 6, "decimal_places": 4}


class LockedError(Exception):
    """A write to an approved scorecard. Approved months cannot change until a leader reopens them."""


RUBRIC_LOCKED = (
    "Bộ tiêu chí “{rubric}” đã được dùng cho phiếu KPI đã phê duyệt ({cards}): không thể {action}. Hãy tạo "
    "phiên bản mới của bộ tiêu chí; các tháng đã phê duyệt giữ nguyên bộ tiêu chí đã chấm."
)


def _refuse_if_rubric_approved(rubrics: Q, action: str):
    """The friendly first line of the rubric triggers (kpi 0007): a rubric version an approved card was
    scored on is what that approval meant, so neither it nor its groups and criteria change. `rubrics`
    picks the cards' rubrics (by id, or through their groups)."""
    cards = list(
        # Through a subquery: the joins through groups would repeat a card once per matching row.
        Scorecard.objects.filter(
            pk__in=Scorecard.objects.filter(rubrics).values("pk"), state=Scorecard.State.APPROVED
        )
        .select_related("unit", "rubric")
        .order_by("month", "unit__name")[:4]
    )
    if cards:
        named = "; ".join(f"{c.unit.name} tháng {c.month:%m/%Y}" for c in cards[:3])
        raise LockedError(
            RUBRIC_LOCKED.format(
                rubric=cards[0].rubric, cards=named + ("…" if len(cards) > 3 else ""), action=action
            )
        )


class Rubric(models.Model):
    """A plan's monthly KPI rubric, one version of it. Scorecards point at the version they were scored on,
    so changing points means a new version and months already scored keep theirs."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="rubrics", verbose_name="Kế hoạch")
    version = models.PositiveIntegerField("Phiên bản", default=1)
    name = models.CharField("Tên", max_length=255)
    total = models.DecimalField("Tổng điểm", default=Decimal("100"), **POINTS)
    # Scoring policy (defaults from the issue; every number configurable per rubric).
    late_factor = models.DecimalField(
        "Hệ số khi hoàn thành chậm",
        default=Decimal("0.75"),
        max_digits=4,
        decimal_places=3,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    excellent_from = models.DecimalField("Xuất sắc từ", default=Decimal("90"), **POINTS)
    good_from = models.DecimalField("Tốt từ", default=Decimal("80"), **POINTS)
    pass_from = models.DecimalField("Hoàn thành từ", default=Decimal("65"), **POINTS)
    submission_day = models.PositiveSmallIntegerField(
        "Hạn nộp (ngày của tháng sau)", default=5, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    # A month can be sent once it has ended, or from this day of the month itself (the last week's work is
    # usually known by then). Before it the card can be saved, not sent.
    submission_opens_day = models.PositiveSmallIntegerField(
        "Được nộp từ ngày (của tháng được chấm)",
        default=25,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    # Below this share of the rubric's points applying to a unit, a total says too little to rank on: the
    # card is flagged to the reviewer and gets no automatic rank (docs/kpi.md).
    min_applicable_percent = models.DecimalField(
        "Tỷ lệ điểm áp dụng tối thiểu để xếp loại (%)",
        default=Decimal("50"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    # The first month scored on this version; months before it are not offered. Empty: the plan's issue month.
    first_month = models.DateField("Áp dụng từ tháng", null=True, blank=True, help_text="Ngày đầu tháng.")
    # Who is expected to send a scorecard each month: the base of the ward's completeness rate.
    units = models.ManyToManyField(
        OrgUnit, blank=True, related_name="rubrics", verbose_name="Đơn vị được chấm"
    )
    created_at = models.DateTimeField("Tạo lúc", auto_now_add=True)

    class Meta:
        verbose_name = "Bộ tiêu chí KPI"
        verbose_name_plural = "Bộ tiêu chí KPI"
        ordering = ["plan", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "version"], name="rubric_version_unique_per_plan"),
            models.CheckConstraint(
                condition=Q(excellent_from__gt=models.F("good_from"))
                & Q(good_from__gt=models.F("pass_from")),
                name="rubric_bands_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.name} (phiên bản {self.version})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            _refuse_if_rubric_approved(Q(rubric_id=self.pk), "sửa")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_if_rubric_approved(Q(rubric_id=self.pk), "xóa")
        return super().delete(*args, **kwargs)

    @property
    def policy(self) -> Policy:
        return Policy(
            self.late_factor, self.excellent_from, self.good_from, self.pass_from, self.min_applicable_percent
        )


class RubricGroup(models.Model):
    rubric = models.ForeignKey(
        Rubric, on_delete=models.CASCADE, related_name="groups", verbose_name="Bộ tiêu chí"
    )
    code = models.CharField("Mã nhóm", max_length=10)
    name = models.CharField("Tên nhóm", max_length=255)
    max_points = models.DecimalField("Điểm tối đa", **POINTS)
    order = models.PositiveIntegerField("Thứ tự", default=0)

    class Meta:
        verbose_name = "Nhóm tiêu chí"
        verbose_name_plural = "Nhóm tiêu chí"
        ordering = ["rubric", "order"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "code"], name="rubricgroup_code_unique_per_rubric"),
            models.CheckConstraint(condition=Q(max_points__gt=0), name="rubricgroup_max_points_positive"),
        ]

    def __str__(self):
        return f"Nhóm {self.code}. {self.name}"

    def save(self, *args, **kwargs):
        if self._state.adding:
            _refuse_if_rubric_approved(Q(rubric_id=self.rubric_id), "thêm nhóm tiêu chí")
        else:
            # The rubric it is in and the one it would move to.
            _refuse_if_rubric_approved(
                Q(rubric_id=self.rubric_id) | Q(rubric__groups=self.pk), "sửa nhóm tiêu chí"
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_if_rubric_approved(Q(rubric__groups=self.pk), "xóa nhóm tiêu chí")
        return super().delete(*args, **kwargs)


class Criterion(models.Model):
    class Frequency(models.TextChoices):
        MONTH = "Tháng", "Tháng"
        MONTH_QUARTER = "Tháng/Quý", "Tháng/Quý"
        MONTH_ROUND = "Tháng/Đợt", "Tháng/Đợt"

    group = models.ForeignKey(
        RubricGroup, on_delete=models.CASCADE, related_name="criteria", verbose_name="Nhóm"
    )
    code = models.CharField("Mã tiêu chí", max_length=10)
    name = models.TextField("Chỉ tiêu/KPI đánh giá")
    achievement = models.TextField("Mức đạt", blank=True)
    evidence = models.TextField("Minh chứng", blank=True)
    frequency = models.CharField(
        "Tần suất", max_length=12, choices=Frequency.choices, default=Frequency.MONTH
    )
    points = models.DecimalField("Điểm", **POINTS)
    order = models.PositiveIntegerField("Thứ tự", default=0)
    tasks = models.ManyToManyField(
        Task, blank=True, related_name="criteria", verbose_name="Nhiệm vụ được đánh giá"
    )
    # Which kinds of unit the criterion is scored for (OrgUnit.Kind values); empty: every kind. For the other
    # kinds a card's entry is set "Không áp dụng" with the reason below and is not offered to the unit.
    applies_to = models.JSONField(
        "Áp dụng cho loại đơn vị", default=list, blank=True, help_text="Để trống: mọi loại đơn vị."
    )
    not_applicable_reason = models.TextField(
        "Lý do không áp dụng (cho các loại đơn vị khác)",
        blank=True,
        help_text="Để trống: “Tiêu chí chỉ áp dụng cho …”.",
    )

    class Meta:
        verbose_name = "Tiêu chí"
        verbose_name_plural = "Tiêu chí"
        ordering = ["group__order", "order"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="criterion_code_unique_per_group"),
            models.CheckConstraint(condition=Q(points__gte=0), name="criterion_points_not_negative"),
        ]

    def __str__(self):
        return f"{self.code}. {self.name.splitlines()[0][:80]}"

    def clean(self):
        unknown = sorted(set(self.applies_to or []) - set(OrgUnit.Kind.values))
        if not isinstance(self.applies_to, list) or unknown:
            raise ValidationError(
                {"applies_to": f"Loại đơn vị không hợp lệ: {', '.join(map(str, unknown))}."}
            )

    def save(self, *args, **kwargs):
        if self._state.adding:
            _refuse_if_rubric_approved(Q(rubric__groups=self.group_id), "thêm tiêu chí")
        else:
            # The rubric of the group it is in and of the group it would move to.
            _refuse_if_rubric_approved(
                Q(rubric__groups=self.group_id) | Q(rubric__groups__criteria=self.pk), "sửa tiêu chí"
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_if_rubric_approved(Q(rubric__groups__criteria=self.pk), "xóa tiêu chí")
        return super().delete(*args, **kwargs)

    def applies_to_kind(self, kind: str) -> bool:
        return not self.applies_to or kind in self.applies_to

    @property
    def rubric_na_reason(self) -> str:
        """Why the criterion is not scored for the kinds it does not apply to, as the unit is shown it."""
        if self.not_applicable_reason.strip():
            return self.not_applicable_reason.strip()
        kinds = ", ".join(OrgUnit.Kind(k).label for k in self.applies_to)
        return f"Tiêu chí chỉ áp dụng cho: {kinds}."


class Scorecard(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Nháp"
        SUBMITTED = "submitted", "Đã nộp"
        REVIEWED = "reviewed", "Đã thẩm định"
        APPROVED = "approved", "Đã phê duyệt"

    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="scorecards", verbose_name="Đơn vị"
    )
    # The rubric's plan, kept on the card so that the database itself allows one card per unit, plan and
    # month whatever the rubric version (a trigger keeps it equal to rubric.plan).
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="scorecards", verbose_name="Kế hoạch", editable=False
    )
    rubric = models.ForeignKey(
        Rubric, on_delete=models.PROTECT, related_name="scorecards", verbose_name="Bộ tiêu chí"
    )
    month = models.DateField("Tháng", help_text="Ngày đầu tháng.")
    state = models.CharField("Trạng thái", max_length=10, choices=State.choices, default=State.DRAFT)
    # Optimistic lock: every save bumps it; a form or import carrying an older number is refused.
    version = models.PositiveIntegerField("Phiên bản lưu", default=1)
    submitted_at = models.DateTimeField("Nộp lúc", null=True, blank=True)
    submitted_on_time = models.BooleanField("Nộp đúng hạn", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="Người thẩm định",
    )
    reviewed_at = models.DateTimeField("Thẩm định lúc", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="Người phê duyệt",
    )
    approved_at = models.DateTimeField("Phê duyệt lúc", null=True, blank=True)
    # What the leader approved, kept as it was even if the engine's arithmetic ever changes.
    approved_total = models.DecimalField("Tổng điểm khi phê duyệt", null=True, blank=True, **POINTS)
    approved_rank = models.CharField(
        "Xếp loại khi phê duyệt", max_length=10, choices=Rank.choices, blank=True
    )
    # The engine's score of the card as it stands, stored by the services on every change of its entries so
    # that dashboards over thousands of cards read one row per card instead of scoring 25 entries each.
    # kpi.selectors.scorecard_score stays the reference; tests check the two agree.
    total = models.DecimalField("Tổng điểm hiện tại", null=True, blank=True, **POINTS)
    rank = models.CharField("Xếp loại hiện tại", max_length=10, choices=Rank.choices, blank=True)
    group_percents = models.JSONField(
        "Tỷ lệ điểm theo nhóm", default=dict, blank=True, help_text="Mã nhóm → % điểm của nhóm (chuỗi)."
    )
    created_at = models.DateTimeField("Tạo lúc", auto_now_add=True)
    updated_at = models.DateTimeField("Cập nhật lúc", auto_now=True)

    class Meta:
        verbose_name = "Phiếu chấm KPI tháng"
        verbose_name_plural = "Phiếu chấm KPI tháng"
        ordering = ["-month", "unit__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "plan", "month"], name="scorecard_one_per_unit_plan_month"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="scorecard_month_is_first_day"),
            models.CheckConstraint(
                condition=~Q(state="approved") | Q(approved_total__isnull=False) | Q(approved_rank=""),
                name="scorecard_approved_has_snapshot",
            ),
        ]
        indexes = [
            models.Index(fields=["month", "state"], name="scorecard_month_state_idx"),
            # reports.dashboard.ward_dashboard and _trend: a plan's cards (through its rubric versions) for
            # one month, two months or the last twelve.
            models.Index(fields=["rubric", "month"], name="scorecard_rubric_month_idx"),
        ]

    def __str__(self):
        return f"{self.unit} — {self.month:%m/%Y}"

    @property
    def is_locked(self) -> bool:
        return self.state == self.State.APPROVED

    def _stored_state(self) -> str | None:
        return Scorecard.objects.filter(pk=self.pk).values_list("state", flat=True).first()

    def save(self, *args, **kwargs):
        if self.rubric_id and not self.plan_id:
            self.plan_id = Rubric.objects.values_list("plan_id", flat=True).get(pk=self.rubric_id)
        # Once approved, nothing changes the card but scorecard_reopen (which sets _unlocking).
        unlocking = getattr(self, "_unlocking", False)
        if not self._state.adding and not unlocking and self._stored_state() == self.State.APPROVED:
            raise LockedError("Phiếu đã được phê duyệt: không thể sửa. Lãnh đạo cần mở lại phiếu trước.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_state() == self.State.APPROVED:
            raise LockedError("Phiếu đã được phê duyệt: không thể xóa.")
        return super().delete(*args, **kwargs)

    @property
    def official_total(self):
        """What the card counts for: the leader's snapshot once approved, the stored current total before."""
        return self.approved_total if self.is_locked else self.total

    @property
    def unranked_by_rule(self) -> bool:
        """A sent card with a total but no rank: too little of the rubric applied (docs/kpi.md), so a person
        must judge it. (A draft has no rank while criteria are still "Chưa chấm".)"""
        return self.state != self.State.DRAFT and self.total is not None and not self.rank

    @property
    def month_label(self) -> str:
        return f"{self.month:%m/%Y}"


class ScoreEntry(models.Model):
    """One criterion (or one ad-hoc task) of a unit's month."""

    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, related_name="entries", verbose_name="Phiếu"
    )
    criterion = models.ForeignKey(
        Criterion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name="Tiêu chí",
    )
    # Ad-hoc tasks (nhiệm vụ đột xuất) have no criterion: a title, a group and a weight instead.
    group = models.ForeignKey(RubricGroup, on_delete=models.PROTECT, related_name="+", verbose_name="Nhóm")
    adhoc_title = PlainTextField("Nhiệm vụ đột xuất", blank=True, max_length=TITLE_MAX)
    weight = models.DecimalField("Trọng số", null=True, blank=True, **POINTS)
    result = models.CharField("Kết quả", max_length=15, choices=Result.choices, default=Result.NOT_ASSESSED)
    # "Không áp dụng" is a claim like any other: the unit writes why, the reviewer accepts it (or changes the
    # result). Set by the rubric's applicability, it carries the rubric's reason and is not the unit's to change.
    na_reason = PlainTextField("Lý do không áp dụng", blank=True, max_length=REASON_MAX)
    na_by_rubric = models.BooleanField("Không áp dụng theo bộ tiêu chí", default=False)
    na_accepted = models.BooleanField("Thẩm định chấp nhận không áp dụng", default=False)
    ratio = models.DecimalField(
        "Tỷ lệ đạt", null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)], **RATIO
    )
    self_points = models.DecimalField("Điểm tự chấm", null=True, blank=True, **POINTS)
    reviewed_points = models.DecimalField("Điểm thẩm định (nhập tay)", null=True, blank=True, **POINTS)
    review_reason = PlainTextField("Lý do điểm thẩm định", blank=True, max_length=REASON_MAX)
    comment = PlainTextField("Nhận xét", blank=True, max_length=COMMENT_MAX)
    evidence_note = PlainTextField("Minh chứng (ghi chú)", blank=True, max_length=COMMENT_MAX)
    evidence = models.ManyToManyField(
        "tasks.Evidence", blank=True, related_name="score_entries", verbose_name="Minh chứng đính kèm"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "Dòng chấm điểm"
        verbose_name_plural = "Dòng chấm điểm"
        ordering = ["group__order", "criterion__order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "criterion"],
                condition=Q(criterion__isnull=False),
                name="scoreentry_criterion_once_per_card",
            ),
            models.CheckConstraint(
                condition=Q(criterion__isnull=False) | (~Q(adhoc_title="") & Q(weight__gt=0)),
                name="scoreentry_adhoc_has_title_and_weight",
            ),
            models.CheckConstraint(
                condition=Q(ratio__isnull=True) | (Q(ratio__gte=0) & Q(ratio__lte=1)),
                name="scoreentry_ratio_0_1",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_points__isnull=True) | ~Q(review_reason=""),
                name="scoreentry_manual_points_have_reason",
            ),
            models.CheckConstraint(
                condition=~Q(result="not_applicable") | ~Q(na_reason=""),
                name="scoreentry_not_applicable_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.scorecard} — {self.key}"

    @property
    def key(self) -> str:
        return self.criterion.code if self.criterion_id else f"ĐX-{self.pk}"

    @property
    def is_adhoc(self) -> bool:
        return self.criterion_id is None

    @property
    def points(self) -> Decimal:
        return self.criterion.points if self.criterion_id else self.weight

    def clean(self):
        if self.result == Result.NOT_APPLICABLE and not self.na_reason.strip():
            raise ValidationError({"na_reason": "“Không áp dụng” cần ghi lý do."})
        if self.result in (Result.PARTIAL, Result.LATE_PARTIAL) and self.ratio is None:
            raise ValidationError({"ratio": "Cần tỷ lệ đạt (0–1) cho kết quả hoàn thành một phần."})
        if self.reviewed_points is not None:
            if not self.review_reason.strip():
                raise ValidationError({"review_reason": "Điểm thẩm định nhập tay cần ghi lý do."})
            if self.points is not None and not (0 <= self.reviewed_points <= self.points):
                raise ValidationError(
                    {"reviewed_points": f"Điểm thẩm định phải từ 0 đến {vn_decimal(self.points)}."}
                )

    def save(self, *args, **kwargs):
        # The lock is enforced here, under every write path (services, admin, imports), not only in views.
        if Scorecard.objects.filter(pk=self.scorecard_id, state=Scorecard.State.APPROVED).exists():
            raise LockedError("Phiếu đã được phê duyệt: không thể sửa. Lãnh đạo cần mở lại phiếu trước.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Scorecard.objects.filter(pk=self.scorecard_id, state=Scorecard.State.APPROVED).exists():
            raise LockedError("Phiếu đã được phê duyệt: không thể xóa dòng chấm điểm.")
        return super().delete(*args, **kwargs)


class Transition(models.Model):
    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, related_name="transitions", verbose_name="Phiếu"
    )
    from_state = models.CharField("Từ", max_length=10, choices=Scorecard.State.choices)
    to_state = models.CharField("Sang", max_length=10, choices=Scorecard.State.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="Người thực hiện",
    )
    at = models.DateTimeField("Lúc", auto_now_add=True)
    reason = PlainTextField("Lý do", blank=True, max_length=REASON_MAX)

    class Meta:
        verbose_name = "Lịch sử chuyển trạng thái"
        verbose_name_plural = "Lịch sử chuyển trạng thái"
        ordering = ["scorecard", "at", "id"]

    def __str__(self):
        return f"{self.scorecard}: {self.get_from_state_display()} → {self.get_to_state_display()}"
