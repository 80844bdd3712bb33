from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.backup import BackupError, write_backup


class Command(BaseCommand):
    help = (
        "Sao lưu toàn bộ hệ thống vào một tệp: cơ sở dữ liệu (pg_dump hoặc bản sao trực tuyến của SQLite), mọi "
        "tệp minh chứng kèm mã SHA-256, và danh mục manifest.json."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-o", "--output", required=True, help="Tệp sao lưu sẽ ghi, ví dụ /backup/kehoach-2026-03-31.tar"
        )

    def handle(self, *args, **options):
        output = Path(options["output"])
        try:
            manifest, report = write_backup(output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Đã sao lưu vào {output}: cơ sở dữ liệu {manifest['database']['vendor']}, "
            f"{report.files} tệp minh chứng ({report.bytes / (1024 * 1024):.1f} MB)."
        )
        problems = []
        if report.missing:
            problems.append(
                f"{len(report.missing)} tệp minh chứng không còn trên đĩa: {', '.join(report.missing)}"
            )
        if report.altered:
            problems.append(
                f"{len(report.altered)} tệp khác mã SHA-256 ghi lúc tải lên (đã bị sửa trên đĩa?): "
                f"{', '.join(report.altered)}"
            )
        if problems:
            # Non-zero, so that a scheduled run mails the administrator; the archive is kept all the same.
            raise CommandError("Bản sao lưu đã ghi nhưng chưa đủ. " + " ".join(problems))
