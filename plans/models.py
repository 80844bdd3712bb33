from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from plans.text import normalize_name, normalize_number


class OrgUnitQuerySet(models.QuerySet):
    def subtree(self, unit: "OrgUnit"):
        """The unit and everything below it (materialized path: no recursion, one indexed query)."""
        return self.filter(Q(pk=unit.pk) | Q(path__startswith=unit.path + "/"))

    def in_ward(self, ward: "OrgUnit"):
        return self.filter(ward=ward)


class OrgUnit(models.Model):
    class Kind(models.TextChoices):
        CITY = "city", "Thành phố / Tỉnh"
        DISTRICT = "district", "Quận / Huyện (cũ)"
        WARD = "ward", "Phường / Xã"
        PARTY_BODY = "party_body", "Cơ quan Đảng"
        PARTY_CELL = "party_cell", "Tổ chức đảng, chi bộ"
        PEOPLE_COMMITTEE = "people_committee", "Ủy ban nhân dân"
        PEOPLE_COUNCIL = "people_council", "Hội đồng nhân dân"
        DEPARTMENT = "department", "Phòng, ban chuyên môn"
        POLICE = "police", "Công an"
        CLINIC = "clinic", "Trạm Y tế"
        MASS_ORG = "mass_org", "Mặt trận, đoàn thể"
        SCHOOL = "school", "Trường học"
        RESIDENTIAL_GROUP = "residential_group", "Tổ dân phố"
        OTHER = "other", "Khác"

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="Trực thuộc",
    )
    kind = models.CharField("Loại", max_length=20, choices=Kind.choices)
    code = models.CharField("Mã", max_length=40, unique=True)
    name = models.CharField("Tên đầy đủ", max_length=255)
    short_name = models.CharField("Tên viết tắt", max_length=120, blank=True)
    school_level = models.CharField(
        "Cấp học", max_length=10, blank=True, help_text="MN, TH, THCS (chỉ với trường)"
    )
    is_demo = models.BooleanField(
        "Dữ liệu minh họa", default=False, help_text="Đơn vị đặt ra để chạy thử, không phải đơn vị thật."
    )
    # Normalised name and short name (plans.text.normalize_name), kept on save for indexed look-ups.
    name_key = models.CharField(max_length=255, editable=False, db_index=True, default="")
    short_name_key = models.CharField(max_length=120, editable=False, db_index=True, default="")
    # Codes from the root down ("HN/LB/LB-UBND"): subtree look-ups without recursive queries.
    path = models.CharField("Đường dẫn", max_length=500, editable=False, db_index=True)
    # The nearest ward at or above the unit, kept with the path: scoping and collectives ("các trường" of
    # this ward) filter on it; null for city- and district-level units.
    ward = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="Phường",
    )

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = "Đơn vị"
        verbose_name_plural = "Đơn vị"
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="orgunit_code_not_empty"),
            models.CheckConstraint(condition=~Q(name=""), name="orgunit_name_not_empty"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if "/" in self.code:
            raise ValidationError({"code": "Mã đơn vị không được chứa dấu “/”."})
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None:
                raise ValidationError(
                    {"parent": "Đơn vị không thể trực thuộc chính nó hoặc đơn vị cấp dưới."}
                )
            ancestor = ancestor.parent

    def compute_path(self) -> str:
        return f"{self.parent.path}/{self.code}" if self.parent_id else self.code

    def save(self, *args, **kwargs):
        old_path, old_ward_id = self.path, self.ward_id
        self.path = self.compute_path()
        self.name_key, self.short_name_key = normalize_name(self.name), normalize_name(self.short_name)
        is_new_ward = self.kind == self.Kind.WARD and self.pk is None
        if self.kind != self.Kind.WARD:
            self.ward = (
                self.parent.ward if self.parent_id and self.parent.kind != self.Kind.WARD else self.parent
            )
        super().save(*args, **kwargs)
        if self.kind == self.Kind.WARD and (is_new_ward or self.ward_id != self.pk):
            self.ward = self
            super().save(update_fields=["ward"])
        if (old_path and old_path != self.path) or old_ward_id != self.ward_id:
            # Moving or renaming a unit moves its whole subtree.
            for child in self.children.all():
                child.save()

    @property
    def ancestor_codes(self) -> list[str]:
        return self.path.split("/")


class UnitAlias(models.Model):
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="aliases", verbose_name="Đơn vị")
    text = models.CharField("Cách viết", max_length=255)
    normalized = models.CharField(max_length=255, editable=False, db_index=True)

    class Meta:
        verbose_name = "Tên gọi khác"
        verbose_name_plural = "Tên gọi khác"
        constraints = [
            models.UniqueConstraint(fields=["unit", "normalized"], name="unitalias_unique_per_unit")
        ]

    def __str__(self):
        return self.text

    def save(self, *args, **kwargs):
        self.normalized = normalize_name(self.text)
        super().save(*args, **kwargs)


