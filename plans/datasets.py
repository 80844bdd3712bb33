"""The org tree and a plan's indicators as spreadsheets (see plans/tables.py)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from plans.models import CollectiveAlias, Indicator, OrgUnit, UnitAlias
from plans.selectors import find_units
from plans.tables import Column, Table, TableReport, register
from plans.text import normalize_name
from plans.xlsx import cell_text

YES = {"co", "x", "1", "true", "yes", "dung"}


def _choice(value: str, choices) -> str | None:
    """A TextChoices value from its code or its Vietnamese label, ignoring case and diacritics."""
    key = normalize_name(value)
    for code, label in choices:
        if key in (normalize_name(code), normalize_name(label)):
            return code
    return None


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;\n]", value) if part.strip()]


@register
class UnitsTable(Table):
    identifier = "units"
    verbose_name = "Đơn vị"
    columns = [
        Column("code", "Mã", required=True, width=14),
        Column("name", "Tên đầy đủ", required=True, width=40),
        Column("short_name", "Tên viết tắt", width=18),
        Column("kind", "Loại", required=True, width=22),
        Column("parent", "Mã đơn vị cấp trên", width=14, also=("Cấp trên",)),
        Column("aliases", "Tên gọi khác", width=40, also=("Cách viết khác",)),
        Column("school_level", "Cấp học", width=9),
        Column("demo", "Minh họa", width=9),
        # Phrases that name every unit of this row's kind (and school level) in a ward: "các trường mầm non".
        Column("collectives", "Tên gọi tập thể", width=30, also=("Cụm từ chỉ tập thể",)),
    ]

    def parse(self, number, cells, report):
        text = {k: cell_text(v) for k, v in cells.items()}
        kind = _choice(text["kind"], OrgUnit.Kind.choices)
        if kind is None:
            labels = "; ".join(label for _, label in OrgUnit.Kind.choices)
            self.problem(
                report, number, "kind", f"loại “{text['kind']}” không hợp lệ; dùng một trong: {labels}."
            )
            return None
        if "/" in text["code"]:
            self.problem(report, number, "code", "mã không được chứa dấu “/”.")
            return None
        return {
            "number": number,
            "code": text["code"],
            "name": text["name"],
            "short_name": text.get("short_name", ""),
            "kind": kind,
            "parent": text.get("parent", ""),
            "aliases": _split(text.get("aliases", "")),
            "school_level": text.get("school_level", "").upper(),
            "is_demo": normalize_name(text.get("demo", "")) in YES,
            "collectives": _split(text.get("collectives", "")),
        }

    def check(self, report: TableReport):
        seen: dict[str, int] = {}
        in_file = {row["code"] for row in report.rows}
        existing = set(
            OrgUnit.objects.filter(code__in={r["parent"] for r in report.rows}).values_list("code", flat=True)
        )
        parents = {row["code"]: row["parent"] for row in report.rows}
        for row in report.rows:
            if row["code"] in seen:
                self.problem(
                    report, row["number"], "code", f"mã {row['code']} đã có ở dòng {seen[row['code']]}."
                )
            seen.setdefault(row["code"], row["number"])
            if row["parent"] and row["parent"] not in in_file and row["parent"] not in existing:
                self.problem(report, row["number"], "parent", f"không có đơn vị mã “{row['parent']}”.")
            code, steps = row["code"], 0
            while parents.get(code) and steps <= len(parents):
                code, steps = parents[code], steps + 1
                if code == row["code"]:
                    self.problem(report, row["number"], "parent", "đơn vị không thể nằm dưới chính nó.")
                    break

    def write(self, report: TableReport):
        units = {u.code: u for u in OrgUnit.objects.filter(code__in={r["code"] for r in report.rows} | {
            r["parent"] for r in report.rows})}  # fmt: skip
        aliases: dict[int, set[str]] = {}
        for alias in UnitAlias.objects.filter(unit__code__in=[r["code"] for r in report.rows]):
            aliases.setdefault(alias.unit_id, set()).add(alias.normalized)
        pending = list(report.rows)
        while pending:
            ready = [r for r in pending if not r["parent"] or r["parent"] in units]
            for row in ready:
                pending.remove(row)
                values = {k: row[k] for k in ("name", "short_name", "kind", "school_level", "is_demo")}
                values["parent"] = units[row["parent"]] if row["parent"] else None
                unit = units.get(row["code"])
                fields_differ = unit is None or any(getattr(unit, k) != v for k, v in values.items())
                aliases_differ = unit is None or not _same_aliases(unit, row, aliases)
                if unit is None:
                    unit = OrgUnit(code=row["code"])
                    report.created += 1
                elif fields_differ or aliases_differ:
                    report.updated += 1
                else:
                    report.unchanged += 1
                    continue
                if fields_differ:
                    for key, value in values.items():
                        setattr(unit, key, value)
                    unit.save()  # one by one: a unit's path and ward come from its parent
                units[row["code"]] = unit
                if aliases_differ:
                    wanted = {normalize_name(a): a for a in row["aliases"]}
                    unit.aliases.exclude(normalized__in=wanted).delete()
                    have = set(unit.aliases.values_list("normalized", flat=True))
                    UnitAlias.objects.bulk_create(
                        [
                            UnitAlias(unit=unit, text=t, normalized=k)
                            for k, t in wanted.items()
                            if k not in have
                        ]
                    )
            if not ready:
                break  # cycles were reported by check()
        self._write_collectives(report)

    def _write_collectives(self, report: TableReport):
        """Declared phrases are added, or pointed at the row's kind; phrases are never removed from here (the
        admin's Tên gọi tập thể page does that), so a sheet without the column changes nothing."""
        wanted = {}
        for row in report.rows:
            for phrase in row["collectives"]:
                wanted[normalize_name(phrase)] = (phrase, row)
        existing = {c.normalized: c for c in CollectiveAlias.objects.filter(normalized__in=wanted)}
        for key, (phrase, row) in wanted.items():
            level = row["school_level"] if row["kind"] == OrgUnit.Kind.SCHOOL else ""
            collective = existing.get(key)
            if collective is None:
                CollectiveAlias.objects.create(text=phrase, kinds=[row["kind"]], school_level=level)
                report.notes.append(f"Thêm tên gọi tập thể “{phrase}”.")
            elif (collective.kinds, collective.school_level) != ([row["kind"]], level):
                collective.kinds, collective.school_level = [row["kind"]], level
                collective.save(update_fields=["kinds", "school_level"])
                report.notes.append(f"Sửa tên gọi tập thể “{phrase}”.")

    def rows(self):
        aliases: dict[int, list[str]] = {}
        for alias in UnitAlias.objects.order_by("id"):
            aliases.setdefault(alias.unit_id, []).append(alias.text)
        return [
            [u.code, u.name, u.short_name, u.get_kind_display(), u.parent.code if u.parent else "",
             "; ".join(aliases.get(u.pk, [])), u.school_level, "có" if u.is_demo else "", ""]
            for u in OrgUnit.objects.select_related("parent").order_by("path")
        ]  # fmt: skip

    def example(self):
        return [
            ["LB", "Phường Long Biên", "", "Phường / Xã", "HN", "Long Biên", "", ""],
            ["LB-VHXH", "Phòng Văn hóa - Xã hội", "Phòng VH-XH", "Phòng, ban chuyên môn", "LB-UBND",
             "Phòng VHXH; P.VHXH", "", ""],
            ["LB-TH01", "Trường Tiểu học Minh Họa", "", "Trường học", "LB", "", "TH", "có",
             "các trường tiểu học; trường TH"],
        ]  # fmt: skip


