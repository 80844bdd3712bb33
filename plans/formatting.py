"""Numbers and dates the way Vietnamese documents write them: 3,75 and 05/01/2026."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal


def vn_decimal(value: Decimal | None, places: int = 2) -> str:
    """1234.5 -> "1.234,50"; None -> "—"."""
    if value is None:
        return "—"
    quantized = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{quantized:,.{places}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vn_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""
