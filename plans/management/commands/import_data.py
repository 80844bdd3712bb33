from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from plans.import_audit import record_table_import
from plans.models import Plan
from plans.tables import REGISTRY, import_table
from plans.xlsx import ImportFileError


class Command(BaseCommand):
    help = "Nhập danh mục từ Excel: units (đơn vị), indicators (chỉ tiêu của kế hoạch), rubric (bộ tiêu chí KPI)."

    def add_arguments(self, parser):
        parser.add_argument("table", choices=sorted(REGISTRY), help="Loại dữ liệu.")
        parser.add_argument("file", help="Tệp .xlsx")
        parser.add_argument("--plan", help="Kế hoạch (với indicators, rubric).")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra và báo cáo, không ghi.")

    def handle(self, *args, **options):
        table_class = REGISTRY[options["table"]]
        plan = None
        if table_class.needs_plan:
            plan = Plan.objects.find(options["plan"] or "")
            if plan is None:
                raise CommandError(
                    f"Cần --plan (số, ký hiệu hoặc mã kế hoạch có thật) cho {table_class.verbose_name}."
                )
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Không có tệp {path}.")
        try:
            with transaction.atomic():  # the rows and their Nhật ký entry, or neither
                report = import_table(table_class(plan), path, dry_run=options["dry_run"])
                if not report.problems and not options["dry_run"]:
                    record_table_import(
                        by=None,
                        path=path,
                        file_name=path.name,
                        table_class=table_class,
                        plan=plan,
                        report=report,
                        via="lệnh import_data",
                    )
        except ImportFileError as exc:
            raise CommandError(f"{path.name}: {exc} Không có gì được ghi.") from exc
        if report.problems:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(report.problems)} lỗi trong {path.name}. Không có gì được ghi.")
        verb = "Chạy thử — nếu ghi thật sẽ có" if options["dry_run"] else "Đã nhập"
        self.stdout.write(
            f"{verb} {len(report.rows)} dòng ({table_class.verbose_name}): {report.created} mới, "
            f"{report.updated} cập nhật, {report.unchanged} không đổi."
        )
        for note in report.notes:
            self.stdout.write(note)
