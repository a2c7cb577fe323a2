"""Who calls the API: a bearer token (machine clients) or the browser's session (the interactive
docs), and how often a token may call.

A token answers 401 when it is unknown, revoked, expired or its account closed, never telling
which. Each token may make ``API_RATE_LIMIT_PER_MINUTE`` requests a minute (a fixed window per
calendar minute, counted in Django's cache, so the count is shared by every web process that
shares the cache backend); beyond, 429 with ``Retry-After`` (seconds to the next window)."""

from __future__ import annotations

import datetime
import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, django_auth

from pepiniere.api.models import ApiToken, hash_key

WINDOW_SECONDS = 60
# last_used_at is written at most once a minute per token: a client polling in a loop must not
# turn every read into a write.
TOUCH_EVERY = datetime.timedelta(minutes=1)


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


def check_rate(token: ApiToken, *, now: float | None = None) -> None:
    """Count one request of ``token`` in the current minute; RateLimited past the limit."""
    limit: int = settings.API_RATE_LIMIT_PER_MINUTE
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    key = f"api-rate:{token.pk}:{window}"
    # add() then incr(): atomic on every backend Django ships (one process or shared).
    cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    if count > limit:
        raise RateLimited(max(1, math.ceil((window + 1) * WINDOW_SECONDS - now)))


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token.isascii() or len(token) > 200:
            return None
        found = ApiToken.objects.filter(key_hash=hash_key(token)).select_related("user").first()
        if found is None or found.status() != "active" or not found.user.is_active:
            return None
        check_rate(found)
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= TOUCH_EVERY:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found


# Read endpoints: a token or the browser's session. Writes: a token with the read-write scope.
AUTH = [TokenAuth(), django_auth]
TOKEN_ONLY = [TokenAuth()]


def token_of(request: HttpRequest) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None
