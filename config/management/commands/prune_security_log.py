from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

# TCVN 14423 asks for a month of security records at least: no run of this command keeps less.
MINIMUM_DAYS = 31


class Command(BaseCommand):
    help = (
        "Xóa bản ghi đăng nhập, đăng xuất và đăng nhập sai (django-axes) cũ hơn số ngày cho trước (ít nhất "
        f"{MINIMUM_DAYS}). Nhật ký (phê duyệt, mở lại, nhập dữ liệu, minh chứng, tải về) và lịch sử quản trị "
        "không bao giờ bị xóa: đó là hồ sơ công việc."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS", help="Số ngày giữ lại")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ đếm, không xóa")

    def handle(self, *args, **options):
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        days = options["older_than"]
        if days < MINIMUM_DAYS:
            raise CommandError(
                f"--older-than {days}: phải giữ nhật ký an ninh ít nhất {MINIMUM_DAYS} ngày (TCVN 14423). "
                "Không xóa gì."
            )
        cutoff = timezone.now() - timedelta(days=days)
        counts = {}
        for label, model in [("đăng nhập, đăng xuất", AccessLog), ("đăng nhập sai", AccessFailureLog),
                             ("lần thử đang đếm", AccessAttempt)]:  # fmt: skip
            old = model.objects.filter(attempt_time__lt=cutoff)
            counts[label] = old.count() if options["dry_run"] else old.delete()[0]
        done = "Sẽ xóa" if options["dry_run"] else "Đã xóa"
        summary = ", ".join(f"{count} bản ghi {label}" for label, count in counts.items())
        self.stdout.write(f"{done} {summary} trước {timezone.localtime(cutoff):%d/%m/%Y %H:%M}.")
