"""Views of the service itself: the health check for a load balancer, and the error pages Django asks for."""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import connection
from django.http import (
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseServerError,
    JsonResponse,
)
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token

from config.middleware import DATABASE_ERRORS, database_unavailable_response

log = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DATABASE_ERRORS as error:
        log.error("Health check: database unavailable: %s", error)
        return False
    return True


def _media_ok() -> bool:
    """Uploads can be stored: MEDIA_ROOT exists (or can be made, as the storage would) and takes a file."""
    try:
        root = Path(settings.MEDIA_ROOT)
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".healthz-") as probe:
            probe.write(b"ok")
            probe.flush()
    except OSError as error:
        log.error("Health check: MEDIA_ROOT unusable: %s", error)
        return False
    return True


@never_cache
def healthz(request):
    """For a load balancer or a monitor: public, reads no session and says nothing about anyone.

    200 when the database answers and uploads can be stored, 503 otherwise; the reason is in the log, never
    in the answer (it could name hosts or paths)."""
    checks = {"database": _database_ok(), "media": _media_ok()}
    healthy = all(checks.values())
    body = {name: "ok" if ok else "error" for name, ok in checks.items()}
    body["status"] = "ok" if healthy else "error"
    return JsonResponse(body, status=200 if healthy else 503)


def bad_request(request, exception=None):
    """handler400. Django refuses a form past its limits while reading it (before any view): the form's text
    over DATA_UPLOAD_MAX_MEMORY_SIZE is the 413 page, naming that limit; more files or fields than allowed is
    the 400 page saying so. Nothing of the request was read into the application, so nothing was written."""
    if isinstance(exception, RequestDataTooBig):
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        page = render_to_string("413.html", {"limit_mb": f"{limit_mb:g}", "form_text": True})
        return HttpResponse(page, status=413)
    detail = ""
    if isinstance(exception, TooManyFilesSent):
        detail = (
            f"Mỗi lần chỉ gửi được tối đa {settings.DATA_UPLOAD_MAX_NUMBER_FILES} tệp. Chưa có tệp nào được lưu: "
            "hãy chia thành nhiều lần gửi."
        )
    elif isinstance(exception, TooManyFieldsSent):
        detail = (
            f"Biểu mẫu gửi lên có hơn {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} trường nên không được nhận. "
            "Chưa có gì được lưu."
        )
    return HttpResponseBadRequest(render_to_string("400.html", {"detail": detail}))


@requires_csrf_token
def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: mostly a form left open past the session, or a site reached over plain HTTP while
    its cookies are HTTPS-only; the page says what to do. Django's reason is shown to developers only."""
    page = render_to_string("403_csrf.html", {"reason": reason if settings.DEBUG else ""})
    return HttpResponseForbidden(page)


def server_error(request):
    """handler500. A server error caused by the unreachable database is the "bảo trì" page (503) instead: this
    is where errors raised in middleware end up (the session saved after the view), which
    config.middleware.DatabaseUnavailableMiddleware never sees. Renders without a request context, like
    Django's own, since whatever failed may be what a context needs."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        log.error("Database unavailable on %s: %s", request.path, error)
        return database_unavailable_response()
    return HttpResponseServerError(render_to_string("500.html"))
