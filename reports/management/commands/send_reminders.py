from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from reports.jobs import delete_expired_files
from reports.mail import MailUnavailable, send_digests
from reports.notify import allowed, already_told, notify
from reports.reminders import reminders_for


class Command(BaseCommand):
    help = (
        "Ghi các lời nhắc của một ngày (nhiệm vụ sắp đến hạn, quá hạn; phiếu KPI chưa nộp, bị trả lại, chờ "
        "thẩm định, chờ phê duyệt) thành thông báo, mỗi người nhận mỗi việc một lần trong ngày, rồi gửi thư "
        "tổng hợp. Chạy lại trong cùng ngày không gửi gì mới."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Ngày chạy, dạng YYYY-MM-DD (mặc định: hôm nay).")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ in những gì sẽ gửi, không ghi gì.")

    def handle(self, *args, **options):
        today = self._day(options["today"])
        dry_run = options["dry_run"]
        cache: dict = {}
        recorded = 0
        with transaction.atomic():
            for message in reminders_for(today):
                if dry_run:
                    if allowed(message, cache) and not already_told(message):
                        recorded += 1
                        self.stdout.write(f"{message.user.username}: {message.title}")
                elif notify(message, cache) is not None:
                    recorded += 1
        verb = "Sẽ ghi" if dry_run else "Đã ghi"
        self.stdout.write(f"{verb} {recorded} thông báo mới ngày {today:%d/%m/%Y}.")
        try:
            sent, lines = send_digests(today, dry_run=dry_run)
        except MailUnavailable as exc:
            raise CommandError(
                f"Máy chủ thư không nhận thư ({exc}). Các thông báo đã được ghi; thư tổng hợp vẫn chờ và sẽ "
                "được gửi ở lần chạy sau (EMAIL_URL trong cấu hình)."
            ) from exc
        for line in lines:
            self.stdout.write(line)
        if dry_run:
            self.stdout.write(f"Sẽ gửi {len(lines)} thư tổng hợp. (--dry-run: không ghi, không gửi gì.)")
            return
        self.stdout.write(f"Đã gửi {sent} thư tổng hợp.")
        removed = delete_expired_files()
        if removed:
            self.stdout.write(f"Đã xóa {removed} tệp hết hạn lưu.")

    def _day(self, text: str | None) -> date:
        if not text:
            return timezone.localdate()
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise CommandError(
                f"Ngày “{text}” không hợp lệ: viết theo dạng YYYY-MM-DD, ví dụ 2026-03-28."
            ) from None
