"""`make serve` and the addresses `make run` prints.

    python -m config.serve                 production: checks, collectstatic, migrate, then gunicorn
    python -m config.serve addresses HOST  the addresses to open for a server bound to HOST (make run)
    python -m config.serve with-worker CMD…  CMD (the development server) with a job queue worker beside it

Production settings come from ENV_FILE (`make serve` sets `.env.production`), never from the development
`.env`. WEB_WORKERS, WEB_TIMEOUT and HOST are read from the environment or that file.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import sys

WILDCARDS = {"0.0.0.0", "::", "[::]", ""}


def split_host(host: str) -> tuple[str, str]:
    """`0.0.0.0:8000` → ("0.0.0.0", "8000"); `8000` → ("127.0.0.1", "8000"), as runserver reads it."""
    if re.fullmatch(r"\d+", host):
        return "127.0.0.1", host
    address, _, port = host.rpartition(":")
    if not address or not port.isdigit():
        raise SystemExit(f"HOST không hợp lệ: {host!r}. Cần dạng ĐỊA_CHỈ:CỔNG, ví dụ 0.0.0.0:8000.")
    return address, port


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses on its networks (not loopback), the ones a phone on the same network
    can open: every interface's, from `ip`, else the one the default route leaves by."""
    found: list[str] = []
    if shutil.which("ip"):
        listing = subprocess.run(
            ["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True, check=False
        ).stdout
        found = re.findall(r"\binet (\d+\.\d+\.\d+\.\d+)/", listing)
    if not found:
        # Connecting a UDP socket sends nothing; it only picks the interface a packet would leave by.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect(("10.255.255.255", 1))
                found = [probe.getsockname()[0]]
            except OSError:
                found = []
    return [a for a in dict.fromkeys(found) if not ipaddress.ip_address(a).is_loopback]


def host_allowed(name: str, allowed_hosts: list[str]) -> bool:
    from django.http.request import validate_host

    return validate_host(name, allowed_hosts)


def addresses_text(host: str, allowed_hosts: list[str], env_file: str, lan: list[str] | None = None) -> str:
    """What to open, in Vietnamese. A server bound to a wildcard answers on every address of the machine, but
    Django answers only to names in ALLOWED_HOSTS (anything else gets 400), so the text says which of the LAN
    addresses still have to be added there."""
    address, port = split_host(host)
    if address not in WILDCARDS:
        return f"Mở http://{address}:{port}/ — trang quản trị: http://{address}:{port}/admin/"
    lan = lan_addresses() if lan is None else lan
    lines = [f"Mở http://127.0.0.1:{port}/ — trang quản trị: http://127.0.0.1:{port}/admin/"]
    if lan:
        lines.append("Điện thoại, máy tính khác trong mạng cơ quan mở:")
        lines += [f"  http://{ip}:{port}/" for ip in lan]
        missing = [ip for ip in lan if not host_allowed(ip, allowed_hosts)]
        if missing:
            lines.append(
                f"Chú ý: {', '.join(missing)} chưa có trong ALLOWED_HOSTS ({','.join(allowed_hosts)}), nên mở "
                f"theo địa chỉ đó sẽ bị từ chối (lỗi 400). Thêm vào {env_file}:"
            )
            lines.append(f"  ALLOWED_HOSTS={','.join([*allowed_hosts, *missing])}")
    else:
        lines.append("Không tìm thấy địa chỉ mạng nội bộ nào của máy này (máy chưa nối mạng?).")
    return "\n".join(lines)


def gunicorn_command(host: str, workers: int, timeout: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        f"--bind={host}",
        f"--workers={workers}",
        f"--timeout={timeout}",
        # Requests to stdout, errors to stderr: systemd's journal (or the terminal) keeps both.
        "--access-logfile=-",
        "--error-logfile=-",
    ]


def serve() -> None:
    import django
    from django.conf import settings
    from django.core.management import call_command

    from config.env import env_int, raw_value
    from config.middleware import DATABASE_ERRORS

    django.setup()  # reads ENV_FILE; stops here, in Vietnamese, on a missing or bad value
    if not settings.ENV_FILE.is_file():
        print(f"Không thấy tệp {settings.ENV_FILE}: chỉ dùng các biến môi trường đang có.")
    if settings.DEBUG:
        raise SystemExit(
            f"make serve chạy chế độ vận hành nhưng DEBUG đang bật (tệp {settings.ENV_FILE} hoặc biến môi "
            "trường). Đặt DEBUG=0 trong tệp đó; máy chủ phát triển là `make run`. "
            "(make serve refuses DEBUG=1.)"
        )
    host = raw_value("HOST") or "127.0.0.1:8000"
    split_host(host)
    workers = env_int("WEB_WORKERS", default=2 * (os.cpu_count() or 1) + 1, minimum=1)
    timeout = env_int("WEB_TIMEOUT", default=60, minimum=1)

    call_command("collectstatic", interactive=False, verbosity=1)
    try:
        call_command("migrate", interactive=False, verbosity=1)
    except DATABASE_ERRORS as error:
        raise SystemExit(
            f"Không kết nối được cơ sở dữ liệu (DATABASE_URL trong {settings.ENV_FILE}): {error}"
        ) from None

    print(addresses_text(host, settings.ALLOWED_HOSTS, settings.ENV_FILE.name))
    if settings.SESSION_COOKIE_SECURE:
        print(
            "Cookie đăng nhập chỉ gửi qua HTTPS (SESSION_COOKIE_SECURE=1): người dùng mở qua một reverse proxy "
            "HTTPS (docs/operations.md); mở thẳng http://… thì trang hiện nhưng không đăng nhập được."
        )
    call_command("schedule_reminders")
    print(f"gunicorn: {workers} tiến trình, thời gian chờ {timeout} giây. Dừng: Ctrl+C.", flush=True)
    print("Hàng đợi công việc (nhắc việc, thư, tệp ZIP): manage.py qcluster chạy cùng.", flush=True)
    raise SystemExit(run_beside(worker_command(), gunicorn_command(host, workers, timeout)))


def worker_command() -> list[str]:
    return [sys.executable, "manage.py", "qcluster"]


def run_beside(worker: list[str], main: list[str]) -> int:
    """Run `main` (gunicorn, runserver) with the job queue's worker beside it; both stop together. Ctrl+C and
    systemd's SIGTERM are passed to both; if either ends, the other is stopped, so a dead worker never
    leaves a site that silently sends no reminders (systemd's Restart= then starts both again)."""
    children = [subprocess.Popen(worker), subprocess.Popen(main)]

    def forward(signum, _frame):
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        while all(child.poll() is None for child in children):
            with contextlib.suppress(subprocess.TimeoutExpired):
                children[1].wait(timeout=1)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return children[1].returncode or 0


def print_addresses(host: str) -> None:
    import django
    from django.conf import settings

    django.setup()
    print(addresses_text(host, settings.ALLOWED_HOSTS, settings.ENV_FILE.name))


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if argv[:1] == ["addresses"] and len(argv) == 2:
        print_addresses(argv[1])
    elif argv[:1] == ["with-worker"] and len(argv) > 1:
        raise SystemExit(run_beside(worker_command(), argv[1:]))
    elif not argv:
        serve()
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
