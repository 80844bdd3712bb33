"""Settings, read from the environment (and an optional `.env` file) through django-environ.

Every variable is documented in README.md and docs/operations.md. Development is the default only when DEBUG
is set: with DEBUG off (production) a missing SECRET_KEY or ALLOWED_HOSTS stops start-up instead of running
insecurely, and so does any value that cannot be read (config/env.py).
"""

import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.csp import content_security_policy
from config.env import (
    env,
    env_bool,
    env_email,
    env_file_path,
    env_int,
    env_list,
    env_origins,
    env_path,
    env_proxy_header,
    read_env_file,
)

BASE_DIR = Path(__file__).resolve().parent.parent

ENV_FILE = env_file_path(BASE_DIR)
read_env_file(ENV_FILE)

# config/production.env.example starts its key with this: copying the example without making a key must not
# give a running site whose sessions anyone who read the example can forge.
PLACEHOLDER_SECRET_KEY_PREFIX = "THAY-BANG-"


def required(name: str, value):
    """Fail loudly, in the administrator's language, when production lacks a setting."""
    if not value:
        raise ImproperlyConfigured(
            f"Thiếu biến môi trường {name}: bắt buộc khi DEBUG tắt (chế độ vận hành). "
            f"Đặt {name} trong môi trường hoặc trong tệp .env. "
            f"({name} is required when DEBUG is off.)"
        )
    return value


DEBUG = env_bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
else:
    SECRET_KEY = required("SECRET_KEY", env.str("SECRET_KEY", default=""))
    ALLOWED_HOSTS = required("ALLOWED_HOSTS", env_list("ALLOWED_HOSTS", default=[]))
    if SECRET_KEY.startswith(PLACEHOLDER_SECRET_KEY_PREFIX):
        raise ImproperlyConfigured(
            "SECRET_KEY vẫn là giá trị mẫu. Tạo khóa mới bằng lệnh "
            "`.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))'` và ghi vào SECRET_KEY. "
            "(SECRET_KEY is still the example's placeholder.)"
        )

CSRF_TRUSTED_ORIGINS = env_origins("CSRF_TRUSTED_ORIGINS")

