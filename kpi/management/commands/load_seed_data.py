from django.core.management.base import BaseCommand, CommandError

from kpi.seed import load_seed_data
from plans.seed import SeedError
from tasks.models import Task
from tasks.seed import SEED_DIR


class Command(BaseCommand):
    help = "Nạp cây đơn vị, các kế hoạch thật (chỉ tiêu, nhóm, nhiệm vụ) và bộ tiêu chí KPI từ fixtures/seed. Chạy lại không đổi gì."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(SEED_DIR), help="Thư mục dữ liệu (mặc định fixtures/seed).")

    def handle(self, *args, **options):
        from pathlib import Path

        try:
            report = load_seed_data(Path(options["dir"]))
        except SeedError as exc:
            raise CommandError(f"Không nạp được dữ liệu (không có gì được ghi): {exc}") from exc

        for name, stats in report.items():
            self.stdout.write(f"{name}: {stats}")
        for note in sorted({note for stats in report.values() for note in stats.notes}):
            self.stdout.write(note)
        unresolved: dict[str, list[str]] = {}
        for stats in report.values():
            for name, places in stats.unresolved.items():
                unresolved.setdefault(name, []).extend(places)
        if unresolved:
            # Not units of the ward ("doanh nghiệp", "đơn vị liên quan"): kept as written on the task.
            self.stdout.write(
                f"Tên không ứng với đơn vị nào, giữ nguyên văn trên nhiệm vụ ({len(unresolved)} tên; -v 2 để xem chỗ):"
            )
            for name, places in sorted(unresolved.items(), key=lambda item: (-len(item[1]), item[0])):
                where = f": {', '.join(places)}" if options["verbosity"] > 1 else ""
                self.stdout.write(f"  - “{name}” ×{len(places)}{where}")
        undated = (
            Task.objects.filter(schedule__needs_date=True).select_related("plan").order_by("plan", "order")
        )
        if undated:
            self.stdout.write(f"Nhiệm vụ cần xác định thời hạn ({len(undated)}):")
            for task in undated:
                self.stdout.write(f"  - {task.plan.code} / {task.code}: “{task.deadline_text}”")
        changed = sum(stats.changed for stats in report.values())
        self.stdout.write(self.style.SUCCESS(f"Xong: {changed} thay đổi."))
