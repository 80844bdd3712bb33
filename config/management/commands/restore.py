from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Khôi phục một bản sao lưu (lệnh backup) vào cơ sở dữ liệu trống và thư mục minh chứng trống, kiểm tra mã "
        "SHA-256 của từng tệp. Không ghi đè dữ liệu có sẵn."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Tệp sao lưu")

    def handle(self, *args, **options):
        try:
            manifest = restore_backup(Path(options["file"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Đã khôi phục bản sao lưu lúc {manifest['created_at']}: cơ sở dữ liệu và "
            f"{len(manifest['files'])} tệp minh chứng, mọi mã SHA-256 đều khớp. "
            "Chạy `manage.py migrate` nếu mã nguồn mới hơn bản sao lưu."
        )
        if manifest.get("missing"):
            self.stderr.write(
                f"Lúc sao lưu đã thiếu {len(manifest['missing'])} tệp minh chứng: {', '.join(manifest['missing'])}"
            )
