"""Two officers award at the same moment beyond the envelope: exactly one award goes through.
Needs real concurrent transactions, so PostgreSQL (SQLite serialises writers anyway)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Status
from pepiniere.grants import budget, services
from pepiniere.grants.models import Award, BudgetLine, BudgetScope
from pepiniere.grants.tests.factories import award_kwargs, selected_call
from pepiniere.lib.testing.factories import make_user

# serialized_rollback: reload the reference data (départements, legal forms) that the flush after
# another transactional test has emptied.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_simultaneous_awards_beyond_the_envelope_commit_exactly_one():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions and row locks")
    call, officer, _finance, (first, second) = selected_call(2, envelope="60000")
    other_officer = make_user(role=Role.OFFICER, funder=call.funder)
    # The budget lines exist before the race, as they do once a call has its first award.
    budget.ensure_lines(call)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def award(name, application, actor):
        try:
            barrier.wait(timeout=10)
            services.award_grant(application=application, actor=actor, **award_kwargs("40000"))
            outcomes[name] = "awarded"
        except services.AwardError as error:
            outcomes[name] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=award, args=("first", first, officer)),
        threading.Thread(target=award, args=("second", second, other_officer)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(str(type(o).__name__) for o in outcomes.values()) == ["AwardError", "str"]
    refused = next(o for o in outcomes.values() if isinstance(o, services.AwardError))
    assert refused.kind == "budget" and "déjà engagé 40" in refused.message
    assert Award.objects.count() == 1
    line = BudgetLine.objects.get(scope=BudgetScope.CALL, call=call)
    assert line.committed == Decimal("40000") <= line.envelope
    statuses = sorted(a.status for a in (first, second) if a.refresh_from_db() is None)
    assert statuses == [Status.AWARDED, Status.SELECTED]
