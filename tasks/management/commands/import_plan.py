from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from plans.import_audit import record_import
from plans.models import Plan
from plans.selectors import UnitNotFound, find_unit
from plans.xlsx import ImportFileError
from tasks.plan_import import NeedsOption, import_plan, unknown_units_summary

# Problems printed before "… và N lỗi khác": enough to fix a file in one sitting, not a wall of text.
MAX_PRINTED = 200


class Command(BaseCommand):
    help = (
        "Nhập phụ lục nhiệm vụ của một kế hoạch từ Excel (STT | Nội dung | Chủ trì | Phối hợp | Thời gian | Sản "
        "phẩm…, theo bất kỳ thứ tự nào). Có lỗi thì không ghi gì; nhập lại cùng kế hoạch thì cập nhật theo STT."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Tệp .xlsx")
        parser.add_argument("--plan", required=True, help="Số, ký hiệu (29-KH/ĐU) hoặc mã kế hoạch.")
        parser.add_argument("--title", default="", help="Trích yếu (khi tạo kế hoạch mới hoặc muốn sửa).")
        parser.add_argument("--issuer", default="", help="Đơn vị ban hành (tên, tên gọi khác hoặc mã).")
        parser.add_argument(
            "--ward", default="", help="Phường để tìm đơn vị (mặc định: phường của đơn vị ban hành)."
        )
        parser.add_argument(
            "--create-units", action="store_true", help="Tạo các đơn vị chưa có trong phường."
        )
        parser.add_argument(
            "--map", action="append", default=[], metavar="TÊN=ĐƠN VỊ",
            help="Ghép một tên trong tệp với đơn vị có sẵn (tên, tên gọi khác hoặc mã); tên được nhớ cho lần sau. "
            "Dùng nhiều lần được.",
        )  # fmt: skip
        parser.add_argument(
            "--allow-no-lead", action="store_true",
            help="Chấp nhận nhiệm vụ có ô chủ trì trống hoặc không xác định được (mặc định: báo lỗi).",
        )  # fmt: skip
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra và báo cáo, không ghi.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Không có tệp {path}.")
        unit_map = {}
        for pair in options["map"]:
            name, _, target = pair.partition("=")
            if not name.strip() or not target.strip():
                raise CommandError(f"--map “{pair}”: cần dạng TÊN=ĐƠN VỊ.")
            try:
                unit_map[name.strip()] = find_unit(target.strip())
            except UnitNotFound as exc:
                raise CommandError(f"--map “{pair}”: {exc}") from exc
        try:
            with transaction.atomic():  # the plan and its Nhật ký entry, or neither
                report = import_plan(
                    path, plan_key=options["plan"], title=options["title"], issuer=options["issuer"],
                    ward=options["ward"], create_units=options["create_units"], dry_run=options["dry_run"],
                    unit_map=unit_map, allow_no_lead=options["allow_no_lead"],
                    progress=lambda n: self.stderr.write(f"Đã đọc {n} dòng…"),
                )  # fmt: skip
                if not report.problems and not options["dry_run"]:
                    plan = Plan.objects.select_related("issuer").find(options["plan"])
                    record_import(
                        by=None, path=path, file_name=path.name, obj=plan, unit=plan.issuer,
                        summary=f"Nhập phụ lục nhiệm vụ của kế hoạch {plan.display_number} (lệnh import_plan): "
                        f"{len(report.rows)} nhiệm vụ ({report.created} mới, {report.updated} cập nhật, "
                        f"{report.unchanged} không đổi).",
                        details={"created": report.created, "updated": report.updated,
                                 "unchanged": report.unchanged},
                    )  # fmt: skip
        except NeedsOption as exc:
            raise CommandError(f"{path.name}: {exc} (lệnh: {exc.option}) Không có gì được ghi.") from exc
        except ImportFileError as exc:
            raise CommandError(f"{path.name}: {exc} Không có gì được ghi.") from exc

        if report.problems:
            for problem in report.problems[:MAX_PRINTED]:
                self.stderr.write(str(problem))
            if len(report.problems) > MAX_PRINTED:
                self.stderr.write(f"… và {len(report.problems) - MAX_PRINTED} lỗi khác.")
            if report.unknown_units:
                self.stderr.write("Đơn vị chưa có: " + "; ".join(unknown_units_summary(report)))
                self.stderr.write('Tạo mới: --create-units; ghép với đơn vị có sẵn: --map "TÊN=ĐƠN VỊ".')
            if any("chủ trì" in p.message for p in report.problems):
                self.stderr.write("Chấp nhận nhiệm vụ chưa có đơn vị chủ trì: --allow-no-lead.")
            raise CommandError(f"{len(report.problems)} lỗi trong {path.name}. Không có gì được ghi.")

        verb = "Chạy thử — nếu ghi thật sẽ" if options["dry_run"] else "Đã"
        self.stdout.write(
            f"{verb} nhập {len(report.rows)} nhiệm vụ, {len(report.groups)} nhóm từ trang “{report.sheet}”: "
            f"{report.created} mới, {report.updated} cập nhật, {report.unchanged} không đổi"
            + (" (tạo kế hoạch mới)" if report.plan_created else "")
            + "."
        )
        if report.units_created:
            self.stdout.write(
                f"Đơn vị tạo mới ({len(report.units_created)}): " + "; ".join(report.units_created)
            )
        for row in report.duplicates:
            self.stdout.write(
                f"Dòng {row.number} (STT {row.code}) trùng nội dung STT {row.duplicate_of}: đã đánh dấu."
            )
        if report.undated:
            self.stdout.write(f"Thời hạn chưa hiểu được, cần xác định ({len(report.undated)}):")
            for row in report.undated:
                self.stdout.write(f"  - dòng {row.number}, STT {row.code}: “{row.deadline}”")
        if options["dry_run"]:
            self.stdout.write("Không có gì được ghi (--dry-run).")
