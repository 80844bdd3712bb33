"""What the three export commands share: finding things by what people type, and writing the file."""

from __future__ import annotations

import re

from django.core.management.base import CommandError

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


def write_export(command, document: str, fmt: str, output: str, form_data: dict):
    filename, _, data = REGISTRY[f"{document}_{fmt}"]().render(form_data)
    with open(output, "wb") as handle:
        handle.write(data)
    command.stdout.write(f"Đã ghi {output} ({len(data) // 1024} KiB; tên gợi ý: {filename})")
