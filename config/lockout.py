"""Sign-in lockout that cannot be turned against a user (django-axes, configured in config/settings.py).

A username is locked only together with the address it failed from (AXES_FAILURE_LIMIT failures), so typing
alice's name wrong from outside does not lock alice out at her office. An address is locked on its own only
after AXES_IP_FAILURE_LIMIT failures across usernames: someone trying many names, not one officer's typos.
"""

from __future__ import annotations

from axes.conf import settings
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_lockout_parameters
from axes.models import AccessAttempt
from django.db.models import Sum

ADDRESS_ONLY = ("ip_address",)


def _parameter_names(parameter) -> tuple[str, ...]:
    return (parameter,) if isinstance(parameter, str) else tuple(parameter)


class PairAndAddressHandler(AxesDatabaseHandler):
    """axes' database handler, with its own limit for the address-only parameter set.

    axes takes the largest failure count among the parameter sets and compares it with the one
    AXES_FAILURE_LIMIT: an address would be locked after five failures by anyone behind it. Here the address set
    counts as reaching AXES_FAILURE_LIMIT once it reaches AXES_IP_FAILURE_LIMIT, and as nothing before.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        parameters = get_lockout_parameters(request, credentials)
        counts = []
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if _parameter_names(parameter) == ADDRESS_ONLY:
                failures = settings.AXES_FAILURE_LIMIT if failures >= settings.AXES_IP_FAILURE_LIMIT else 0
            counts.append(failures)
        return max(counts, default=0)

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """A successful sign-in forgives the user's own failures from this address, not everyone's: the
        inherited reset would delete every attempt from the address, so signing in with one's own account
        would wipe the count of someone trying other names from the same place."""
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or, behind REVERSE_PROXY_COUNT proxies, the address the outermost
    one saw, which is that many entries from the right of X-Forwarded-For (each proxy appends the address it
    received the request from; entries further left were written by the client and prove nothing)."""
    count = settings.REVERSE_PROXY_COUNT
    if count:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")
