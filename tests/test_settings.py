"""Production mode refuses to start without its secrets; development runs with defaults."""

import os
import subprocess
import sys

from django.conf import settings

ROOT = settings.BASE_DIR


def run_check(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    clean.update(env)
    # Variables set here win over a developer's .env (django-environ never overrides the environment).
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_it_stops_production_without_a_secret_key():
    result = run_check(DEBUG="0", SECRET_KEY="", ALLOWED_HOSTS="example.vn")
    assert result.returncode != 0
    assert "Thiếu biến môi trường SECRET_KEY" in result.stderr


def test_it_stops_production_without_allowed_hosts():
    result = run_check(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="")
    assert result.returncode != 0
    assert "Thiếu biến môi trường ALLOWED_HOSTS" in result.stderr


def test_it_starts_production_with_both():
    result = run_check(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="example.vn")
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_it_speaks_vietnamese_in_the_ward_time_zone():
    assert settings.LANGUAGE_CODE == "vi"
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    assert settings.USE_TZ is True
