"""The impact pages' figures, precomputed: read a page part's snapshot, compute it on the spot
when it was never computed, refresh the stale ones (a task, queued when reports or awards
change, and `pepiniere refresh_impact`).

A page part is the indicators of a scope for a year and a breakdown, or the evaluation of a
scope, for one audience (officers; the public page: masked before it is stored) and one language
(labels are translated when the part is computed, under that language). A page always answers
from its snapshot, even a stale one (it says when it was computed and that new data has arrived);
only a part never computed is computed in the request, once, and stored."""

from __future__ import annotations

import datetime
import hashlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from pepiniere.grants.models import AwardShare
from pepiniere.impact import evaluation, freshness, receivers, snapshots, tables
from pepiniere.impact.models import Audience, ImpactSnapshot, Part
from pepiniere.portfolio import indicators
from pepiniere.portfolio.indicators import Scope
from pepiniere.portfolio.selectors_portfolio import portfolio_calls

logger = logging.getLogger(__name__)

PUBLIC_DIMENSIONS = [d for d in indicators.DIMENSIONS if d != "programme"]
OFFICER_DEFAULT_DIMENSION = "call"


@dataclass(frozen=True)
class Key:
    """What one snapshot holds: a part of a page for a scope and an audience."""

    scope: Scope
    audience: str
    part: str
    year: int = 0
    dimension: str = ""

    def fields(self, language: str) -> dict[str, Any]:
        return {
            "scope": freshness.scope_key(self.scope),
            "audience": self.audience,
            "part": self.part,
            "year": self.year,
            "dimension": self.dimension,
            "language": language,
        }

    def __str__(self) -> str:
        scope = self.scope
        where = (
            f"appel {scope.call_id}"
            if scope.call_id
            else f"programme {scope.programme_id}"
            if scope.programme_id
            else "portefeuille"
        )
        funders = (
            "tous" if scope.funder_ids is None else ",".join(map(str, sorted(scope.funder_ids)))
        )
        what = f"{self.part} {self.year} par {self.dimension}" if self.year else self.part
        return f"{self.audience} {where} (financeurs {funders}) {what}"


@dataclass(frozen=True)
class Freshness:
    """When a page part was computed, and whether the data has changed since (a refresh is
    queued)."""

    computed_at: datetime.datetime
    stale: bool


def current_version() -> str:
    """The data version with the payload's format: a new format makes every snapshot stale."""
    return f"{snapshots.FORMAT}/{freshness.data_version()}"


def language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


def _compute(key: Key) -> Any:
    if key.part == Part.INDICATORS:
        figures = tables.build(
            key.scope, key.year, key.dimension, mask=key.audience == Audience.PUBLIC
        )
        return snapshots.indicators_to_json(figures)
    result = evaluation.compute(key.scope)
    if key.audience == Audience.PUBLIC:
        result = snapshots.public_evaluation(result)
    return snapshots.evaluation_to_json(result)


def compute_and_store(key: Key, *, language: str, version: str) -> ImpactSnapshot:
    """Compute the part under ``language`` and store it as computed from ``version`` (read
    before the computation: data arriving meanwhile makes it stale, never wrongly fresh)."""
    started, now = time.perf_counter(), timezone.now()
    with translation.override(language):
        payload = _compute(key)
    scope = key.scope
    snapshot, _created = ImpactSnapshot.objects.update_or_create(
        **key.fields(language),
        defaults={
            "programme_id": scope.programme_id,
            "call_id": scope.call_id,
            "funders": "*"
            if scope.funder_ids is None
            else ",".join(map(str, sorted(scope.funder_ids))),
            "payload": payload,
            "computed_at": now,
            "seconds": time.perf_counter() - started,
            "data_version": version,
            "refresh_queued_for": "",
        },
    )
    return snapshot


def _read(key: Key, version: str) -> tuple[Any, Freshness]:
    lang = language()
    snapshot = (
        ImpactSnapshot.objects.filter(**key.fields(lang))
        .only("payload", "computed_at", "data_version", "refresh_queued_for")
        .first()
    )
    if snapshot is None or snapshot.payload.get("format") != snapshots.FORMAT:
        snapshot = compute_and_store(key, language=lang, version=version)
        return snapshot.payload, Freshness(snapshot.computed_at, stale=False)
    stale = snapshot.data_version != version
    if stale and snapshot.refresh_queued_for != version:
        queue_refresh(snapshot.pk, version)
    return snapshot.payload, Freshness(snapshot.computed_at, stale)


def figures_for(
    scope: Scope, year: int, dimension: str, *, audience: str, version: str
) -> tuple[tables.Indicators, Freshness]:
    payload, fresh = _read(Key(scope, audience, Part.INDICATORS, year, dimension), version)
    return snapshots.indicators_from_json(payload), fresh


