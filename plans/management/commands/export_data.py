from django.core.management.base import BaseCommand, CommandError

from plans.models import Plan
from plans.tables import REGISTRY, export_table


class Command(BaseCommand):
    help = "Xuất danh mục ra Excel (units, indicators, rubric), hoặc tệp mẫu để điền (--template)."

    def add_arguments(self, parser):
        parser.add_argument("table", choices=sorted(REGISTRY), help="Loại dữ liệu.")
        parser.add_argument("-o", "--output", required=True, help="Tệp .xlsx ghi ra.")
        parser.add_argument("--plan", help="Kế hoạch (với indicators, rubric).")
        parser.add_argument("--template", action="store_true", help="Tệp mẫu với vài dòng ví dụ.")

    def handle(self, *args, **options):
        table_class = REGISTRY[options["table"]]
        plan = None
        if table_class.needs_plan and not options["template"]:
            plan = Plan.objects.find(options["plan"] or "")
            if plan is None:
                raise CommandError(
                    f"Cần --plan (số, ký hiệu hoặc mã kế hoạch có thật) cho {table_class.verbose_name}."
                )
        with open(options["output"], "wb") as handle:
            handle.write(export_table(table_class(plan), template=options["template"]))
        self.stdout.write(f"Đã ghi {options['output']}")
