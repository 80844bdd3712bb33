"""Running as a service: production settings, static files, error pages, limits, headers, health, lockout.

Start-up and production behaviour are checked in a subprocess with `config.settings` and an environment of
the test's own (ENV_FILE points at a file the test writes, so a developer's `.env` plays no part); the rest
through Django's test client, which pytest-django runs with DEBUG off, as in production.
"""

import json
import logging
import os
import secrets
import subprocess
import sys
from unittest import mock

import pytest
from axes.models import AccessFailureLog
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import OperationalError, connections
from django.http import Http404, HttpResponse
from django.test import Client
from django.urls import path, reverse

from config import urls as config_urls
from config.serve import addresses_text
from tests.factories import UserFactory

ROOT = settings.BASE_DIR
EXAMPLE = ROOT / "config" / "production.env.example"
CLOSED_PORT_DATABASE = "postgres://postgres@127.0.0.1:1/nothing"


def example_variables() -> dict[str, str]:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


def run_python(code: str, env_file, **variables) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter with config.settings, the variables given and those in `env_file` only."""
    known = {
        *example_variables(),
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "ENV_FILE",
        "DJANGO_SETTINGS_MODULE",
    }
    environment = {k: v for k, v in os.environ.items() if k not in known}
    environment.update(variables, ENV_FILE=str(env_file), DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def env_file(tmp_path):
    file = tmp_path / "test.env"
    file.write_text("", encoding="utf-8")
    return file


PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "k" * 20 + secrets.token_urlsafe(40), "ALLOWED_HOSTS": "testserver"}


# --- start-up ------------------------------------------------------------------------------------------------


def test_it_passes_check_deploy_with_the_documented_production_environment(env_file):
    env_file.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    result = run_python(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        env_file,
        SECRET_KEY=secrets.token_urlsafe(50),  # the example's own key is a placeholder, refused on purpose
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "W0" not in output and "WARNINGS" not in output
    assert "no issues" in output


def test_it_refuses_the_examples_placeholder_secret_key(env_file):
    env_file.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    result = run_python("import django; django.setup(); print('started')", env_file)
    assert result.returncode != 0
    assert "SECRET_KEY vẫn là giá trị mẫu" in result.stderr


@pytest.mark.parametrize(
    "name, value",
    [
        ("DEBUG", "có"),
        ("SECURE_SSL_REDIRECT", "ture"),
        ("SECURE_HSTS_SECONDS", "một năm"),
        ("SECURE_HSTS_SECONDS", "-1"),
        ("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto"),
        ("CSRF_TRUSTED_ORIGINS", "kehoach.phuong.vn"),
        ("UPLOAD_MAX_BYTES", "100MB"),
        ("DATA_UPLOAD_MAX_MEMORY_SIZE", "5 MB"),
        ("AXES_IP_FAILURE_LIMIT", "0"),
        ("EMAIL_URL", "mail.phuong.vn:587"),
    ],
)
def test_it_stops_startup_on_a_bad_value(env_file, name, value):
    result = run_python(
        "import django; django.setup(); print('started')", env_file, **{**PRODUCTION, name: value}
    )
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert f"Giá trị không hợp lệ của biến môi trường {name}" in result.stderr


def test_it_starts_with_good_values_for_the_same_variables(env_file):
    good = {
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "CSRF_TRUSTED_ORIGINS": "https://kehoach.phuong.vn",
        "UPLOAD_MAX_BYTES": "10_485_760",
        "EMAIL_URL": "smtp+tls://kehoach:mk@mail.phuong.vn:587",
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_PROXY_SSL_HEADER, s.UPLOAD_MAX_BYTES, s.EMAIL_HOST, s.EMAIL_USE_TLS]))"
    )
    result = run_python(code, env_file, **PRODUCTION, **good)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        ["HTTP_X_FORWARDED_PROTO", "https"],
        10485760,
        "mail.phuong.vn",
        True,
    ]


def test_it_refuses_to_serve_with_debug_on(env_file):
    env_file.write_text("DEBUG=1\n", encoding="utf-8")
    result = run_python("from config.serve import main; main([])", env_file)
    assert result.returncode != 0
    assert "DEBUG đang bật" in result.stderr
    assert "gunicorn" not in result.stdout


def test_it_prints_the_office_network_addresses_and_what_allowed_hosts_lacks():
    text = addresses_text("0.0.0.0:8000", ["127.0.0.1", "localhost"], ".env", lan=["192.168.1.20"])
    assert "http://192.168.1.20:8000/" in text
    assert "192.168.1.20 chưa có trong ALLOWED_HOSTS" in text
    assert "ALLOWED_HOSTS=127.0.0.1,localhost,192.168.1.20" in text
    allowed = addresses_text("0.0.0.0:8000", ["192.168.1.20"], ".env", lan=["192.168.1.20"])
    assert "http://192.168.1.20:8000/" in allowed and "chưa có" not in allowed
    assert addresses_text("127.0.0.1:8000", [], ".env") == (
        "Mở http://127.0.0.1:8000/ — trang quản trị: http://127.0.0.1:8000/admin/"
    )


# --- static files --------------------------------------------------------------------------------------------

STATIC_PROBE = """
import json, django
django.setup()
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client
call_command("collectstatic", interactive=False, verbosity=0)
url = static("css/app.css")
client = Client()
client.cookies["sessionid"] = "x" * 32  # a signed-in browser; static files must keep their cache anyway
response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
print(json.dumps({"url": url, "status": response.status_code, "cache": response.get("Cache-Control", ""),
                  "encoding": response.get("Content-Encoding", "")}))
