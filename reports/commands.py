"""What the export commands share: finding things by what people type, the issuer, and writing the file."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from plans.access import unit_in_scope
from plans.models import OrgUnit
from plans.selectors import UnitNotFound, find_unit
from reports.exports import REGISTRY


def parse_quarter(text: str) -> tuple[int, int]:
    """ "2026-Q1" (also "2026-q1", "Q1/2026") -> (2026, 1)."""
    value = (text or "").strip().upper()
    match = re.fullmatch(r"(\d{4})-?Q([1-4])", value) or re.fullmatch(r"Q([1-4])/(\d{4})", value)
    if not match:
        raise CommandError(f"Quý “{text}” không hợp lệ: viết theo dạng 2026-Q1 (quý từ 1 đến 4).")
    first, second = match.groups()
    return (int(first), int(second)) if len(first) == 4 else (int(second), int(first))


def add_format_arguments(parser):
    parser.add_argument("--format", required=True, choices=["pdf", "xlsx"], help="pdf hoặc xlsx")
    parser.add_argument("-o", "--output", required=True, help="Tệp ghi ra.")
    add_issuer_arguments(parser)


def add_issuer_arguments(parser):
    parser.add_argument(
        "--issuer",
        help="Ban hành nhân danh cơ quan khác (tên, tên gọi khác hoặc mã), ví dụ “Đảng ủy phường”: cơ quan "
        "phải có “Thông tin ban hành văn bản” và thuộc phường của báo cáo.",
    )
    parser.add_argument("--number", default="", help="Số văn bản đã đăng ký, ví dụ 12 (in “Số 12-BC/ĐU”).")
    parser.add_argument(
        "--user",
        help="Tên đăng nhập của người ban hành: cơ quan ở --issuer phải trong phạm vi của người này.",
    )


def issuer_options(options: dict, ward: OrgUnit | None) -> dict:
    """The form data of --issuer, --number and --user: the issuing body, checked against the report's ward
    and (with --user) that person's scope, so that nobody issues a document in a body's name they cannot see."""
    form = {"number": options.get("number") or ""}
    name = options.get("issuer")
    if not name:
        return form
    try:
        unit = find_unit(name, what="cơ quan ban hành")
    except UnitNotFound as exc:
        raise CommandError(str(exc)) from exc
    if ward is not None and unit.pk != ward.pk and unit.ward_id != ward.pk:
        raise CommandError(
            f"{unit.name} không thuộc {ward.name}: không ban hành được báo cáo của phường này."
        )
    username = options.get("user")
    if username:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Không có tài khoản “{username}”.")
        if not unit_in_scope(user, unit):
            raise CommandError(f"{unit.name} nằm ngoài phạm vi của tài khoản “{username}”.")
    form["issuer"] = unit
    return form


def write_export(command, document: str, fmt: str, output: str, form_data: dict):
    from reports.documents import IssuerError

    try:
        filename, _, data = REGISTRY[f"{document}_{fmt}"]().render(form_data)
    except IssuerError as exc:
        raise CommandError(str(exc)) from exc
    with open(output, "wb") as handle:
        handle.write(data)
    command.stdout.write(f"Đã ghi {output} ({len(data) // 1024} KiB; tên gợi ý: {filename})")
