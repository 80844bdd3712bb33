from django.core.management.base import BaseCommand, CommandError

from plans.models import Plan
from reports.commands import add_format_arguments, issuer_options, parse_quarter, write_export


class Command(BaseCommand):
    help = "Xuất báo cáo tiến độ thực hiện một kế hoạch theo quý ra PDF hoặc Excel."

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="Số, ký hiệu (29-KH/ĐU) hoặc mã kế hoạch.")
        parser.add_argument("--quarter", required=True, help="Quý, dạng 2026-Q1.")
        add_format_arguments(parser)

    def handle(self, *args, **options):
        year, quarter = parse_quarter(options["quarter"])
        plan = Plan.objects.select_related("issuer").find(options["plan"])
        if plan is None:
            raise CommandError(f"Không tìm thấy kế hoạch “{options['plan']}”.")
        form = {"plan": plan, "year": year, "quarter": quarter, **issuer_options(options, plan.issuer.ward)}
        write_export(self, "quarter_report", options["format"], options["output"], form)