class CollectiveAlias(models.Model):
    """A phrase that names every unit of some kinds in a ward: "các trường", "đoàn thể", "TDP".

    With no kinds, a phrase that names no unit at all ("đơn vị liên quan", "doanh nghiệp"): cells keep it as
    written, and imports do not report it as an unknown unit.
    """

    text = models.CharField("Cụm từ", max_length=255)
    normalized = models.CharField(max_length=255, editable=False, unique=True)
    kinds = models.JSONField(
        "Loại đơn vị", default=list, blank=True, help_text="Để trống: cụm từ chung, không ứng với đơn vị nào."
    )
    school_level = models.CharField("Cấp học", max_length=10, blank=True)

    class Meta:
        verbose_name = "Tên gọi tập thể"
        verbose_name_plural = "Tên gọi tập thể"

    def __str__(self):
        return self.text

    def clean(self):
        valid = set(OrgUnit.Kind.values)
        if not isinstance(self.kinds, list) or not set(self.kinds) <= valid:
            raise ValidationError({"kinds": f"Loại đơn vị phải thuộc: {', '.join(sorted(valid))}."})

    def save(self, *args, **kwargs):
        self.normalized = normalize_name(self.text)
        super().save(*args, **kwargs)


class PlanQuerySet(models.QuerySet):
    def find(self, key: str) -> "Plan | None":
        """A plan by number and symbol ("29-kh/đu", "29 - KH/ĐU") or, for drafts without one, by code."""
        key = (key or "").strip()
        if not key:
            return None
        by_number = self.filter(number_normalized=normalize_number(key)).first()
        return by_number or self.filter(code__iexact=key).first()


class Plan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Dự thảo"
        ISSUED = "issued", "Đã ban hành"

    code = models.CharField("Mã kế hoạch", max_length=60, unique=True)
    number = models.CharField("Số, ký hiệu", max_length=60, blank=True)
    number_normalized = models.CharField(max_length=60, editable=False, db_index=True)
    issuer = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="issued_plans", verbose_name="Cơ quan ban hành"
    )
    issued_on = models.DateField("Ngày ban hành", null=True, blank=True)
    title = models.TextField("Trích yếu")
    period_start = models.PositiveSmallIntegerField("Từ năm", null=True, blank=True)
    period_end = models.PositiveSmallIntegerField("Đến năm", null=True, blank=True)
    basis = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="implemented_by",
        verbose_name="Căn cứ (kế hoạch cấp trên)",
    )
    status = models.CharField("Trạng thái", max_length=10, choices=Status.choices, default=Status.DRAFT)
    is_loaded_in_full = models.BooleanField(
        "Đã nhập đầy đủ", default=True, help_text="Tắt khi chỉ lưu thông tin chung của văn bản làm căn cứ."
    )
    source_note = models.TextField("Ghi chú nguồn", blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = "Kế hoạch"
        verbose_name_plural = "Kế hoạch"
        ordering = ["-issued_on", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["number_normalized"], condition=~Q(number_normalized=""), name="plan_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="plan_period_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status="issued") | ~Q(number=""), name="plan_issued_has_number"
            ),
        ]

    def __str__(self):
        return f"{self.number or self.code} — {self.title[:80]}"

    @property
    def display_number(self) -> str:
        return self.number or f"{self.code} (chưa có số)"

    @property
    def period(self) -> tuple[int, int] | None:
        if self.period_start and self.period_end:
            return (self.period_start, self.period_end)
        return None

    def save(self, *args, **kwargs):
        self.number_normalized = normalize_number(self.number)
        super().save(*args, **kwargs)


