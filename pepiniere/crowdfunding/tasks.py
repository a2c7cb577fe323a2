"""The scheduled close of ended campaigns (enqueued by ``pepiniere close_campaigns --enqueue``
from cron, e.g. ``5 0 * * *``, or run in place by the command)."""

from __future__ import annotations

from django.tasks import task

from pepiniere.crowdfunding import services


@task()
def close_ended_campaigns() -> int:
    """Close every campaign whose collection has ended, earliest end first; the number closed."""
    return sum(
        1
        for _pk, outcome in services.close_ended_campaigns()
        if outcome in ("topped_up", "refused")
    )
