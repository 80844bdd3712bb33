"""Download links in the admin. Reports sit above kpi and tasks, so they extend those admins here rather
than being imported by them (dependencies point plans ← tasks ← kpi ← reports)."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join

from kpi.models import Scorecard
from plans.models import Plan


def _extend(model, field: str, method):
    base = type(admin.site._registry[model])
    admin.site.unregister(model)

    class Extended(base):
        def get_readonly_fields(self, request, obj=None):
            return [*super().get_readonly_fields(request, obj), field]

    setattr(Extended, field, method)
    admin.site.register(model, Extended)


@admin.display(description="Tải về")
def scorecard_downloads(self, obj):
    if obj is None or obj.pk is None:
        return "—"
    ward = obj.unit.ward
    links = [
        ("Phiếu KPI (PDF)", reverse("reports:scorecard", args=[obj.pk, "pdf"])),
        ("Phiếu KPI (Excel)", reverse("reports:scorecard", args=[obj.pk, "xlsx"])),
    ]
    if ward is not None:
        month = f"{obj.month:%Y-%m}"
        links += [
            (
                f"Tổng hợp phường tháng {obj.month:%m/%Y} (PDF)",
                reverse("reports:ward_summary", args=[ward.code, month, "pdf"]),
            ),
            ("(Excel)", reverse("reports:ward_summary", args=[ward.code, month, "xlsx"])),
        ]
    return format_html_join(" · ", '<a href="{}">{}</a>', ((url, label) for label, url in links))


@admin.display(description="Báo cáo tiến độ theo quý")
def plan_reports(self, obj):
    if obj is None or obj.pk is None or obj.issuer.ward is None:
        return "—"
    year = timezone.localdate().year
    return format_html_join(
        " · ",
        '{} <a href="{}">PDF</a> <a href="{}">Excel</a>',
        (
            (f"Quý {roman}/{year}", reverse("reports:quarter_report", args=[obj.pk, year, q, "pdf"]),
             reverse("reports:quarter_report", args=[obj.pk, year, q, "xlsx"]))
            for q, roman in enumerate(["I", "II", "III", "IV"], start=1)
        ),
    )  # fmt: skip


_extend(Scorecard, "downloads", scorecard_downloads)
_extend(Plan, "quarter_reports", plan_reports)


# The job queue's own admin pages (django-q2: queued, successful, failed and scheduled jobs) are site-wide
# machinery: a job's arguments and errors may name any ward, so only superusers see them.
def _queue_admins():
    from django_q import admin as q_admin
    from django_q.models import OrmQ, Schedule

    from plans.admin_scope import ScopedAdmin

    for model in [q_admin.Success, q_admin.Failure, Schedule, OrmQ]:
        if not admin.site.is_registered(model):
            continue
        base = type(admin.site._registry[model])
        admin.site.unregister(model)
        admin.site.register(
            model, type(f"SuperuserOnly{base.__name__}", (ScopedAdmin, base), {"superuser_only": True})
        )


_queue_admins()