"""


def test_it_serves_static_files_through_whitenoise_with_a_long_cache(env_file, tmp_path):
    # The database is unreachable on purpose: static files are answered before sessions are looked at.
    result = run_python(
        STATIC_PROBE,
        env_file,
        **PRODUCTION,
        STATIC_ROOT=str(tmp_path / "static"),
        DATABASE_URL=CLOSED_PORT_DATABASE,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["url"].startswith("/static/css/app.") and answer["url"] != "/static/css/app.css"  # hashed
    assert answer["status"] == 200
    assert "max-age=315360000" in answer["cache"] and "immutable" in answer["cache"]
    assert answer["encoding"] == "gzip"


# --- error pages ---------------------------------------------------------------------------------------------

view_calls = []


def record(request):
    view_calls.append(request.method)
    return HttpResponse("đã nhận")


def whoami(request):
    return HttpResponse(request.user.get_username())


def bad_request(request):
    raise SuspiciousOperation("tampered")


def forbidden(request):
    raise PermissionDenied


def missing(request):
    raise Http404


def broken(request):
    raise RuntimeError("boom")


# The real URLs and handlers, plus a few probes.
urlpatterns = [
    path("probe/record/", record),
    path("probe/whoami/", whoami),
    path("probe/400/", bad_request),
    path("probe/403/", forbidden),
    path("probe/404/", missing),
    path("probe/500/", broken),
    *config_urls.urlpatterns,
]
handler500 = config_urls.handler500


@pytest.mark.urls("tests.test_serving")
@pytest.mark.parametrize(
    "url, status, title",
    [
        ("/probe/400/", 400, "Yêu cầu không hợp lệ"),
        ("/probe/403/", 403, "Không có quyền"),
        ("/probe/404/", 404, "Không tìm thấy trang"),
        ("/khong-co-trang-nay/", 404, "Không tìm thấy trang"),
        ("/probe/500/", 500, "Lỗi hệ thống"),
    ],
)
def test_it_answers_errors_with_vietnamese_pages(db, url, status, title):
    assert settings.DEBUG is False
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == status
    page = response.content.decode()
    assert title in page and '<html lang="vi">' in page
    assert "Traceback" not in page and "boom" not in page


def test_it_renders_the_500_page_without_a_request_or_database():
    from django.template.loader import render_to_string

    with mock.patch.object(connections["default"], "cursor", side_effect=AssertionError("no database")):
        page = render_to_string("500.html")
    assert "Lỗi hệ thống" in page


def test_it_answers_a_csrf_failure_in_vietnamese(db):
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "a", "password": "b"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Biểu mẫu đã hết hạn" in page and "tải lại trang" in page
    assert "CSRF" not in page  # Django's reason is for developers (DEBUG) only


# --- limits and headers --------------------------------------------------------------------------------------


@pytest.mark.urls("tests.test_serving")
def test_it_refuses_an_oversized_body_before_reading_it(db, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    view_calls.clear()
    # The declared length is far larger than the body: the test client's input raises if read past its end,
    # so a 413 here means nothing read it.
    response = Client().post(
        "/probe/record/",
        data=b"x",
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "Tệp gửi lên quá lớn" in response.content.decode() and "1 MB" in response.content.decode()
    assert view_calls == []
    small = Client().post("/probe/record/", data=b"x" * 1000, content_type="application/octet-stream")
    assert small.status_code == 200 and view_calls == ["POST"]


@pytest.mark.urls("tests.test_serving")
def test_it_keeps_signed_in_pages_out_of_caches(db):
    client = Client()
    anonymous = client.get("/probe/whoami/")
    assert anonymous.status_code == 200 and "Cache-Control" not in anonymous
    client.force_login(UserFactory(username="alice"))
    signed_in = client.get("/probe/whoami/")
    assert signed_in.content == b"alice"
    assert signed_in["Cache-Control"] == "private, no-store"


def test_it_refuses_browser_features_the_app_never_uses(db):
    response = Client().get(reverse("login"))
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in policy


# --- health and the database ---------------------------------------------------------------------------------


def broken_database():
    return mock.patch.object(
        connections["default"], "cursor", side_effect=OperationalError("connection refused")
    )


def test_it_reports_health(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    response = Client().get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "media": "ok", "status": "ok"}
    assert list(settings.MEDIA_ROOT.iterdir()) == []  # the probe file is gone


def test_it_reports_503_when_the_database_is_unreachable(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with broken_database():
        response = Client().get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"database": "error", "media": "ok", "status": "error"}


def test_it_reports_503_when_uploads_cannot_be_stored(db, settings, tmp_path):
    (tmp_path / "not-a-directory").write_text("x")
    settings.MEDIA_ROOT = tmp_path / "not-a-directory"
    response = Client().get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "media": "error", "status": "error"}


def test_it_shows_the_maintenance_page_when_a_view_cannot_reach_the_database(db):
    # The view fails first (DatabaseUnavailableMiddleware answers); saving the session after it fails again,
    # and handler500 answers that one the same way. The test client would re-raise the second.
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(username="alice"))
    with broken_database():
        response = client.get(reverse("password_change"))
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "Hệ thống đang bảo trì, thử lại sau ít phút" in response.content.decode()


def test_it_shows_the_maintenance_page_when_an_error_page_cannot_reach_the_database(db):
    # The 404 page shows the signed-in user's menu: loading the user fails while Django renders it, outside any
    # view, and handler500 answers.
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(username="alice"))
    with broken_database():
        response = client.get("/khong-co-trang-nay/")
    assert response.status_code == 503
    assert "Hệ thống đang bảo trì" in response.content.decode()


DOWN_PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
client.cookies["sessionid"] = "x" * 32
page = client.get("/")
health = Client().get("/healthz")  # a load balancer sends no cookie
print(json.dumps({"status": page.status_code, "retry": page.get("Retry-After"), "page": page.content.decode(),
                  "health": [health.status_code, health.json()]}))
"""


