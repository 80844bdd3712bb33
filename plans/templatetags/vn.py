"""Template filters for Vietnamese documents: 87,50 and "ngày 05 tháng 01 năm 2026"."""

from django import template

from plans.formatting import vn_date, vn_decimal

register = template.Library()


@register.filter
def vn_number(value, places=2):
    return vn_decimal(value, int(places)) if value is not None else ""


@register.filter
def vn_signed(value):
    """A change with its sign: +2,50 / -1,00."""
    if value is None:
        return ""
    return ("+" if value > 0 else "") + vn_decimal(value)


@register.filter
def vn_day(value):
    return vn_date(value)


@register.filter
def vn_long_date(value):
    return f"ngày {value:%d} tháng {value:%m} năm {value:%Y}" if value else "ngày … tháng … năm …"


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def vn_percent(ratio):
    """A ratio 0–1 as a percent: 0.5 -> "50%"."""
    return f"{vn_decimal(ratio * 100, 0)}%" if ratio is not None else ""
