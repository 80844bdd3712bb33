"""Middleware for running as a service: the request body limit, response headers, the "bảo trì" page."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.functional import empty

log = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 60


def too_large_response() -> HttpResponse:
    limit_mb = settings.UPLOAD_MAX_BYTES / (1024 * 1024)
    page = render_to_string("413.html", {"limit_mb": f"{limit_mb:g}"})
    response = HttpResponse(page, status=413)
    # The browser is still sending the body we refuse to read: closing lets it stop instead of the server
    # reading megabytes only to throw them away.
    response["Connection"] = "close"
    return response


def database_unavailable_response() -> HttpResponse:
    # No request context: the page must render while the database (sessions, users) is unreachable.
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class UploadLimitMiddleware:
    """Refuses a request whose declared body is larger than UPLOAD_MAX_BYTES, before anything reads it.

    Django's own limits (DATA_UPLOAD_MAX_MEMORY_SIZE) apply while the body is parsed, after a large upload has
    already been received and written to temporary files; the declared length lets us refuse at once.
    A body without a declared length reaches Django as empty (WSGI reads CONTENT_LENGTH bytes), so it cannot
    slip past the limit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body at all for an unreadable length
        if length > settings.UPLOAD_MAX_BYTES:
            log.warning("Refused a %d-byte request to %s (UPLOAD_MAX_BYTES)", length, request.path)
            return too_large_response()
        return self.get_response(request)


class ResponseHeadersMiddleware:
    """Permissions-Policy on every page; `Cache-Control: private, no-store` on everything a signed-in user
    gets, so that scores, evidence and reports stay neither in a shared proxy nor in the browser's cache of a
    shared office computer. Static files never reach here (WhiteNoise answers them first with a long cache).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if self.signed_in(request):
            response["Cache-Control"] = "private, no-store"
        return response

    @staticmethod
    def signed_in(request) -> bool:
        # Only a user the request already looked at: a response that never read the user cannot carry their
        # data, and looking now would query sessions, also when answering that the database is down.
        user = getattr(request, "user", None)
        if user is None or getattr(user, "_wrapped", None) is empty:
            return False
        return user.is_authenticated


class DatabaseUnavailableMiddleware:
    """The database cannot be reached: "Hệ thống đang bảo trì" (503, Retry-After) instead of a server error.

    process_exception sees what views and templates raise, in development too. What a middleware raises
    (saving the session after the view) never passes here: config.views.server_error answers those the same.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            log.error("Database unavailable on %s: %s", request.path, exception)
            return database_unavailable_response()
        return None
