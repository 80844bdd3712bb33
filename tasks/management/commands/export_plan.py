import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from plans.models import Plan
from tasks.plan_export import plan_workbook
from tasks.selectors import plan_export_data


class Command(BaseCommand):
    help = (
        "Xuất một kế hoạch ra JSON (chỉ tiêu, nhóm, nhiệm vụ, nhiệm vụ con) hoặc xlsx (phụ lục nhiệm vụ, đọc lại được "
        "bằng import_plan); --list liệt kê các kế hoạch."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", help="Số, ký hiệu (29-KH/ĐU) hoặc mã kế hoạch với bản chưa có số.")
        parser.add_argument(
            "--format", default="json", choices=["json", "xlsx"], help="Định dạng: json hoặc xlsx."
        )
        parser.add_argument("-o", "--output", help="Tệp ghi ra (mặc định: màn hình).")
        parser.add_argument("--list", action="store_true", help="Liệt kê kế hoạch: mã, số, trích yếu.")
        parser.add_argument("--year", type=int, help="Năm lấy các hạn (due_dates); mặc định năm nay.")
        parser.add_argument("--today", help="Ngày tính trạng thái, YYYY-MM-DD; mặc định hôm nay.")

    def handle(self, *args, **options):
        if options["list"]:
            for plan in Plan.objects.select_related("issuer").order_by("code"):
                self.stdout.write(f"{plan.code}\t{plan.number or '-'}\t{plan.title}")
            return
        if not options["plan"]:
            raise CommandError("Cần --plan (số, ký hiệu hoặc mã kế hoạch) hoặc --list.")
        plan = Plan.objects.select_related("issuer").find(options["plan"])
        if plan is None:
            raise CommandError(
                f"Không tìm thấy kế hoạch “{options['plan']}”. Xem danh sách: python manage.py export_plan --list"
            )
        if options["format"] == "xlsx":
            if not options["output"]:
                raise CommandError("Xuất xlsx cần -o TỆP.xlsx.")
            with open(options["output"], "wb") as handle:
                handle.write(plan_workbook(plan))
            self.stderr.write(f"Đã ghi {options['output']}")
            return
        today = timezone.localdate()
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(f"--today “{options['today']}” không đúng dạng YYYY-MM-DD.") from exc
        data = plan_export_data(plan, year=options["year"] or today.year, today=today)
        text = json.dumps(data, ensure_ascii=False, indent=2)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            self.stderr.write(f"Đã ghi {options['output']}")
        else:
            self.stdout.write(text)
