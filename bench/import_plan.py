"""Benchmark: import a 1,000-row plan appendix (issue "Excel import and export", target: a few seconds).

    .venv/bin/python bench/import_plan.py [ROWS] [restart]       # SQLite, in a fresh temporary database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python bench/import_plan.py

Builds an appendix in the messy shapes the importer must read (group rows, the header repeated, units written
several ways, multi-line cells), then times: the first import, a re-import (nothing changes), a dry run, and the
xlsx export; and counts queries. Not a test: run it by hand, copy the figures into docs/performance.md.
With "restart", the numbering starts again at 1 in every group and unit cells are bulleted lists, as many
wards write them (only the importer of issue #14 reads that shape).
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from plans.models import Plan  # noqa: E402
from plans.seed import load_units  # noqa: E402
from tasks.plan_export import plan_workbook  # noqa: E402
from tasks.plan_import import import_plan  # noqa: E402
from tasks.seed import SEED_DIR, read_toml  # noqa: E402

LEADS = ["Phòng VHXXH", "P.VHXH", "UBND phường", "Phòng Văn hóa - Xã hội", "Trạm Y tế", "Nhà trường"]
PARTNERS = [
    "P.KTHTĐT; BQLDA; CA phường; các trường",
    "CA; đoàn thể; các trường",
    "Trường MN; TDP",
    "MTTQ, đoàn thể",
]
DEADLINES = ["Quý II/2026", "Hằng năm", "Thường xuyên", "1-2 đợt/năm", "Từ Quý III/2026 và thực hiện thường xuyên",
             "Theo lộ trình TP", "trước ngày 15/8 hằng năm"]  # fmt: skip
HEADER = [
    "STT",
    "Nội dung nhiệm vụ",
    "Bộ phận thực hiện",
    "Bộ phận phối hợp",
    "Sản phẩm",
    "Thời gian hoàn thành",
]


def build(path: Path, rows: int, restart: bool = False):
    book = Workbook()
    sheet = book.active
    sheet.append(["PHỤ LỤC: BIỂU PHÂN CÔNG NHIỆM VỤ VÀ TIẾN ĐỘ THỰC HIỆN"])
    sheet.append([])
    for n in range(1, rows + 1):
        if n % 50 == 1:
            sheet.append([f"NHÓM {n // 50 + 1}. NHÓM NHIỆM VỤ SỐ {n // 50 + 1}"])
            sheet.append(HEADER)
        partners = PARTNERS[n % len(PARTNERS)]
        if restart:
            partners = "\n".join(f"- {p.strip()};" for p in partners.replace(",", ";").split(";"))
        sheet.append([(n - 1) % 50 + 1 if restart else n, f"Nhiệm vụ số {n}: rà soát, báo cáo\nvà đề xuất giải pháp",
                      LEADS[n % len(LEADS)], partners, f"Báo cáo {n}", DEADLINES[n % len(DEADLINES)]])  # fmt: skip
    book.save(path)


def timed(label, func):
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - start
    print(f"{label:<34} {elapsed:7.2f} s  {len(queries):5d} queries")
    return result


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    restart = "restart" in sys.argv[2:]
    call_command("migrate", verbosity=0)
    load_units(read_toml(SEED_DIR / "units.toml"), "units.toml")
    Plan.objects.filter(number="900/KH-BENCH").delete()
    path = Path(tempfile.mkdtemp()) / "appendix.xlsx"
    build(path, rows, restart)
    shape = ", numbering restarting per group, bulleted unit cells" if restart else ""
    print(f"{rows} rows{shape}, {connection.vendor}, file {path.stat().st_size // 1024} KiB")
    args = {"plan_key": "900/KH-BENCH", "issuer": "LB-UBND", "title": "Kế hoạch đo tốc độ"}
    report = timed("first import", lambda: import_plan(path, **args))
    assert report.created == rows and not report.problems, report.problems[:3]
    report = timed("re-import (nothing changes)", lambda: import_plan(path, **args))
    assert report.unchanged == rows
    timed("dry run", lambda: import_plan(path, dry_run=True, **args))
    plan = Plan.objects.get(number="900/KH-BENCH")
    data = timed("export xlsx", lambda: plan_workbook(plan))
    print(f"export size {len(data) // 1024} KiB")


if __name__ == "__main__":
    main()
