"""Past one machine: two gunicorn instances, as `make serve` starts them, on two loopback ports against one
PostgreSQL database and one media folder. A card saved through one is seen through the other, and a save
through the other made on the page it loaded before is refused by the card's version, as on one server.

Bounded: each server is stopped in `finally`, every request has a timeout, only 127.0.0.1 is asked."""

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from kpi.models import ScoreEntry
from kpi.scoring import Result
from kpi.services import scorecard_get_or_create

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="several app servers share one PostgreSQL (DATABASE_URL=postgres://…); SQLite is one machine's",
)
TIMEOUT = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    params = connection.settings_dict
    auth = (params.get("USER") or "") + (f":{params['PASSWORD']}" if params.get("PASSWORD") else "")
    return (
        f"postgres://{auth}@{params.get('HOST') or '127.0.0.1'}:{params.get('PORT') or 5432}/{params['NAME']}"
    )


def start(port: int, media, env_file) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if k not in ("ENV_FILE", "DJANGO_SETTINGS_MODULE")}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings", ENV_FILE=str(env_file), DEBUG="1", SECRET_KEY=settings.SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1", DATABASE_URL=database_url(), MEDIA_ROOT=str(media),
    )  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--timeout", "30", "--graceful-timeout", "5"],
        cwd=settings.BASE_DIR, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def wait_healthy(port: int, process: subprocess.Popen):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn on {port} stopped: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise AssertionError(f"gunicorn on {port} did not answer /healthz within 60 s")


class Browser:
    """One signed-in person's cookies, sent to whichever server is asked (as a load balancer would)."""

    def __init__(self, session_key: str):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.session = session_key

    def request(self, port: int, path: str, data: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": f"sessionid={self.session}" + self._csrf_cookie()}
        body = None
        if data is not None:
            token = self._csrf()
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}, doseq=True).encode()
            headers["Referer"] = f"http://127.0.0.1:{port}{path}"
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def _csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def _csrf_cookie(self) -> str:
        token = self._csrf()
        return f"; csrftoken={token}" if token else ""


def test_two_servers_share_the_card_and_its_version_check(transactional_db, world, rubric, people, tmp_path):
    card = scorecard_get_or_create(unit=world.vhxh, rubric=rubric, month=date(2026, 3, 1))
    entry = card.entries.get(criterion__code="1.1")
    client = Client()
    client.force_login(people.alice)  # a session in the shared database, valid on both servers
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    env_file = tmp_path / "empty.env"
    env_file.write_text("", encoding="utf-8")
    media = tmp_path / "media"
    ports = [free_port(), free_port()]
    servers = [start(port, media, env_file) for port in ports]
    try:
        for port, server in zip(ports, servers, strict=True):
            wait_healthy(port, server)
        one, other = ports
        path = reverse("scorecard", args=[card.pk])
        alice, her_colleague = Browser(session), Browser(session)
        # Both load the card, at the same version, each through a different server (signed in on both: the
        # session is in the shared database, signed with the key both servers share).
        for browser, port in [(alice, one), (her_colleague, other)]:
            status, page = browser.request(port, path)
            assert status == 200 and f'name="result-{entry.pk}"' in page, port
        version = str(card.version)

        status, _ = alice.request(one, path, {"version": version, f"result-{entry.pk}": Result.DONE,
                                              f"comment-{entry.pk}": "Lưu qua máy một", "save": "1"})  # fmt: skip
        assert status in (200, 302)
        # Seen through the other server at once: one database, no per-server state.
        status, page = her_colleague.request(other, path)
        assert status == 200 and "Lưu qua máy một" in page

        # The colleague's save from the page loaded before is refused, through the other server.
        status, page = her_colleague.request(other, path, {"version": version, f"result-{entry.pk}": Result.NOT_DONE,
                                                           f"comment-{entry.pk}": "Lưu qua máy hai", "save": "1"})  # fmt: skip
        assert status == 200 and "đã được người khác lưu" in page
        saved = ScoreEntry.objects.get(pk=entry.pk)
        assert (saved.result, saved.comment) == (Result.DONE, "Lưu qua máy một")
        assert "Lưu qua máy hai" not in alice.request(one, path)[1]
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)