class Indicator(models.Model):
    class Comparator(models.TextChoices):
        GTE = "gte", "≥ (tối thiểu)"
        LTE = "lte", "≤ (tối đa)"
        EQ = "eq", "= (đúng bằng)"
        NONE_OCCURS = "none_occurs", "Không để xảy ra"
        QUALITATIVE = "qualitative", "Định tính"

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="indicators", verbose_name="Kế hoạch"
    )
    code = models.CharField("Mã", max_length=30)
    section = models.CharField("Mục", max_length=30, blank=True)
    order = models.PositiveIntegerField("Thứ tự", default=0)
    text = models.TextField("Chỉ tiêu")
    comparator = models.CharField("So sánh", max_length=12, choices=Comparator.choices)
    target_value = models.DecimalField(
        "Giá trị mục tiêu", max_digits=12, decimal_places=3, null=True, blank=True
    )
    unit = models.CharField("Đơn vị tính", max_length=30, blank=True)
    target_year = models.PositiveSmallIntegerField("Năm đạt", null=True, blank=True)
    baseline_value = models.DecimalField(
        "Giá trị gốc", max_digits=12, decimal_places=3, null=True, blank=True
    )
    baseline_year = models.PositiveSmallIntegerField("Năm gốc", null=True, blank=True)
    responsible_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name="Đơn vị chịu trách nhiệm",
    )

    class Meta:
        verbose_name = "Chỉ tiêu"
        verbose_name_plural = "Chỉ tiêu"
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="indicator_code_unique_per_plan"),
            models.CheckConstraint(
                condition=Q(comparator__in=["none_occurs", "qualitative"]) | Q(target_value__isnull=False),
                name="indicator_quantitative_has_target",
            ),
        ]

    def __str__(self):
        return f"{self.code}: {self.text[:80]}"

    def is_met(self, value) -> bool | None:
        """Whether a measured value reaches the target; None where that cannot be said (qualitative, or no
        target). The quarter report and the dashboard both judge indicators by this one rule."""
        if value is None:
            return None
        if self.comparator == self.Comparator.NONE_OCCURS:
            return value == 0
        if self.target_value is None:
            return None
        return {
            self.Comparator.GTE: value >= self.target_value,
            self.Comparator.LTE: value <= self.target_value,
            self.Comparator.EQ: value == self.target_value,
        }.get(self.comparator)

    @property
    def target_display(self) -> str:
        if self.comparator in (self.Comparator.NONE_OCCURS, self.Comparator.QUALITATIVE):
            return self.get_comparator_display()
        symbol = {"gte": "≥", "lte": "≤", "eq": "="}[self.comparator]
        value = f"{self.target_value.normalize():f}".replace(".", ",")
        return f"{symbol} {value}{' ' + self.unit if self.unit and self.unit != '%' else self.unit}"


class UserProfile(models.Model):
    """Which unit a user works for: the root of everything the user may see."""

    class Role(models.TextChoices):
        OFFICER = "officer", "Cán bộ đơn vị"
        REVIEWER = "reviewer", "Chuyên viên thẩm định"
        LEADER = "leader", "Lãnh đạo"
        ADMIN = "admin", "Quản trị"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="members", verbose_name="Đơn vị")
    role = models.CharField("Vai trò", max_length=10, choices=Role.choices, default=Role.OFFICER)
    # Printed beside the full name on reports (người thẩm định, người phê duyệt), never the username.
    title = models.CharField("Chức vụ", max_length=120, blank=True)

    class Meta:
        verbose_name = "Hồ sơ người dùng"
        verbose_name_plural = "Hồ sơ người dùng"

    def __str__(self):
        return f"{self.user} — {self.unit}"


