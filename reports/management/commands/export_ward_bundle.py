import time

from django.core.management.base import BaseCommand, CommandError

from kpi.months import MonthError, parse_month
from plans.selectors import UnitNotFound, find_ward
from reports.bundle import default_workers, write_ward_bundle
from reports.commands import add_issuer_arguments, issuer_options
from reports.documents import Issuer, IssuerError, issuer_of


class Command(BaseCommand):
    help = (
        "Xuất trọn bộ KPI tháng của một phường thành một tệp ZIP: phiếu PDF của từng đơn vị và tổng hợp PDF."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ward", required=True, help="Phường (tên, tên gọi khác hoặc mã).")
        parser.add_argument("--month", required=True, help="Tháng, dạng YYYY-MM.")
        parser.add_argument("-o", "--output", required=True, help="Tệp .zip ghi ra.")
        parser.add_argument(
            "--workers", type=int, default=0, help=f"Số tiến trình dựng PDF (mặc định {default_workers()})."
        )
        add_issuer_arguments(parser)

    def handle(self, *args, **options):
        try:
            ward = find_ward(options["ward"])
            month = parse_month(options["month"])
        except (UnitNotFound, MonthError) as exc:
            raise CommandError(str(exc)) from exc
        form = issuer_options(options, ward)
        issuer = None
        if form.get("issuer") or form["number"]:
            try:
                issuer = issuer_of(form.get("issuer"), form["number"], default=Issuer.for_ward(ward))
            except IssuerError as exc:
                raise CommandError(str(exc)) from exc
        start = time.perf_counter()
        count = write_ward_bundle(
            ward, month, options["output"], issuer=issuer, workers=options["workers"] or None
        )
        self.stdout.write(
            f"Đã ghi {options['output']}: {count} văn bản (tổng hợp và {count - 1} phiếu), "
            f"{time.perf_counter() - start:.1f} giây."
        )
