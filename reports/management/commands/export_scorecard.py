from django.core.management.base import BaseCommand, CommandError

from kpi.models import Scorecard
from kpi.months import MonthError, parse_month
from plans.selectors import UnitNotFound, find_unit
from reports.commands import add_format_arguments, issuer_options, write_export


class Command(BaseCommand):
    help = (
        "Xuất phiếu đánh giá KPI tháng của một đơn vị ra PDF (thể thức của cơ quan ban hành: NĐ 30/2020 hoặc "
        "HD 36-HD/VPTW) hoặc Excel."
    )

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help="Đơn vị (tên, tên gọi khác hoặc mã).")
        parser.add_argument("--month", required=True, help="Tháng, dạng YYYY-MM.")
        add_format_arguments(parser)

    def handle(self, *args, **options):
        try:
            unit = find_unit(options["unit"])
            month = parse_month(options["month"])
        except (UnitNotFound, MonthError) as exc:
            raise CommandError(str(exc)) from exc
        card = (
            Scorecard.objects.filter(unit=unit, month=month)
            .select_related("unit", "rubric__plan", "reviewed_by", "approved_by")
            .order_by("-rubric__version")
            .first()
        )
        if card is None:
            raise CommandError(f"{unit.name} chưa có phiếu KPI tháng {month:%m/%Y}.")
        form = {"scorecard": card, **issuer_options(options, unit.ward)}
        write_export(self, "scorecard", options["format"], options["output"], form)