class IndicatorValue(models.Model):
    """A measured value of an indicator (e.g. 96 % of teachers meeting the standard, as of 31/12/2026)."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="values", verbose_name="Chỉ tiêu"
    )
    value = models.DecimalField("Giá trị", max_digits=12, decimal_places=3)
    measured_on = models.DateField("Tính đến ngày")
    note = models.TextField("Ghi chú, nguồn số liệu", blank=True)

    class Meta:
        verbose_name = "Số liệu chỉ tiêu"
        verbose_name_plural = "Số liệu chỉ tiêu"
        ordering = ["indicator", "-measured_on"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "measured_on"], name="indicatorvalue_one_per_day"),
        ]

    def __str__(self):
        return f"{self.indicator.code}: {self.value} ({self.measured_on:%d/%m/%Y})"


class DocumentProfile(models.Model):
    """How a unit signs official documents: which rules its documents follow (a State body's NĐ 30/2020, a
    Party body's HD 36-HD/VPTW), the header lines, the place, the number symbol and the signature block. Data,
    not code, so every ward prints its own (docs/reports.md)."""

    class Format(models.TextChoices):
        STATE = "state", "Văn bản hành chính (Nghị định 30/2020/NĐ-CP)"
        PARTY = "party", "Văn bản của Đảng (Hướng dẫn 36-HD/VPTW)"

    unit = models.OneToOneField(
        OrgUnit, on_delete=models.CASCADE, related_name="document_profile", verbose_name="Đơn vị"
    )
    doc_format = models.CharField(
        "Thể thức văn bản", max_length=10, choices=Format.choices, default=Format.STATE,
        help_text="Cơ quan Đảng (Đảng ủy, Ban Thường vụ, chi bộ) ban hành theo Hướng dẫn 36-HD/VPTW; UBND, "
        "các phòng và đơn vị khác theo Nghị định 30/2020/NĐ-CP.",
    )  # fmt: skip
    parent_line = models.CharField("Tên cơ quan chủ quản", max_length=255, blank=True,
                                   help_text="Dòng trên của tiêu đề trái, ví dụ ỦY BAN NHÂN DÂN PHƯỜNG LONG BIÊN "
                                   "hoặc (văn bản của Đảng) ĐẢNG BỘ THÀNH PHỐ HÀ NỘI")  # fmt: skip
    name_line = models.CharField(
        "Tên cơ quan ban hành", max_length=255,
        help_text="Ví dụ PHÒNG VĂN HÓA - XÃ HỘI hoặc ĐẢNG ỦY PHƯỜNG LONG BIÊN",
    )  # fmt: skip
    place = models.CharField("Địa danh", max_length=100, help_text="Ví dụ Long Biên")
    symbol = models.CharField(
        "Ký hiệu báo cáo", max_length=40,
        help_text="Phần sau số: BC-VHXH (in “Số: 12/BC-VHXH”) hoặc, văn bản của Đảng, BC/ĐU (in “Số 12-BC/ĐU”)",
    )  # fmt: skip
    signer_authority = models.CharField(
        "Thẩm quyền ký", max_length=100, blank=True, help_text="TM., KT.… hoặc T/M BAN THƯỜNG VỤ (nếu có)"
    )
    signer_title = models.CharField("Chức vụ người ký", max_length=100)
    signer_name = models.CharField(
        "Họ tên người ký", max_length=100, blank=True,
        help_text="Để trống thì lấy họ tên của tài khoản người ký dưới đây.",
    )  # fmt: skip
    signer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name="Tài khoản người ký",
        help_text="Người ký thường xuyên; họ tên in dưới chỗ ký khi ô “Họ tên người ký” để trống.",
    )  # fmt: skip
    recipients = models.TextField("Nơi nhận", blank=True, help_text="Mỗi dòng một nơi nhận.")
    issues_reports = models.BooleanField(
        "Ban hành báo cáo KPI của phường", default=False,
        help_text="Đơn vị đứng tên các báo cáo tổng hợp KPI và tiến độ của phường (thường là Phòng VH-XH).",
    )  # fmt: skip

    class Meta:
        verbose_name = "Thông tin ban hành văn bản"
        verbose_name_plural = "Thông tin ban hành văn bản"

    def __str__(self):
        return f"{self.name_line} ({self.unit.code})"

    @property
    def recipient_lines(self) -> list[str]:
        return [line.strip() for line in self.recipients.splitlines() if line.strip()]

    @property
    def signer_full_name(self) -> str:
        """The name printed under the signing space: as typed, else the signer's account's full name."""
        if self.signer_name.strip():
            return self.signer_name.strip()
        return self.signer_user.get_full_name().strip() if self.signer_user_id else ""


class AuditEntry(models.Model):
    """The Nhật ký: who did what, when, to which object, read by leaders on a card's history page and by
    administrators in one admin list. Rows are only ever added (a trigger refuses changes)."""

    class Action(models.TextChoices):
        IMPORT = "import", "Nhập dữ liệu"
        APPROVE = "approve", "Phê duyệt phiếu"
        REOPEN = "reopen", "Mở lại phiếu"
        MOVE_RUBRIC = "move_rubric", "Chuyển phiếu sang phiên bản bộ tiêu chí mới"
        EVIDENCE_ADD = "evidence_add", "Thêm minh chứng"
        EVIDENCE_REMOVE = "evidence_remove", "Gỡ, xóa minh chứng"
        CRITERION_EDIT = "criterion_edit", "Sửa tiêu chí"
        DOWNLOAD = "download", "Tải báo cáo"
        EVIDENCE_DOWNLOAD = "evidence_download", "Tải, xem minh chứng"

    at = models.DateTimeField("Lúc", auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="Người thực hiện",
        help_text="Trống: hệ thống (lệnh quản trị).",
    )
    action = models.CharField("Việc", max_length=20, choices=Action.choices)
    # What it was done to: any model (a card, a plan, an evidence file), by type and id, so that a card's
    # history page can list it without the lower apps knowing the upper ones.
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    object_repr = models.CharField("Đối tượng", max_length=255, blank=True)
    # Where in the org tree it belongs: scopes the admin list like the pages.
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="Đơn vị"
    )
    summary = models.TextField("Nội dung", blank=True)
    file_name = models.CharField("Tên tệp", max_length=255, blank=True)
    file_sha256 = models.CharField("SHA-256 của tệp", max_length=64, blank=True)
    details = models.JSONField("Chi tiết", default=dict, blank=True)

    class Meta:
        verbose_name = "Nhật ký"
        verbose_name_plural = "Nhật ký"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="auditentry_object_idx")]

    def __str__(self):
        return f"{self.get_action_display()}: {self.object_repr}"
