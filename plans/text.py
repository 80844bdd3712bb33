"""Text normalisation shared by every look-up of units and plans."""

import re
import unicodedata
from functools import lru_cache


def strip_diacritics(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)  # pure, and imports normalise the same few hundred names thousands of times
def normalize_name(text: str) -> str:
    """Key for matching unit names: case, diacritics, punctuation and spacing do not count.

    "P.VHXH", "Phòng VH-XH" and "phong vhxh" differ only in these, so "Phòng VHXH" written any of those ways
    finds the same unit; "phong van hoa xa hoi" finds "Phòng Văn hóa - Xã hội".
    """
    return re.sub(r"[^0-9a-z]", "", strip_diacritics(text or "").lower())


def normalize_number(text: str) -> str:
    """Key for a plan's number and symbol: "29-KH/ĐU" == "29 - kh/đu". Diacritics count here (ĐU is not DU)."""
    return re.sub(r"\s+", "", (text or "").strip()).upper()
