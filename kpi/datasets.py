"""A plan's KPI rubric as a spreadsheet (see plans/tables.py): one row per criterion."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from kpi.models import Criterion, Rubric
from kpi.selectors import latest_rubrics
from kpi.services import rubric_create, split_points
from plans.formatting import vn_decimal
from plans.tables import Column, Table, TableReport, register
from plans.text import normalize_name
from plans.xlsx import cell_text


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


@register
class RubricTable(Table):
    identifier = "rubric"
    verbose_name = "Bộ tiêu chí KPI"
    needs_plan = True
    columns = [
        Column("group", "Nhóm", required=True, width=7),
        Column("group_name", "Tên nhóm", width=30),
        Column("group_max", "Điểm tối đa nhóm", width=10),
        Column("code", "Mã tiêu chí", required=True, width=9),
        Column("name", "Chỉ tiêu/KPI đánh giá", required=True, width=50),
        Column("achievement", "Mức đạt", width=40),
        Column("evidence", "Minh chứng", width=36),
        Column("frequency", "Tần suất", width=11),
        Column("points", "Điểm", width=8),
        Column("tasks", "Nhiệm vụ (STT)", width=14, also=("Nhiệm vụ",)),
    ]

    def parse(self, number, cells, report):
        text = {k: cell_text(v) for k, v in cells.items()}
        row = {"number": number, **{k: text.get(k, "") for k in ("group", "group_name", "code", "name", "achievement",
               "evidence")}}  # fmt: skip
        frequency = text.get("frequency") or "Tháng"
        match = next(
            (f for f in Criterion.Frequency.values if normalize_name(f) == normalize_name(frequency)), None
        )
        if match is None:
            self.problem(report, number, "frequency", "tần suất phải là Tháng, Tháng/Quý hoặc Tháng/Đợt.")
            return None
        row["frequency"] = match
        for key in ("group_max", "points"):
            try:
                row[key] = _decimal(text[key]) if text.get(key) else None
            except InvalidOperation:
                self.problem(report, number, key, f"“{text[key]}” không phải là số.")
                return None
        row["tasks"] = [
            t.strip().rstrip(".") for t in re.split(r"[;,\s]+", text.get("tasks", "")) if t.strip()
        ]
        return row

    def check(self, report: TableReport):
        groups: dict[str, dict] = {}
        seen: dict[str, int] = {}
        tasks = set(self.plan.tasks.values_list("code", flat=True))
        for row in report.rows:
            group = groups.setdefault(
                row["group"], {"name": "", "max": None, "rows": [], "first": row["number"]}
            )
            for key, target in (("group_name", "name"), ("group_max", "max")):
                if row[key] not in ("", None):
                    if group[target] not in ("", None) and group[target] != row[key]:
                        self.problem(
                            report, row["number"], key, f"khác với dòng {group['first']} của cùng nhóm."
                        )
                    group[target] = row[key]
            group["rows"].append(row)
            if row["code"] in seen:
                self.problem(
                    report, row["number"], "code", f"mã {row['code']} đã có ở dòng {seen[row['code']]}."
                )
            seen.setdefault(row["code"], row["number"])
            for code in row["tasks"]:
                if code not in tasks:
                    self.problem(report, row["number"], "tasks", f"kế hoạch không có nhiệm vụ STT {code}.")
        total = Decimal("0")
        for code, group in groups.items():
            if group["max"] is None or not group["name"]:
                self.problem(report, group["first"], "group_max", f"nhóm {code} cần tên nhóm và điểm tối đa.")
                continue
            defaults = split_points(group["max"], len(group["rows"]))
            points = [
                r["points"] if r["points"] is not None else d
                for r, d in zip(group["rows"], defaults, strict=True)
            ]
            for row, value in zip(group["rows"], points, strict=True):
                row["points"] = value
            if sum(points) != group["max"]:
                self.problem(
                    report, group["first"], "points",
                    f"nhóm {code}: các tiêu chí cộng lại {vn_decimal(sum(points))}, phải bằng {vn_decimal(group['max'])}.",
                )  # fmt: skip
            total += group["max"]
        if groups and total != Decimal("100"):
            self.problem(
                report,
                report.rows[0]["number"],
                "group_max",
                f"tổng điểm các nhóm là {vn_decimal(total)}, phải bằng 100.",
            )
        self.groups = groups

    def _structure(self) -> list[dict]:
        tasks = {t.code: t for t in self.plan.tasks.all()}
        return [
            {"code": code, "name": g["name"], "max_points": g["max"],
             "criteria": [{"code": r["code"], "name": r["name"], "achievement": r["achievement"],
                           "evidence": r["evidence"], "frequency": r["frequency"], "points": r["points"],
                           "tasks": [tasks[t] for t in r["tasks"]]} for r in g["rows"]]}
            for code, g in self.groups.items()
        ]  # fmt: skip

    def write(self, report: TableReport):
        structure = self._structure()
        latest = next(iter(latest_rubrics_of(self.plan)), None)
        if latest is not None and _describe(latest) == _describe_structure(structure):
            report.unchanged = len(report.rows)
            return
        if latest is not None and not latest.scorecards.exists():
            # Never used for scoring: replaced in place, keeping its version number and policy.
            version, policy = latest.version, {f: getattr(latest, f) for f in POLICY}
            units = list(latest.units.all())
            latest.delete()
            rubric = rubric_create(
                plan=self.plan, name=latest.name, groups=structure, version=version, **policy
            )
            rubric.units.set(units)
            report.updated = len(report.rows)
            report.notes.append(f"Đã cập nhật {rubric} (chưa dùng để chấm).")
            return
        name = latest.name if latest else f"Bộ tiêu chí KPI hằng tháng — {self.plan.display_number}"
        policy = {f: getattr(latest, f) for f in POLICY} if latest else {}
        rubric = rubric_create(plan=self.plan, name=name, groups=structure, **policy)
        if latest is not None:
            rubric.units.set(latest.units.all())
            report.notes.append(f"Tạo {rubric}: phiên bản {latest.version} đã dùng để chấm nên giữ nguyên.")
        report.created = len(report.rows)

    def rows(self):
        latest = next(iter(latest_rubrics_of(self.plan)), None)
        if latest is None:
            return []
        result = []
        for group in latest.groups.prefetch_related("criteria__tasks").order_by("order"):
            for criterion in group.criteria.all():
                result.append([group.code, group.name, float(group.max_points), criterion.code, criterion.name,
                               criterion.achievement, criterion.evidence, criterion.frequency, float(criterion.points),
                               "; ".join(t.code for t in criterion.tasks.all())])  # fmt: skip
        return result

    def example(self):
        """The seven groups of PHỤ LỤC II with one criterion each: a complete rubric to grow from."""
        groups = [("1", "Lãnh đạo, chỉ đạo - tuyên truyền", 15), ("2", "An toàn trường học – kỷ cương, nền nếp", 20),
                  ("3", "Nâng cao chất lượng giáo dục – phát triển đội ngũ", 15), ("4", "Chuyển đổi số – trường học số", 20),
                  ("5", "Y tế học đường – thể chất, dinh dưỡng", 15),
                  ("6", "Xã hội học tập – huy động nguồn lực hợp pháp", 10), ("7", "Chế độ báo cáo – kiểm tra, giám sát", 5)]  # fmt: skip
        return [
            [
                code,
                name,
                points,
                f"{code}.1",
                f"Tiêu chí {code}.1 (ghi tên tiêu chí)",
                "Mức đạt",
                "Minh chứng",
                "Tháng",
                "",
                "",
            ]
            for code, name, points in groups
        ]


POLICY = ("total", "late_factor", "excellent_from", "good_from", "pass_from", "submission_day")


def latest_rubrics_of(plan) -> list[Rubric]:
    return [r for r in latest_rubrics() if r.plan_id == plan.pk]


def _describe(rubric: Rubric):
    return [
        (g.code, g.name, g.max_points, [(c.code, c.name, c.achievement, c.evidence, c.frequency, c.points,
                                         sorted(t.pk for t in c.tasks.all())) for c in g.criteria.all()])
        for g in rubric.groups.prefetch_related("criteria__tasks").order_by("order")
    ]  # fmt: skip


def _describe_structure(structure):
    return [
        (g["code"], g["name"], g["max_points"], [(c["code"], c["name"], c["achievement"], c["evidence"],
                                                  c["frequency"], c["points"], sorted(t.pk for t in c["tasks"]))
                                                 for c in g["criteria"]])
        for g in structure
    ]  # fmt: skip