def evaluation_for(
    scope: Scope, *, audience: str, version: str
) -> tuple[evaluation.Evaluation, Freshness]:
    payload, fresh = _read(Key(scope, audience, Part.EVALUATION), version)
    return snapshots.evaluation_from_json(payload), fresh


# --- Refresh -----------------------------------------------------------------------------------


def queue_refresh(snapshot_id: int, version: str) -> None:
    """Queue the refresh task once per data version (the row remembers it), after the commit."""
    queued = (
        ImpactSnapshot.objects.filter(pk=snapshot_id)
        .exclude(refresh_queued_for=version)
        .update(refresh_queued_for=version)
    )
    if queued:
        receivers.enqueue_refresh_on_commit()


def _scope_of(snapshot: ImpactSnapshot) -> Scope:
    funders = (
        None
        if snapshot.funders == "*"
        else frozenset(int(f) for f in snapshot.funders.split(",") if f)
    )
    return Scope(programme_id=snapshot.programme_id, call_id=snapshot.call_id, funder_ids=funders)


def default_year(version: str | None = None) -> int:
    """The pages' year when none is asked: the last year with counted reports (an index scan
    that grows with the reports), remembered per data version in the cache."""
    key = f"impact:default-year:{hashlib.sha256(version.encode()).hexdigest()}" if version else ""
    if key and (year := cache.get(key)) is not None:
        return int(year)
    year = indicators.latest_year() or timezone.localdate().year - 1
    if key:
        cache.set(key, year, 24 * 3600)
    return year


def landing_keys(year: int | None = None) -> Iterator[Key]:
    """The page parts people open first, precomputed by `pepiniere refresh_impact` and the demo:
    for each funder, its whole portfolio in every breakdown and each of its programmes (default
    breakdown, evaluation) at the default year; each programme's public page in every breakdown
    with its evaluation. Other parts are computed when first asked, then kept fresh."""
    year = year or default_year()
    funder_ids = sorted(set(AwardShare.objects.values_list("funder_id", flat=True).distinct()))
    for funder_id in funder_ids:
        funders = frozenset({funder_id})
        for dimension in indicators.DIMENSIONS:
            yield Key(Scope(funder_ids=funders), Audience.OFFICER, Part.INDICATORS, year, dimension)
        programmes = sorted(
            set(
                portfolio_calls({funder_id})
                .order_by()
                .values_list("programme_id", flat=True)
                .distinct()
            )
        )
        for programme_id in programmes:
            scope = Scope(programme_id=programme_id, funder_ids=funders)
            yield Key(scope, Audience.OFFICER, Part.INDICATORS, year, OFFICER_DEFAULT_DIMENSION)
            yield Key(scope, Audience.OFFICER, Part.EVALUATION)
    public = sorted(
        set(
            AwardShare.objects.order_by()
            .values_list("award__application__call__programme_id", flat=True)
            .distinct()
        )
    )
    for programme_id in public:
        scope = Scope(programme_id=programme_id)
        for dimension in PUBLIC_DIMENSIONS:
            yield Key(scope, Audience.PUBLIC, Part.INDICATORS, year, dimension)
        yield Key(scope, Audience.PUBLIC, Part.EVALUATION)


@dataclass
class RefreshOutcome:
    created: int = 0
    refreshed: int = 0
    fresh: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0


def refresh_snapshots(*, landing: bool = False) -> RefreshOutcome:
    """Compute again every snapshot computed from older data (or an older format); with
    ``landing``, also the landing parts never computed (in the site's language). A part that
    fails is reported and the others still run."""
    started = time.perf_counter()
    outcome = RefreshOutcome()
    version = current_version()
    todo: list[tuple[Key, str, str]] = []
    seen: set[tuple[str, str, str, int, str, str]] = set()
    for snapshot in ImpactSnapshot.objects.defer("payload").order_by("pk"):
        key = Key(
            _scope_of(snapshot), snapshot.audience, snapshot.part, snapshot.year, snapshot.dimension
        )
        seen.add(tuple(key.fields(snapshot.language).values()))
        if snapshot.data_version == version:
            outcome.fresh += 1
        else:
            todo.append((key, snapshot.language, "refreshed"))
    if landing:
        site = settings.LANGUAGE_CODE.split("-")[0]
        for key in landing_keys():
            if tuple(key.fields(site).values()) not in seen:
                todo.append((key, site, "created"))
    for key, lang, kind in todo:
        try:
            compute_and_store(key, language=lang, version=version)
        except Exception as error:  # one part failing must not leave the others stale
            logger.exception("impact snapshot %s failed", key)
            outcome.failed.append(f"{key}: {error}")
            continue
        setattr(outcome, kind, getattr(outcome, kind) + 1)
    outcome.seconds = time.perf_counter() - started
    return outcome
