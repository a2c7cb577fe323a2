"""What the impact app does when an earlier stage announces a change (registered at start-up by
apps.py): the snapshots are marked stale and a refresh is queued after the commit.

A module of its own with light imports: computing the figures (services, evaluation, the engine,
scipy) loads only when a refresh or a page needs it, not in every process at start-up (a plain
`django.setup()` importing services cost 2 s and 70 MB: scipy.stats through the forecast)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from pepiniere.impact.models import ImpactSnapshot


def enqueue_refresh_on_commit() -> None:
    def enqueue() -> None:
        from pepiniere.impact.tasks import refresh_impact_snapshots

        refresh_impact_snapshots.enqueue()

    transaction.on_commit(enqueue)


def data_changed(**kwargs: Any) -> None:
    """Provider of grants.hooks.award_made and portfolio.hooks.kpi_figures_changed: the figures
    may have changed, refresh the stale snapshots after the commit."""
    enqueue_refresh_on_commit()


def award_amended(**kwargs: Any) -> None:
    """Provider of grants.hooks.award_amended: an amendment changes an amount without a new row
    the data version would see, so every snapshot is marked stale here."""
    ImpactSnapshot.objects.update(data_version="")
    enqueue_refresh_on_commit()
