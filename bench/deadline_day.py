"""The morning of the submission deadline (issue 13, "Load"): officers sign in, open their card, save it twice
and submit, while reviewers and leaders read the review queue and the dashboard, against gunicorn as
`make serve` runs it (DEBUG=0, WhiteNoise, PostgreSQL), with 2 and then 4 workers.

    .venv/bin/python bench/deadline_day.py                      # 500 officers of 10 wards, 2 and 4 workers
    .venv/bin/python bench/deadline_day.py --officers 200 --workers 2 4 --concurrency 30

Data: a fresh PostgreSQL database (--database-url, dropped and created; dropped again at the end), migrated,
the real seed loaded, then `generate_scale_data` for 10 wards (one month of history) and one officer account
per generated unit. The officers work on the month after the generated one, for which no card exists yet:

    GET  /dang-nhap/  POST /dang-nhap/                  sign in (the password is hashed as in production)
    GET  /tu-cham/<month>/  POST /tu-cham/<month>/      open the month, make the card
    GET  /phieu-kpi/<pk>/  POST (save)  ×2              every criterion's result-<pk>, comment and note, with
    GET  /phieu-kpi/<pk>/  POST (save + submit)         the version of the page just loaded
    one officer in ten then re-sends its first form (its version is stale): that must be refused.

Meanwhile 10 reviewers read /tham-dinh/ and 10 ward leaders /dashboard/ in a loop (one page a second each),
until the officers are done. Each run starts from the same database (a PostgreSQL template copy).

Lost updates are counted in the database after each run: a save that answered success (a redirect) whose
values are not what the card holds, criterion by criterion, when no later save of that card succeeded. A
refused stale save is not a lost update; a stale save that is *accepted* is counted as one.

Bounded: officers, reviewers' loops and every request's time-out are fixed; gunicorn is stopped in `finally`;
traffic goes only to 127.0.0.1. Not a test: run by hand, figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="bench-deadline-"))
EMPTY_ENV = WORK / "empty.env"
EMPTY_ENV.write_text("", encoding="utf-8")
SECRET = "bench-only-not-a-secret-" + "x" * 40
PASSWORD = "Bench-deadline-2026!"
HOST = "127.0.0.1"
TIMEOUT = 60  # seconds, each request
WARDS = 10
PAGE_KINDS = ["sign-in page", "sign-in POST", "month page", "make card", "card page", "save", "submit",
              "stale save", "review queue", "dashboard"]  # fmt: skip


def production_env(database_url: str) -> dict[str, str]:
    """What gunicorn runs with: production settings (DEBUG=0, hashed static files, secure defaults) but plain
    http on loopback, so the cookies are not HTTPS-only; no `.env` of the developer's."""
    environment = {k: v for k, v in os.environ.items() if k not in ("ENV_FILE", "DJANGO_SETTINGS_MODULE")}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings", ENV_FILE=str(EMPTY_ENV), DEBUG="0", SECRET_KEY=SECRET,
        ALLOWED_HOSTS=HOST, DATABASE_URL=database_url, MEDIA_ROOT=str(WORK / "media"),
        STATIC_ROOT=str(WORK / "static"), SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0", LOG_LEVEL="ERROR",
    )  # fmt: skip
    return environment


def split_url(url: str) -> tuple[str, str]:
    """(the URL of the maintenance database `postgres`, the bench database's name)."""
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.hostname not in ("127.0.0.1", "localhost", "::1") or not name.startswith("bench_"):
        raise SystemExit("--database-url must be a local PostgreSQL database whose name starts with bench_")
    return urllib.parse.urlunsplit(parts._replace(path="/postgres")), name


def admin_sql(maintenance_url: str, *statements: str):
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


# --- data ------------------------------------------------------------------------------------------------------


