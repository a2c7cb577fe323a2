"""Reads of the public catalogue."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from pepiniere.calls.models import Call, CallPhase, fold


@dataclass(frozen=True)
class CatalogueFilters:
    phase: str = CallPhase.OPEN
    q: str = ""
    sector: str = ""
    departement: str = ""
    axis: str = ""
    funder: str = ""
    deadline_before: datetime.date | None = None


def catalogue(filters: CatalogueFilters, *, now: datetime.datetime) -> QuerySet[Call]:
    calls = Call.objects.published().select_related("funder", "programme", "axis")
    if filters.phase == CallPhase.OPEN:
        calls = calls.open_at(now).order_by("closes_at")
    elif filters.phase == CallPhase.UPCOMING:
        calls = calls.upcoming_at(now).order_by("opens_at")
    else:
        calls = calls.closed_at(now).order_by("-closes_at")
    for word in fold(filters.q).split():
        calls = calls.filter(search_text__contains=word)
    if filters.sector:
        calls = calls.filter(sectors__code=filters.sector)
    if filters.departement:
        # A call with no territorial rule is open everywhere.
        calls = calls.annotate(n_departements=Count("eligible_departements", distinct=True)).filter(
            Q(eligible_departements__code=filters.departement) | Q(n_departements=0)
        )
    if filters.axis:
        calls = calls.filter(axis__code=filters.axis)
    if filters.funder:
        calls = calls.filter(Q(funder__slug=filters.funder) | Q(co_funders__slug=filters.funder))
    if filters.deadline_before:
        calls = calls.filter(closes_at__date__lte=filters.deadline_before)
    return calls.prefetch_related("sectors", "required_labels").distinct()


def phase_counts(*, now: datetime.datetime) -> dict[str, int]:
    published = Call.objects.published()
    return {
        CallPhase.OPEN: published.open_at(now).count(),
        CallPhase.UPCOMING: published.upcoming_at(now).count(),
        CallPhase.CLOSED: published.closed_at(now).count(),
    }