def test_it_shows_the_maintenance_page_in_production_when_the_database_is_down(env_file, tmp_path):
    result = run_python(
        DOWN_PROBE, env_file, **PRODUCTION, DATABASE_URL=CLOSED_PORT_DATABASE, MEDIA_ROOT=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503 and answer["retry"] == "60"
    assert "Hệ thống đang bảo trì" in answer["page"]
    assert answer["health"] == [503, {"database": "error", "media": "ok", "status": "error"}]


# --- sign-in lockout -----------------------------------------------------------------------------------------

A, B = "10.0.0.1", "10.0.0.2"


def sign_in(username, password, address, **extra):
    return Client().post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")  # password "password"


def test_it_locks_a_username_only_from_the_address_it_failed_from(alice):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in("alice", "sai", A).status_code == 200
    assert sign_in("alice", "sai", A).status_code == 429  # the failure that reaches the limit locks
    locked = sign_in("alice", "password", A)
    assert locked.status_code == 429 and "Tạm khóa đăng nhập" in locked.content.decode()
    assert sign_in("alice", "password", B).status_code == 302  # alice at her office is not locked out


def test_it_locks_an_address_that_fails_across_many_usernames(alice):
    limit = settings.AXES_IP_FAILURE_LIMIT
    assert limit > settings.AXES_FAILURE_LIMIT
    for number in range(limit - 1):
        sign_in(f"nguoi{number}", "sai", A)
    # Far more than five failures from the address, each name once: the address is not locked yet…
    assert sign_in("alice", "password", A).status_code == 302
    sign_in("nguoi-cuoi", "sai", A)
    # …and is after the limit, for everyone behind it, while other addresses are not.
    assert sign_in("alice", "password", A).status_code == 429
    assert sign_in("alice", "password", B).status_code == 302


def test_it_tells_clients_behind_the_reverse_proxy_apart(alice, settings):
    settings.REVERSE_PROXY_COUNT = 1
    proxy = "127.0.0.1"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in("alice", "sai", proxy, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {A}")
    assert sign_in("alice", "password", proxy, HTTP_X_FORWARDED_FOR=A).status_code == 429
    # The left entry is the client's own claim: it changes nothing. B, added by the proxy, is another client.
    assert sign_in("alice", "password", proxy, HTTP_X_FORWARDED_FOR=f"{A}, {B}").status_code == 302


def test_it_keeps_every_failed_sign_in(alice):
    sign_in("alice", "sai", A)
    sign_in("bob", "sai", B)
    rows = sorted(AccessFailureLog.objects.values_list("username", "ip_address"))
    assert rows == [("alice", A), ("bob", B)]


def test_it_logs_failed_sign_ins_as_warnings(alice, caplog):
    with caplog.at_level(logging.WARNING):
        sign_in("alice", "mat-khau-sai-7Qx", A)
    warnings = [r for r in caplog.records if r.name.startswith("axes") and r.levelno == logging.WARNING]
    assert warnings, caplog.text
    assert any(A in record.getMessage() and "login failure" in record.getMessage() for record in warnings)
    assert all("mat-khau-sai-7Qx" not in record.getMessage() for record in warnings)
