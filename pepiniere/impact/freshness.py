"""The version of the data the impact figures are computed from, and their cache.

The version changes with any KPI report, award or review (three aggregate queries), so a cached
figure is never older than its data; the page says when it was computed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max

from pepiniere.grants.models import Award
from pepiniere.portfolio.indicators import Scope
from pepiniere.portfolio.models import KpiReport
from pepiniere.reviews.models import Review

CACHE_SECONDS = 24 * 3600


def data_version() -> str:
    reports = KpiReport.objects.aggregate(n=Count("pk"), at=Max("updated_at"))
    awards = Award.objects.aggregate(n=Count("pk"), at=Max("awarded_at"))
    reviews = Review.objects.aggregate(n=Count("pk"), at=Max("updated_at"))
    return "|".join(str(v) for d in (reports, awards, reviews) for v in d.values())


def scope_key(scope: Scope) -> str:
    funders = "*" if scope.funder_ids is None else ",".join(map(str, sorted(scope.funder_ids)))
    return f"{scope.programme_id}:{scope.call_id}:{funders}:{scope.award_years}"


def cached[T](
    kind: str, scope: Scope, parts: tuple[Any, ...], version: str, make: Callable[[], T]
) -> T:
    """``make()`` once per (kind, scope, parts, data version)."""
    text = ":".join([kind, scope_key(scope), *map(str, parts), version])
    key = "impact:" + hashlib.sha256(text.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = make()
        cache.set(key, value, CACHE_SECONDS)
    return value  # type: ignore[no-any-return]
