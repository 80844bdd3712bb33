import json

from django.core.management.base import BaseCommand, CommandError

from kpi.months import MonthError, parse_month
from kpi.scoring import Rank, round2
from kpi.selectors import latest_rubrics, month_rates, month_summary
from plans.selectors import UnitNotFound, find_unit, find_ward


def two(value):
    """Numbers as strings with two decimals ("87.50"), None as null."""
    return None if value is None else f"{round2(value):.2f}"


class Command(BaseCommand):
    help = (
        "Tổng hợp KPI một tháng theo đơn vị: trạng thái, tổng điểm, xếp loại, điểm áp dụng, điểm từng nhóm."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="Tháng, dạng YYYY-MM (2026-03).")
        parser.add_argument("--ward", help="Phường (tên, tên gọi khác hoặc mã).")
        parser.add_argument("--unit", help="Một đơn vị (tên, tên gọi khác hoặc mã).")
        parser.add_argument("--json", action="store_true", help="In danh sách JSON.")

    def handle(self, *args, **options):
        try:
            month = parse_month(options["month"])
            ward = find_ward(options["ward"]) if options["ward"] else None
            unit = find_unit(options["unit"], within=ward) if options["unit"] else None
        except (MonthError, UnitNotFound) as exc:
            raise CommandError(str(exc)) from exc

        rows, rates = [], []
        for rubric in latest_rubrics(ward=ward):
            rates.append((rubric, month_rates(rubric, month)))
            units = rubric.units.order_by("path")
            if unit is not None:
                units = units.filter(pk=unit.pk)
            rows.extend(month_summary(rubric, month, units))
        if unit is not None and not rows:
            raise CommandError(f"{unit.name} không thuộc bộ tiêu chí KPI nào.")

        data = []
        for row in rows:
            card, score, total, rank = row.card, row.score, row.official_total, row.official_rank
            data.append(
                {
                    "unit": row.unit.name,
                    "unit_code": row.unit.code,
                    "state": card.state if card else None,
                    "state_label": card.get_state_display() if card else "Chưa có phiếu",
                    "total": two(total),
                    "rank": Rank(rank).label if rank else None,
                    "applicable": two(score.applicable) if score else None,
                    "groups": {code: two(points) for code, points in score.groups.items()} if score else {},
                    "on_time": card.submitted_on_time if card else None,
                }
            )
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"KPI tháng {month:%m/%Y}: {len(data)} đơn vị")
        for rubric, rate in rates:
            completeness = f"{two(rate.completeness)}%" if rate.completeness is not None else "—"
            timeliness = f"{two(rate.timeliness)}%" if rate.timeliness is not None else "—"
            self.stdout.write(
                f"{rubric.plan.number or rubric.plan.code}: đã nộp {rate.submitted}/{rate.expected} "
                f"(đầy đủ {completeness}), đúng hạn {rate.on_time}/{rate.timed} ({timeliness})"
            )
        for item in data:
            groups = " ".join(f"N{code}={points}" for code, points in item["groups"].items())
            on_time = {True: "đúng hạn", False: "muộn", None: "—"}[item["on_time"]]
            self.stdout.write(
                f"{item['unit']} | {item['state_label']} | {item['total'] or '—'} | {item['rank'] or '—'} | "
                f"áp dụng {item['applicable'] or '—'} | {groups} | {on_time}"
            )
