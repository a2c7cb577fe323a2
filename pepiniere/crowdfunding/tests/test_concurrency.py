"""Two campaigns closing at the same moment on a pool that holds one top-up: the second is
decided on what the first left, and the pool is never overspent. Needs PostgreSQL."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from pepiniere.crowdfunding import services
from pepiniere.crowdfunding.models import Campaign, CampaignStatus
from pepiniere.crowdfunding.tests.factories import after_end, live_campaign, match_world, pledge
from pepiniere.grants import budget
from pepiniere.grants.models import BudgetLine, BudgetScope

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_simultaneous_closes_never_overspend_the_pool():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions and row locks")
    world = match_world(pool="6000")
    campaigns = [live_campaign(world, title=f"Campagne {n}") for n in range(2)]
    for campaign in campaigns:
        pledge(campaign, world, "10000", "P1")
    budget.ensure_lines(world.call)
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def close(campaign):
        try:
            barrier.wait(timeout=10)
            services.close_campaign(campaign=campaign, actor=world.officer, now=after_end(campaign))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=close, args=(c,)) for c in campaigns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    top_ups = sorted(c.top_up or Decimal(0) for c in Campaign.objects.all())
    assert top_ups == [Decimal("1000"), Decimal("5000")]
    assert set(Campaign.objects.values_list("status", flat=True)) == {CampaignStatus.TOPPED_UP}
    line = BudgetLine.objects.get(scope=BudgetScope.CALL, call=world.call)
    assert line.committed == line.envelope == Decimal("6000")
