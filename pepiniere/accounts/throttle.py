"""Login throttling on top of django-axes.

django-axes stores every failed login (AccessAttempt while it counts, AccessFailureLog for the
record) and refuses authentication while a client is locked out, on the site's login and on
/admin/ alike (it works at the authentication-backend level). Axes compares one count with one
limit; Pépinière needs three limits over the same cool-off window:

- an (account, address) pair: a few mistakes, then a pause (``LOGIN_LIMIT_PER_PAIR``);
- an account from anywhere: a distributed guesser gets no more tries than that
  (``LOGIN_LIMIT_PER_ACCOUNT``), and the account's owner unlocks it by resetting the password;
- an address for every account: looser by far (``LOGIN_LIMIT_PER_ADDRESS``), so that a shared
  office behind one address is not locked out by its colleagues' typos but one machine cannot
  try a list of accounts.

The handler below turns each count into a percentage of its own limit; Axes locks at 100.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

log = logging.getLogger("pepiniere.accounts.login")

# The order of AXES_LOCKOUT_PARAMETERS in settings: pair, account, address.
LOCKOUT_PARAMETERS: list[str | list[str]] = [["username", "ip_address"], "username", "ip_address"]


def _limits() -> tuple[int, int, int]:
    return (
        settings.LOGIN_LIMIT_PER_PAIR,
        settings.LOGIN_LIMIT_PER_ACCOUNT,
        settings.LOGIN_LIMIT_PER_ADDRESS,
    )


class LoginThrottleHandler(AxesDatabaseHandler):  # type: ignore[misc]
    """Axes' database handler with one limit per lockout parameter (see the module docstring)."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        attempts_list: list[QuerySet[AccessAttempt]] = self.get_user_attempts(request, credentials)
        score = 0
        for attempts, limit in zip(attempts_list, _limits(), strict=True):
            count = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            score = max(score, count * 100 // max(limit, 1))
        return score

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is not None:
            log.warning(
                "Failed login for %r from %s on %s%s",
                get_client_username(request, credentials),
                getattr(request, "axes_ip_address", None),
                request.path,
                " (locked out)" if getattr(request, "axes_locked_out", False) else "",
            )

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        # A successful login clears the account's counts, never the address's: otherwise an
        # attacker with one valid account would reset the per-address count at will.
        username = get_client_username(request, credentials)
        if not username:
            return 0
        deleted: int = AccessAttempt.objects.filter(username=username).delete()[0]
        return deleted


class LoginThrottleBackend(AxesStandaloneBackend):  # type: ignore[misc]
    """Axes' backend, except that an authentication without a request (a management command,
    the test client's login()) is not an HTTP login and is not throttled."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        super().authenticate(request, username=username, password=password, **kwargs)
        return None


def client_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The account a login attempt names, as the login form reads it (trimmed, lower case)."""
    raw = (credentials or {}).get("username")
    if raw is None:
        raw = request.POST.get("username")
    if raw is None:
        return None
    return str(raw).strip().lower()[:254] or None


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind ``TRUSTED_PROXY_COUNT`` reverse proxies, each appending to
    X-Forwarded-For, the client is the entry that the outermost trusted proxy wrote; anything to
    its left was typed by the client and is ignored."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """The French page shown instead of the login form while the client is locked out."""
    cool_off = get_cool_off(request) or datetime.timedelta(minutes=15)
    username = client_username(request, credentials)
    ip_address = getattr(request, "axes_ip_address", None)
    last = AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=ip_address)).aggregate(
        last=Max("attempt_time")
    )["last"]
    retry_at = timezone.localtime((last or timezone.now()) + cool_off)
    # Rounded up to the next minute: the page says « à 14 h 32 ».
    if retry_at.second or retry_at.microsecond:
        retry_at = retry_at.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    response = render(
        request,
        "registration/locked_out.html",
        {"retry_at": retry_at, "minutes": int(cool_off.total_seconds() // 60)},
        status=429,
    )
    response["Retry-After"] = str(max(int((retry_at - timezone.now()).total_seconds()), 1))
    return response


def unlock_account(*, email: str) -> None:
    """Forget the failed logins of an account (after its owner reset the password)."""
    AccessAttempt.objects.filter(username__iexact=email).delete()
