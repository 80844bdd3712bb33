"""Reading settings from the environment, strictly: a bad value stops start-up with a message in Vietnamese.

django-environ parses most values, but it turns a mistyped boolean ("ture") into False and an unparsable number
into a bare ValueError; an administrator editing `.env.production` deserves to be told which variable is wrong
and what it should look like.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

TRUE = {"1", "true", "yes", "y", "on"}
FALSE = {"0", "false", "no", "n", "off"}


def env_file_path(base_dir: Path) -> Path:
    """`.env` by default; ENV_FILE names another (`make serve` uses `.env.production`), relative to the
    checkout. Only one file is read, so development values never leak into production."""
    path = Path(os.environ.get("ENV_FILE", ".env"))
    return path if path.is_absolute() else base_dir / path


def read_env_file(path: Path) -> None:
    # Variables already in the environment win over the file (django-environ never overwrites them).
    if path.is_file():
        env.read_env(path)


def invalid(name: str, raw: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"Giá trị không hợp lệ của biến môi trường {name}: {raw!r}. {expected}. "
        f"Sửa {name} trong môi trường hoặc trong tệp .env. (Invalid value for {name}.)"
    )


def raw_value(name: str) -> str | None:
    """The variable's text, or None when it is unset or empty (empty means: use the default)."""
    value = os.environ.get(name)
    return value.strip() if value and value.strip() else None


def env_bool(name: str, default: bool) -> bool:
    raw = raw_value(name)
    if raw is None:
        return default
    if raw.lower() in TRUE:
        return True
    if raw.lower() in FALSE:
        return False
    raise invalid(name, raw, "Cần 1 (bật) hoặc 0 (tắt)")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = raw_value(name)
    if raw is None:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise invalid(name, raw, f"Cần một số nguyên, không nhỏ hơn {minimum}") from None
    if value < minimum:
        raise invalid(name, raw, f"Cần một số nguyên, không nhỏ hơn {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = raw_value(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_origins(name: str) -> list[str]:
    """Origins such as https://kehoach.phuong.vn: Django compares scheme and host, so both must be there."""
    origins = env_list(name, [])
    for origin in origins:
        scheme, _, host = origin.partition("://")
        if scheme not in ("http", "https") or not host or "/" in host:
            raise invalid(
                name, origin, "Mỗi nguồn ghi đủ giao thức và tên miền, ví dụ https://kehoach.phuong.vn"
            )
    return origins


def env_proxy_header(name: str) -> tuple[str, str] | None:
    """`HTTP_X_FORWARDED_PROTO,https`: the header the HTTPS proxy sets, as Django names it, and its value."""
    raw = raw_value(name)
    if raw is None:
        return None
    header, _, value = (part.strip() for part in raw.partition(","))
    if not header.startswith("HTTP_") or not value or "," in value:
        raise invalid(name, raw, "Cần dạng TÊN_TIÊU_ĐỀ,giá_trị, ví dụ HTTP_X_FORWARDED_PROTO,https")
    return header, value


def env_email(name: str, default: str) -> dict:
    """EMAIL_URL as django-environ reads it (smtp+tls://user:password@host:587, consolemail://, …)."""
    raw = raw_value(name) or default
    try:
        config = env.email_url_config(raw)
    except (ImproperlyConfigured, ValueError):
        raise invalid(
            name,
            raw,
            "Cần dạng smtp+tls://tài_khoản:mật_khẩu@máy_chủ:587, smtp://máy_chủ:25 hoặc consolemail://",
        ) from None
    return {key: value for key, value in config.items() if value not in (None, "")}


def env_path(name: str, default: Path) -> Path:
    raw = raw_value(name)
    return Path(raw) if raw else default
