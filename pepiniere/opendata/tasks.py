"""The open data published automatically (see services.py for when)."""

from __future__ import annotations

from django.tasks import task

from pepiniere.grants.models import AwardShare
from pepiniere.opendata import services
from pepiniere.programmes.models import Funder


@task()
def publish_open_data(award_id: int | None = None) -> int:
    """Publish the funders of the award (every funder without one); the number of new
    publications."""
    funders = Funder.objects.exclude(siret="")
    if award_id is not None:
        funders = funders.filter(
            pk__in=AwardShare.objects.filter(award_id=award_id).values("funder_id")
        )
    return sum(services.publish(f) is not None for f in funders.order_by("name"))


def on_version_signed(*, version, actor, now, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """agreements.hooks.version_signed provider: queue the publication after the commit."""
    from django.db import transaction

    award_id = version.agreement.award_id
    transaction.on_commit(lambda: publish_open_data.enqueue(award_id))
