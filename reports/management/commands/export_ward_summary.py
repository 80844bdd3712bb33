from django.core.management.base import BaseCommand, CommandError

from kpi.months import MonthError, parse_month
from plans.selectors import UnitNotFound, find_ward
from reports.commands import add_format_arguments, issuer_options, write_export


class Command(BaseCommand):
    help = "Xuất tổng hợp KPI tháng của một phường (mọi đơn vị, xếp loại, tỷ lệ nộp) ra PDF hoặc Excel."

    def add_arguments(self, parser):
        parser.add_argument(
            "--ward", required=True, help="Phường (tên, tên gọi khác hoặc mã), ví dụ “Long Biên”."
        )
        parser.add_argument("--month", required=True, help="Tháng, dạng YYYY-MM.")
        add_format_arguments(parser)

    def handle(self, *args, **options):
        try:
            ward = find_ward(options["ward"])
            month = parse_month(options["month"])
        except (UnitNotFound, MonthError) as exc:
            raise CommandError(str(exc)) from exc
        form = {"ward": ward, "month": month, **issuer_options(options, ward)}
        write_export(self, "ward_summary", options["format"], options["output"], form)