def _same_aliases(unit: OrgUnit, row: dict, aliases: dict[int, set[str]]) -> bool:
    return aliases.get(unit.pk, set()) == {normalize_name(a) for a in row["aliases"]}


COMPARATORS = {"≥": "gte", ">=": "gte", "≤": "lte", "<=": "lte", "=": "eq"}


@register
class IndicatorsTable(Table):
    identifier = "indicators"
    verbose_name = "Chỉ tiêu"
    needs_plan = True
    columns = [
        Column("code", "Mã", required=True, width=12),
        Column("section", "Mục", width=10),
        Column("text", "Chỉ tiêu", required=True, width=60),
        Column("comparator", "So sánh", required=True, width=16),
        Column("target", "Giá trị mục tiêu", width=12),
        Column("unit", "Đơn vị tính", width=12),
        Column("target_year", "Năm đạt", width=9),
        Column("baseline", "Giá trị gốc", width=12),
        Column("baseline_year", "Năm gốc", width=9),
        Column("responsible", "Đơn vị chịu trách nhiệm", width=28),
    ]

    def parse(self, number, cells, report):
        text = {k: cell_text(v) for k, v in cells.items()}
        comparator = COMPARATORS.get(text["comparator"]) or _choice(
            text["comparator"], Indicator.Comparator.choices
        )
        if comparator is None:
            self.problem(report, number, "comparator", "dùng ≥, ≤, =, “Không để xảy ra” hoặc “Định tính”.")
            return None
        row = {"number": number, "code": text["code"], "section": text.get("section", ""), "text": text["text"],
               "comparator": comparator, "unit": text.get("unit", "")}  # fmt: skip
        for key, name in (("target", "target_value"), ("baseline", "baseline_value")):
            try:
                row[name] = Decimal(text.get(key, "").replace(",", ".")) if text.get(key) else None
            except InvalidOperation:
                self.problem(report, number, key, f"“{text[key]}” không phải là số.")
                return None
        for key in ("target_year", "baseline_year"):
            value = text.get(key, "")
            if value and not (value.isdigit() and 1900 < int(value) < 2200):
                self.problem(report, number, key, f"năm “{value}” không hợp lệ.")
                return None
            row[key] = int(value) if value else None
        if comparator in ("gte", "lte", "eq") and row["target_value"] is None:
            self.problem(report, number, "target", "chỉ tiêu định lượng cần giá trị mục tiêu.")
            return None
        row["responsible"] = None
        if text.get("responsible"):
            found = find_units(text["responsible"])
            if len(found) != 1:
                message = "không tìm thấy đơn vị" if not found else "tên chỉ nhiều đơn vị"
                self.problem(report, number, "responsible", f"{message} “{text['responsible']}”.")
                return None
            row["responsible"] = found[0]
        return row

    def check(self, report: TableReport):
        seen: dict[str, int] = {}
        for row in report.rows:
            if row["code"] in seen:
                self.problem(
                    report, row["number"], "code", f"mã {row['code']} đã có ở dòng {seen[row['code']]}."
                )
            seen.setdefault(row["code"], row["number"])

    def write(self, report: TableReport):
        existing = {i.code: i for i in self.plan.indicators.all()}
        new, changed = [], []
        for order, row in enumerate(report.rows, start=1):
            values = {"section": row["section"], "order": order, "text": row["text"], "comparator": row["comparator"],
                      "target_value": row["target_value"], "unit": row["unit"], "target_year": row["target_year"],
                      "baseline_value": row["baseline_value"], "baseline_year": row["baseline_year"],
                      "responsible_unit": row["responsible"]}  # fmt: skip
            indicator = existing.get(row["code"])
            if indicator is None:
                new.append(Indicator(plan=self.plan, code=row["code"], **values))
                report.created += 1
            elif any(getattr(indicator, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(indicator, key, value)
                changed.append(indicator)
                report.updated += 1
            else:
                report.unchanged += 1
        Indicator.objects.bulk_create(new)
        Indicator.objects.bulk_update(changed, [f for f in values if f != "code"])

    def rows(self):
        symbols = {"gte": "≥", "lte": "≤", "eq": "="}
        return [
            [i.code, i.section, i.text, symbols.get(i.comparator, i.get_comparator_display()),
             _number(i.target_value), i.unit, i.target_year or "", _number(i.baseline_value), i.baseline_year or "",
             i.responsible_unit.name if i.responsible_unit else ""]
            for i in self.plan.indicators.select_related("responsible_unit").order_by("order")
        ]  # fmt: skip

    def example(self):
        return [
            ["III.2-1", "III.2", "100% cơ sở giáo dục đạt tiêu chí “Trường học an toàn”", "≥", 100, "%", 2030, "", "",
             ""],
            ["III.2-2", "III.2", "Không để xảy ra vụ ngộ độc thực phẩm nghiêm trọng", "Không để xảy ra", "", "", "",
             "", "", ""],
        ]  # fmt: skip


def _number(value):
    return "" if value is None else float(value) if value != value.to_integral() else int(value)
