from django.core.management.base import BaseCommand, CommandError

from kpi.months import MonthError, parse_month
from kpi.scale_data import PREFIX, ScaleDataError, generate_scale_data

STATE_LABELS = {
    "draft": "nháp",
    "submitted": "đã nộp",
    "reviewed": "đã thẩm định",
    "approved": "đã phê duyệt",
}


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


class Command(BaseCommand):
    help = (
        f"Sinh dữ liệu mô phỏng (mã “{PREFIX}…”) để đo hiệu năng và trình diễn: một thành phố, N phường, "
        "mỗi phường M đơn vị, bản sao Kế hoạch 29-KH/ĐU và bộ tiêu chí KPI, phiếu chấm K tháng. "
        "Chạy lại với cùng tham số cho cùng dữ liệu (xóa dữ liệu mô phỏng cũ trước)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--wards", type=int, required=True, help="Số phường (1–999).")
        parser.add_argument("--units-per-ward", type=int, required=True, help="Số đơn vị mỗi phường (2–500).")
        parser.add_argument("--months", type=int, required=True, help="Số tháng chấm điểm (1–120).")
        parser.add_argument("--seed", type=int, default=1, help="Hạt giống ngẫu nhiên (mặc định 1).")
        parser.add_argument(
            "--until", help="Tháng cuối, dạng YYYY-MM (mặc định: tháng trước tháng hiện tại, giờ Việt Nam)."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Vẫn chạy khi cơ sở dữ liệu có dữ liệu thật (thêm dữ liệu mô phỏng bên cạnh).",
        )

    def handle(self, *args, **options):
        try:
            until = parse_month(options["until"]) if options["until"] else None
        except MonthError as exc:
            raise CommandError(str(exc)) from exc
        try:
            summary = generate_scale_data(
                wards=options["wards"],
                units_per_ward=options["units_per_ward"],
                months=options["months"],
                seed=options["seed"],
                until=until,
                force=options["force"],
                progress=lambda message: self.stdout.write(message),
            )
        except ScaleDataError as exc:
            raise CommandError(str(exc)) from exc

        out = self.stdout.write
        out(
            self.style.SUCCESS(
                f"Đã sinh dữ liệu mô phỏng trong {summary.seconds:.1f} giây, tháng "
                f"{summary.first_month:%m/%Y}–{summary.last_month:%m/%Y}:"
            )
        )
        out(f"  {_n(summary.wards)} phường, {_n(summary.units)} đơn vị (kể cả thành phố và các phường)")
        out(
            f"  {_n(summary.plans)} kế hoạch, {_n(summary.tasks)} nhiệm vụ, {_n(summary.indicator_values)} số liệu chỉ tiêu"
        )
        states = ", ".join(f"{_n(summary.states[s])} {label}" for s, label in STATE_LABELS.items())
        out(f"  {_n(summary.cards)} phiếu chấm ({states}); {_n(summary.missing)} đơn vị-tháng chưa có phiếu")
        out(
            f"  {_n(summary.entries)} dòng chấm điểm, {_n(summary.evidence)} minh chứng (đường dẫn), "
            f"{_n(summary.transitions)} lần chuyển trạng thái, {_n(summary.progress)} cập nhật tiến độ"
        )
        out("Tài khoản minh họa (tên đăng nhập / mật khẩu — vai trò):")
        for username, label in summary.users:
            out(f"  {username:<18} / {summary.password}  — {label}")
        if summary.wards > 1:
            others = "002" if summary.wards == 2 else f"002–{summary.wards:03d}"
            out(
                f"  … và gen.lanhdao.wNNN, gen.thamdinh.wNNN, gen.canbo.wNNN của phường {others}, "
                "cùng mật khẩu."
            )
        if summary.password_generated:
            out("  (Mật khẩu sinh ngẫu nhiên, chỉ in một lần; đặt DEMO_PASSWORD để dùng mật khẩu cố định.)")