# HTTPS. All off unless set: a site first tried on the office network over plain HTTP must not redirect to an
# HTTPS that does not exist yet, nor pin browsers to it. The production environment that docs/operations.md
# documents (config/production.env.example) turns them on, and then `check --deploy` has nothing to warn about.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
# The load balancer asks for /healthz over plain HTTP, straight at gunicorn.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# Behind a reverse proxy that ends HTTPS: which header says the browser used HTTPS. Only set it when the proxy
# always sets (or strips) that header, otherwise a client could claim HTTPS itself.
SECURE_PROXY_SSL_HEADER = env_proxy_header("SECURE_PROXY_SSL_HEADER")
# Browser features the app never uses are refused to every page (config.middleware.ResponseHeadersMiddleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)
# No inline script, no other origin; what styles may do and why: config/csp.py.
CONTENT_SECURITY_POLICY = content_security_policy(BASE_DIR / "templates")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "axes",
    # The job queue (django-q2), with its ORM broker: reminders, e-mail, the ward bundle (reports/jobs.py).
    "django_q",
    "csp",
    "plans",
    "tasks",
    "kpi",
    "reports",
    "config",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First after security, so that every answer carries the policy, the 413 and 503 pages included.
    "csp.middleware.CSPMiddleware",
    # Static files are answered here, before sessions and the database are touched (and with their own
    # long cache headers).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body (the CSRF check reads POST): too large a request is refused unread.
    "config.middleware.UploadLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: it needs to know whether the response is for a signed-in user.
    "config.middleware.ResponseHeadersMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it watches failed sign-ins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-in while a username is locked out
    "django.contrib.auth.backends.ModelBackend",
]
# Five failed sign-ins for one username from one address lock that pair for 15 minutes (django-axes, a
# maintained library, rather than a home-made counter). By the pair, not by username alone: otherwise anyone
# could lock an officer out by typing her username wrong five times from anywhere.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = 0.25  # hours
# Not by address alone after five failures: a ward office shares one address behind NAT, and locking it after
# five typos by anyone would lock out every officer in the building. An address is locked only after many
# failures across usernames (someone trying names), AXES_IP_FAILURE_LIMIT; axes compares every parameter set
# with the one AXES_FAILURE_LIMIT, so config.lockout.PairAndAddressHandler gives the address set its own limit.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], ["ip_address"]]
AXES_IP_FAILURE_LIMIT = env_int("AXES_IP_FAILURE_LIMIT", default=30, minimum=1)
AXES_HANDLER = "config.lockout.PairAndAddressHandler"
# Behind a reverse proxy every request comes from the proxy's address: the client's is in X-Forwarded-For.
REVERSE_PROXY_COUNT = env_int("REVERSE_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "config.lockout.client_ip"
# axes.W006 asks for ip_address in the lockout parameters; it is there now (in both sets), so the check passes,
# and it stays silenced so that an installation reverting to username-only locking (for a NAT whose one
# address is shared by several offices) does not fail `check --deploy` for a choice made on purpose.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_RESET_ON_SUCCESS = True
# Every failed sign-in is kept (table axes_accessfailurelog, in the admin), up to axes' 1000 per username so
# that someone hammering one name cannot fill the disk.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# axes masks the username and the address in its log lines by default. The address is what an administrator
# needs to see who is trying; the username stays masked because people type their password into it by mistake.
AXES_SENSITIVE_PARAMETERS = ["username"]

# Sessions end after 30 idle minutes: every request renews the cookie, so only idleness expires it.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", default=30 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "plans.context_processors.navigation",
                "reports.context_processors.notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# Vietnamese pages for refusals and failures: templates/400.html, 403.html, 404.html, 413.html, 500.html,
# 503.html; a stale form's CSRF refusal has its own page (templates/403_csrf.html).
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# SQLite file by default (embedded, nothing to install); PostgreSQL when DATABASE_URL is set.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that does not answer must turn into the "bảo trì" page within seconds, not hold a
    # worker until gunicorn kills it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env_path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env_path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production: hashed, compressed copies made by `collectstatic` (make serve runs it), which WhiteNoise
    # serves with a cache of a year, since a changed file gets a new name. Development serves the sources.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Mail: printed to the console in development; in production where EMAIL_URL says, e.g.
# smtp+tls://user:password@mail.phuong.vn:587 (Django's default otherwise: an SMTP server on this machine).
EMAIL = env_email("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
EMAIL_BACKEND = EMAIL["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL.get("EMAIL_HOST", "localhost")
EMAIL_PORT = EMAIL.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = EMAIL.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = EMAIL.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = EMAIL.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL.get("EMAIL_USE_SSL", False)
del EMAIL
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="kehoach@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "config.security_log.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # The security log (ops/security_log.py): one JSON line per event, on standard output, apart from the
        # diagnostics on standard error, so that a collector can take it as it is.
        "security": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {
        # Failed sign-ins and lockouts (WARNING) are always written, whatever LOG_LEVEL says; axes' INFO
        # chatter about every successful sign-in is not.
        "axes": {"level": "WARNING"},
        # The database could not be reached (the 503 page): always written.
        "config": {"level": "WARNING"},
        # Every security event, whatever LOG_LEVEL says.
        "security": {"handlers": ["security"], "level": "INFO", "propagate": False},
    },
}

# Password of the demo users (`create_demo_users`); empty: a random one, printed once.
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="")

# Largest spreadsheet accepted for import, in bytes (20 MB).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024, minimum=1)
# What a spreadsheet to import may expand to, and the rows one sheet may hold: checked before it is read whole
# (plans.xlsx), so a small file that unzips to millions of rows is refused instead of filling the memory.
IMPORT_MAX_EXPANDED_BYTES = env_int("IMPORT_MAX_EXPANDED_BYTES", default=100 * 1024 * 1024, minimum=1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", default=50_000, minimum=10)
# A request's form fields, files aside, at most (Django refuses more with the 400 page).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024, minimum=1024)
# Uploaded files up to this size are kept in memory, larger ones go to a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440, minimum=0)
# The whole body of one request (several evidence files at once), refused with the 413 page before it is read
# (config.middleware.UploadLimitMiddleware). Keep the reverse proxy's own limit (nginx client_max_body_size)
# at least this large, or its English error page answers first.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", default=100 * 1024 * 1024, minimum=1024)

# Evidence uploads: the largest file accepted, and the most an Office file (a zip) may expand to.
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", default=20 * 1024 * 1024, minimum=1)
EVIDENCE_MAX_EXPANDED_BYTES = env_int("EVIDENCE_MAX_EXPANDED_BYTES", default=100 * 1024 * 1024, minimum=1)
FILE_UPLOAD_PERMISSIONS = 0o640

# The job queue: django-q2 on the ORM broker, so the database already configured (SQLite in development,
# PostgreSQL in production) is the queue and nothing else has to run; several machines may each run
# `manage.py qcluster`. A failed job is not acknowledged, so the broker hands it out again after
# JOB_RETRY_SECONDS, up to JOB_MAX_ATTEMPTS times; the retry wait must outlast the timeout, or a job still
# running would be handed to a second worker.
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", default=3, minimum=1)
JOB_TIMEOUT_SECONDS = env_int("JOB_TIMEOUT_SECONDS", default=900, minimum=10)
JOB_RETRY_SECONDS = env_int(
    "JOB_RETRY_SECONDS", default=JOB_TIMEOUT_SECONDS + 60, minimum=JOB_TIMEOUT_SECONDS + 1
)
Q_CLUSTER = {
    "name": "kehoach",
    "orm": "default",
    "workers": env_int("JOB_WORKERS", default=2, minimum=1),
    "timeout": JOB_TIMEOUT_SECONDS,
    "retry": JOB_RETRY_SECONDS,
    "max_attempts": JOB_MAX_ATTEMPTS,
    # A day the cluster was down is not replayed once per missed day: the next daily run covers it.
    "catch_up": False,
    "save_limit": 500,
    "label": "Hàng đợi công việc",
    "sync": env_bool("JOB_SYNC", default=False),
}

# Reminders (reports/reminders.py): the daily run of `send_reminders` at REMINDER_TIME (local time, HH:MM),
# a card waiting for review or approval is recalled after these many days, and the addresses in e-mails
# start with SITE_URL (the address users open).
REMINDER_TIME = env.str("REMINDER_TIME", default="07:00").strip()
if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", REMINDER_TIME):
    raise ImproperlyConfigured(
        f"REMINDER_TIME không hợp lệ: {REMINDER_TIME!r}. Cần giờ:phút, ví dụ 07:00. (REMINDER_TIME must be HH:MM.)"
    )
REMINDER_REVIEW_AFTER_DAYS = env_int("REMINDER_REVIEW_AFTER_DAYS", default=3, minimum=1)
REMINDER_APPROVAL_AFTER_DAYS = env_int("REMINDER_APPROVAL_AFTER_DAYS", default=2, minimum=1)
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Files made by background jobs (the ward bundle) are kept this many days, then deleted by the daily run.
JOB_FILES_KEEP_DAYS = env_int("JOB_FILES_KEEP_DAYS", default=7, minimum=1)
