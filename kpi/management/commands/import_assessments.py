from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kpi.import_audit import record_assessment_import
from kpi.imports import ImportFileError, import_assessments
from kpi.selectors import latest_rubrics
from plans.models import Plan
from plans.selectors import UnitNotFound, find_ward


class Command(BaseCommand):
    help = (
        "Nhập điểm KPI các tháng trước từ Excel (Tháng | Đơn vị | Mã tiêu chí | Kết quả | Tỷ lệ đạt | Điểm thẩm định "
        "| Ghi chú | Minh chứng). Có lỗi ở bất kỳ dòng nào thì không ghi gì."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Tệp .xlsx")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra và báo cáo, không ghi.")
        parser.add_argument("--ward", help="Chỉ tìm đơn vị trong phường này (khi tên trùng giữa các phường).")
        parser.add_argument("--plan", help="Kế hoạch có bộ tiêu chí (khi đơn vị thuộc nhiều bộ).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Không có tệp {path}.")
        try:
            ward = find_ward(options["ward"]) if options["ward"] else None
        except UnitNotFound as exc:
            raise CommandError(str(exc)) from exc
        rubric = None
        if options["plan"]:
            plan = Plan.objects.find(options["plan"])
            rubrics = [r for r in latest_rubrics() if plan and r.plan_id == plan.pk]
            if not rubrics:
                raise CommandError(f"Không có bộ tiêu chí KPI của kế hoạch “{options['plan']}”.")
            rubric = rubrics[0]
        try:
            with transaction.atomic():  # the cards and their Nhật ký entry, or neither
                report = import_assessments(
                    path, dry_run=options["dry_run"], rubric=rubric, within=ward,
                    progress=lambda n: self.stderr.write(f"Đã kiểm tra {n} dòng…"),
                )  # fmt: skip
                if not report.errors and not options["dry_run"]:
                    record_assessment_import(
                        by=None, path=path, file_name=path.name, report=report, unit=ward
                    )
        except ImportFileError as exc:
            raise CommandError(f"{path.name}: {exc} Không có gì được ghi.") from exc
        if report.errors:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(report.errors)} lỗi trong {path.name}. Không có gì được ghi.")
        if options["dry_run"]:
            self.stdout.write(
                f"Chạy thử: {len(report.rows)} dòng hợp lệ, 0 lỗi. Nếu ghi thật sẽ tạo {report.created} phiếu mới, "
                f"cập nhật {report.updated} phiếu. Không có gì được ghi."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã nhập {len(report.rows)} dòng: {report.created} phiếu mới, {report.updated} phiếu cập nhật "
                "(trạng thái Đã thẩm định, chờ phê duyệt)."
            )
        )
