"""The impact pages' figures, refreshed in the background (see services.py for when)."""

from __future__ import annotations

from django.tasks import task

from pepiniere.impact import services


@task()
def refresh_impact_snapshots() -> dict[str, int]:
    """Compute again the snapshots whose data changed; the number of each outcome."""
    outcome = services.refresh_snapshots()
    return {
        "refreshed": outcome.refreshed,
        "fresh": outcome.fresh,
        "failed": len(outcome.failed),
    }
