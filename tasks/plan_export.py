"""A plan's task appendix as a real spreadsheet, in the layout import_plan reads back."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from plans.models import Plan
from plans.xlsx import write_text
from tasks.selectors import plan_tasks

COLUMNS = [  # header, width
    ("STT", 7),
    ("Nội dung nhiệm vụ", 48),
    ("Đơn vị chủ trì", 22),
    ("Đơn vị phối hợp", 28),
    ("Thời gian", 20),
    ("Sản phẩm", 24),
    ("Ghi chú", 24),
    ("Thuộc STT", 9),
]
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")


def plan_workbook(plan: Plan) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Phụ lục nhiệm vụ"
    last = get_column_letter(len(COLUMNS))
    titles = [
        f"PHỤ LỤC: BIỂU PHÂN CÔNG NHIỆM VỤ — {plan.display_number}",
        plan.title,
        f"({plan.issuer.name})",
    ]
    for row, text in enumerate(titles, start=1):
        sheet.merge_cells(f"A{row}:{last}{row}")
        write_text(sheet.cell(row, 1), text)
        sheet.cell(row, 1).font = Font(bold=row == 1, italic=row == 3, size=13 if row == 1 else 11)
        sheet.cell(row, 1).alignment = Alignment(horizontal="center", wrap_text=True)
    header_row = len(titles) + 2
    for col, (label, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(header_row, col, label)
        cell.font, cell.border, cell.alignment = (
            Font(bold=True),
            BOX,
            Alignment(horizontal="center", wrap_text=True),
        )
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True

    tasks = list(plan_tasks(plan))
    children: dict[int, list] = {}
    for task in tasks:
        if task.parent_id:
            children.setdefault(task.parent_id, []).append(task)
    row = header_row + 1

    def put(task):
        nonlocal row
        # The STT as written: a plan numbered again in each group gets its group-qualified codes back on
        # import from the group rows written above its tasks.
        values = [task.stt or task.code, task.content, task.lead_text, task.coordinating_text,
                  task.deadline_text, task.deliverable, task.notes,
                  (task.parent.stt or task.parent.code) if task.parent_id else ""]  # fmt: skip
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row, col)
            write_text(cell, value)
            cell.border, cell.alignment = BOX, WRAP
        row += 1
        for child in children.get(task.pk, []):
            put(child)

    top = [t for t in tasks if not t.parent_id]
    for group in plan.groups.order_by("order"):
        sheet.merge_cells(f"A{row}:{last}{row}")
        write_text(sheet.cell(row, 1), f"{group.code}. {group.title}")
        sheet.cell(row, 1).font = Font(bold=True)
        row += 1
        for task in (t for t in top if t.group_id == group.pk):
            put(task)
    for task in (t for t in top if t.group_id is None):
        put(task)

    # The plan's own details, so that importing this file elsewhere recreates the same plan.
    info = book.create_sheet(INFO_SHEET)
    for label, value in plan_info(plan):
        info.append([label, None])
        write_text(info.cell(info.max_row, 2), value)
    info.column_dimensions["A"].width, info.column_dimensions["B"].width = 22, 90

    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


INFO_SHEET = "Thông tin kế hoạch"


def plan_info(plan: Plan) -> list[tuple[str, object]]:
    return [
        ("Mã kế hoạch", plan.code),
        ("Số, ký hiệu", plan.number),
        ("Trích yếu", plan.title),
        ("Cơ quan ban hành", plan.issuer.name),
        ("Mã cơ quan ban hành", plan.issuer.code),
        ("Ngày ban hành", plan.issued_on.strftime("%d/%m/%Y") if plan.issued_on else ""),
        ("Từ năm", plan.period_start),
        ("Đến năm", plan.period_end),
        ("Trạng thái", plan.get_status_display()),
    ]


def appendix_template() -> bytes:
    """An empty appendix in the layout import_plan reads, with one group and two example rows to overwrite."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Phụ lục nhiệm vụ"
    sheet.append(["PHỤ LỤC: BIỂU PHÂN CÔNG NHIỆM VỤ (mẫu — xóa các dòng ví dụ trước khi nhập)"])
    sheet.append([])
    sheet.append([label for label, _ in COLUMNS])
    sheet.append(["NHÓM 1. CÔNG TÁC LÃNH ĐẠO, CHỈ ĐẠO - TUYÊN TRUYỀN"])
    sheet.append(["1", "Ban hành Văn bản chỉ đạo thực hiện Kế hoạch", "UBND phường", "Phòng VHXH", "Tháng 01/2026",
                  "Văn bản", "", ""])  # fmt: skip
    sheet.append(["2", "Tuyên truyền Kế hoạch trên hệ thống thông tin cơ sở", "UBND phường", "MTTQ, đoàn thể",
                  "Thường xuyên", "Tin, bài, pano", "", ""])  # fmt: skip
    for col, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
        sheet.cell(3, col).font = Font(bold=True)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