def build_data(database_url: str, officers: int) -> dict:
    """Migrate, load the seed, generate the wards, make one officer per unit and the reviewers' passwords.
    Returns what the clients need (usernames, the month). Runs in this process, with the production env."""
    os.environ.update(production_env(database_url))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from kpi.months import next_month
    from kpi.scale_data import default_until, generate_scale_data, generated_units
    from plans.models import OrgUnit, UserProfile

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_seed_data", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    month = default_until()  # the month that just ended: its cards are due now
    history = month.replace(year=month.year - 1) if month.month == 1 else month.replace(month=month.month - 1)
    per_ward = max(2, -(-officers // WARDS))
    generate_scale_data(wards=WARDS, units_per_ward=per_ward, months=1, until=history, force=True)
    assert next_month(history) == month
    units = list(
        generated_units()
        .exclude(kind__in=[OrgUnit.Kind.CITY, OrgUnit.Kind.WARD])
        .order_by("code")
        .values_list("pk", "code")
    )
    # Officers spread over the wards: the first `officers` units taken ward by ward in turn.
    by_ward = defaultdict(list)
    for pk, code in units:
        by_ward[code.split("-")[1]].append(pk)
    chosen = [by_ward[w][i] for i in range(per_ward) for w in sorted(by_ward) if i < len(by_ward[w])][
        :officers
    ]
    User = get_user_model()
    hashed = make_password(PASSWORD)  # one hash for all: the server still checks it on every sign-in
    users = User.objects.bulk_create(
        [User(username=f"bench.canbo.{n:04d}", password=hashed, first_name=f"Cán bộ {n}") for n in range(len(chosen))]
    )  # fmt: skip
    UserProfile.objects.bulk_create(
        [UserProfile(user=u, unit_id=pk, role=UserProfile.Role.OFFICER) for u, pk in zip(users, chosen, strict=True)]
    )  # fmt: skip
    readers = [f"gen.thamdinh.w{n:03d}" for n in range(1, WARDS + 1)]
    readers += [f"gen.lanhdao.w{n:03d}" for n in range(1, WARDS + 1)]
    User.objects.filter(username__in=readers).update(password=hashed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    print(f"data: seed + {WARDS} wards × {per_ward} units, {len(users)} officers, month {month:%m/%Y} "
          f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
    return {"officers": [u.username for u in users], "readers": readers, "month": f"{month:%Y-%m}"}


# --- gunicorn --------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, workers: int, database_url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"{HOST}:{port}",
         "--workers", str(workers), "--timeout", "60", "--graceful-timeout", "5"],
        cwd=ROOT, env=production_env(database_url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def wait_healthy(port: int, process: subprocess.Popen):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped: {process.stderr.read().decode()[-2000:]}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def stop(process: subprocess.Popen):
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


# --- clients ---------------------------------------------------------------------------------------------------


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    saves: dict[str, list[dict]] = field(
        default_factory=lambda: defaultdict(list)
    )  # card pk → accepted saves
    stale_refused: int = 0
    stale_accepted: list[str] = field(default_factory=list)
    submitted: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, ms: float, ok: bool, note: str = ""):
        with self.lock:
            self.times[kind].append(ms)
            if not ok:
                self.errors[kind] += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(f"{kind}: {note}"[:300])


class Browser:
    """One person's cookies and a new connection per request (gunicorn's sync workers do not keep alive)."""

    def __init__(self, port: int, results: Results):
        self.port, self.results, self.cookies = port, results, {}

    def request(self, kind: str, path: str, data: dict | list | None = None, expect=(200,)):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            items = list(data.items()) if isinstance(data, dict) else list(data)
            items.append(("csrfmiddlewaretoken", self.cookies.get("csrftoken", "")))
            body = urllib.parse.urlencode(items).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}:{self.port}{path}"
        start = time.perf_counter()
        status, text, location = 0, "", ""
        try:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=TIMEOUT)
            conn.request("POST" if body is not None else "GET", path, body=body, headers=headers)
            response = conn.getresponse()
            status, text = response.status, response.read().decode("utf-8", "replace")
            location = response.getheader("Location", "")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            conn.close()
        except OSError as error:
            text = repr(error)
        ms = (time.perf_counter() - start) * 1000
        self.results.record(kind, ms, status in expect, f"{status} {path} {text[:200]}")
        return status, text, location

    def sign_in(self, username: str) -> bool:
        self.request("sign-in page", "/dang-nhap/")
        status, _, _ = self.request(
            "sign-in POST", "/dang-nhap/", {"username": username, "password": PASSWORD}, expect=(302,)
        )
        return status == 302


def card_form(page: str, officer: str, round_: int) -> tuple[list[tuple[str, str]], dict]:
    """Every criterion's result, comment and note, with the page's version; and what that save should store."""
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    pks = list(dict.fromkeys(re.findall(r'name="result-(\d+)"', page)))
    form, expected = [("version", version), ("save", "1")], {}
    for pk in pks:
        comment, note = f"{officer} lần {round_}", f"Biên bản {round_}/BB-{officer} ngày 01"
        form += [(f"result-{pk}", "done"), (f"comment-{pk}", comment), (f"note-{pk}", note)]
        expected[int(pk)] = ("done", comment, note)
    return form, expected


def officer_flow(port: int, month: str, officer: str, index: int, results: Results, stop_at: float):
    if time.monotonic() > stop_at:
        return
    browser = Browser(port, results)
    if not browser.sign_in(officer):
        return
    path = f"/tu-cham/{month}/"
    browser.request("month page", path)
    status, _, location = browser.request("make card", path, {}, expect=(302,))
    match = re.search(r"/phieu-kpi/(\d+)/", location)
    if not match:
        return
    card = f"/phieu-kpi/{match.group(1)}/"
    first_form = None
    for round_ in (1, 2, 3):
        status, page, _ = browser.request("card page", card)
        if status != 200 or 'name="version"' not in page:
            return
        form, expected = card_form(page, officer, round_)
        kind = "submit" if round_ == 3 else "save"
        if round_ == 3:
            form.append(("submit", "1"))
        first_form = first_form or form
        status, _, _ = browser.request(kind, card, form, expect=(302,))
        if status == 302:
            with results.lock:
                results.saves[match.group(1)].append({"officer": officer, "values": expected})
                if round_ == 3:
                    results.submitted.add(match.group(1))
    if index % 10 == 0:  # the back button and a second click: the first form again, stale
        status, _, _ = browser.request("stale save", card, first_form, expect=(200,))
        with results.lock:
            if status == 302:  # accepted: counted as a lost update
                results.stale_accepted.append(card)
            else:  # refused (the version is old, the card is submitted): nothing written
                results.stale_refused += 1


def reader_flow(port: int, username: str, results: Results, done: threading.Event, loops: int):
    browser = Browser(port, results)
    if not browser.sign_in(username):
        return
    kind, path = ("review queue", "/tham-dinh/") if ".thamdinh." in username else ("dashboard", "/dashboard/")
    for _ in range(loops):
        if done.is_set():
            return
        browser.request(kind, path)
        done.wait(1.0)  # one page a second: a person reading, not a crawler


def check_lost_updates(database_url: str, results: Results) -> tuple[int, int, int]:
    """(lost updates, cards checked, submitted cards not in state submitted) from the database."""
    import django

    os.environ.update(production_env(database_url))
    django.setup()
    from django.db import connection

    from kpi.models import Scorecard, ScoreEntry

    connection.close()  # the database was re-created under this process since the last use
    lost = 0
    for pk, saves in results.saves.items():
        last = saves[-1]["values"]
        stored = {
            e.pk: (e.result, e.comment, e.evidence_note)
            for e in ScoreEntry.objects.filter(scorecard_id=int(pk), pk__in=list(last))
        }
        lost += sum(1 for entry, values in last.items() if stored.get(entry) != values)
    not_submitted = (
        Scorecard.objects.filter(pk__in=[int(p) for p in results.submitted])
        .exclude(state=Scorecard.State.SUBMITTED)
        .count()
    )
    lost += len(results.stale_accepted)
    connection.close()
    return lost, len(results.saves), not_submitted


def percentile(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) < 20:
        return sorted(values)[min(len(values) - 1, int(len(values) * q / 100))]
    return statistics.quantiles(values, n=100)[q - 1]


def run(workers: int, data: dict, database_url: str, args) -> dict:
    port = free_port()
    server = start_gunicorn(port, workers, database_url)
    results = Results()
    done = threading.Event()
    try:
        wait_healthy(port, server)
        print(f"{workers} workers on {HOST}:{port}: {len(data['officers'])} officers, "
              f"{len(data['readers'])} readers, {args.concurrency} officers at a time", flush=True)  # fmt: skip
        started = time.perf_counter()
        stop_at = time.monotonic() + args.max_seconds
        readers = [
            threading.Thread(
                target=reader_flow, args=(port, name, results, done, args.reader_loops), daemon=True
            )
            for name in data["readers"]
        ]
        for thread in readers:
            thread.start()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            for index, officer in enumerate(data["officers"]):
                pool.submit(officer_flow, port, data["month"], officer, index, results, stop_at)
        officers_seconds = time.perf_counter() - started
        done.set()
        for thread in readers:
            thread.join(timeout=TIMEOUT + 5)
        elapsed = time.perf_counter() - started
    finally:
        done.set()
        stop(server)
    lost, checked, not_submitted = check_lost_updates(database_url, results)
    total = sum(len(v) for v in results.times.values())
    return {
        "workers": workers, "seconds": elapsed, "officers_seconds": officers_seconds, "requests": total,
        "rps": total / elapsed, "errors": sum(results.errors.values()), "lost": lost, "checked": checked,
        "submitted": len(results.submitted), "not_submitted": not_submitted, "stale_refused": results.stale_refused,
        "pages": {k: (len(v), statistics.median(v), percentile(v, 95), results.errors.get(k, 0))
                  for k, v in results.times.items()},
        "samples": results.error_samples,
    }  # fmt: skip


def print_table(runs: list[dict]):
    head = f"{'':22}" + "".join(f"{str(r['workers']) + ' workers':>28}" for r in runs)
    print("\n" + head)
    lines = [
        ("wall time (s)", lambda r: f"{r['seconds']:.1f} (officers {r['officers_seconds']:.1f})"),
        ("requests", lambda r: f"{r['requests']}"),
        ("requests/s", lambda r: f"{r['rps']:.1f}"),
        ("errors", lambda r: f"{r['errors']}"),
        ("cards submitted", lambda r: f"{r['submitted']} ({r['not_submitted']} not in DB)"),
        ("stale saves refused", lambda r: f"{r['stale_refused']}"),
        ("lost updates", lambda r: f"{r['lost']} ({r['checked']} cards checked)"),
    ]
    for label, cell in lines:
        print(f"{label:22}" + "".join(f"{cell(r):>28}" for r in runs))
    print(f"\n{'page: n, p50 / p95 ms':22}" + "".join(f"{str(r['workers']) + ' workers':>28}" for r in runs))
    for kind in PAGE_KINDS:
        cells = []
        for r in runs:
            n, p50, p95, errors = r["pages"].get(kind, (0, 0, 0, 0))
            cells.append(f"{n:5d}, {p50:7.0f} / {p95:6.0f}" + (f" e{errors}" if errors else ""))
        print(f"{kind:22}" + "".join(f"{c:>28}" for c in cells))
    for r in runs:
        for sample in r["samples"]:
            print(f"  [{r['workers']} workers] {sample}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=int, default=500)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--concurrency", type=int, default=40, help="officers working at the same time")
    parser.add_argument("--reader-loops", type=int, default=600, help="pages per reader, at most")
    parser.add_argument("--max-seconds", type=float, default=900, help="no officer starts after this")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_deadline")
    args = parser.parse_args()
    maintenance, name = split_url(args.database_url)
    template = f"{name}_template"
    drop = [
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        f"DROP DATABASE IF EXISTS {template} WITH (FORCE)",
    ]
    admin_sql(maintenance, *drop, f"CREATE DATABASE {name}")
    try:
        data = build_data(args.database_url, args.officers)
        # Each run starts from this state: a copy of the database as it is now.
        admin_sql(maintenance, f"CREATE DATABASE {template} TEMPLATE {name}")
        runs = []
        for number, workers in enumerate(args.workers):
            if number:
                admin_sql(maintenance, drop[0], f"CREATE DATABASE {name} TEMPLATE {template}")
            runs.append(run(workers, data, args.database_url, args))
            print_table(runs[-1:])
        if len(runs) > 1:
            print_table(runs)
        print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        from django.db import connections

        connections.close_all()
        admin_sql(maintenance, *drop)


if __name__ == "__main__":
    main()
