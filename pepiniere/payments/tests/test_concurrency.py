"""Money never leaves twice, shown with real concurrent transactions (PostgreSQL: SQLite
serialises writers anyway): two runs created at once take each instalment once, two
confirmations at once pay once, and the total paid on an award never exceeds it."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from pepiniere.accounts.models import Role
from pepiniere.lib.testing.factories import make_user
from pepiniere.payments import runs, services
from pepiniere.payments.models import GrantAccount, Instalment, PaymentOrder, PaymentRun
from pepiniere.payments.tests.factories import signed_award

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _race(*calls):
    """Run the callables at the same moment, each in its own thread (own connection)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 — the outcome is what the test looks at
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _authorised(world):
    first = world.instalments()[0]
    services.request_instalment(instalment=first, actor=world.member)
    services.check_request(instalment=first, actor=world.officer, decisions={})
    services.authorise_instalment(instalment=first, actor=world.finance)
    return first


@pytest.fixture
def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions and row locks")


def test_two_runs_created_at_once_take_each_instalment_once(needs_postgres):
    world = signed_award()
    first = _authorised(world)
    other_finance = make_user(role=Role.FINANCE, funder=world.call.funder)
    outcomes = _race(
        lambda: runs.create_payment_run(funder=world.call.funder, actor=world.finance),
        lambda: runs.create_payment_run(funder=world.call.funder, actor=other_finance),
    )
    made = [o for o in outcomes if isinstance(o, PaymentRun)]
    refused = [o for o in outcomes if isinstance(o, services.PaymentError)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert refused[0].kind == "nothing"
    assert PaymentOrder.objects.filter(instalment=first).count() == 1
    assert Instalment.objects.get(pk=first.pk).status == "ordered"


def test_two_confirmations_at_once_pay_once(needs_postgres):
    world = signed_award()
    _authorised(world)
    run = runs.create_payment_run(funder=world.call.funder, actor=world.finance)
    other_finance = make_user(role=Role.FINANCE, funder=world.call.funder)
    outcomes = _race(
        lambda: services.confirm_run_paid(run=run, actor=world.finance),
        lambda: services.confirm_run_paid(run=run, actor=other_finance),
    )
    assert sorted(outcomes) == [0, 1], outcomes
    assert GrantAccount.objects.get(award=world.award).paid == Decimal("20000")
    from pepiniere.grants.models import BudgetLine, BudgetScope

    assert BudgetLine.objects.get(scope=BudgetScope.CALL, call=world.call).paid == Decimal("20000")


def test_the_sum_paid_on_an_award_never_exceeds_it_even_from_two_runs_at_once(needs_postgres):
    world = signed_award("40000")
    first, second, _final = world.instalments()
    # Two orders of 30 000 € on a 40 000 € award, in two runs (as a bug elsewhere could make
    # them): confirmed at the same moment, one is paid, the other refused by the database.
    Instalment.objects.filter(pk__in=[first.pk, second.pk]).update(
        amount=Decimal("30000"), status="authorised"
    )
    run_one = runs.create_payment_run(funder=world.call.funder, actor=world.finance)
    assert run_one.orders.count() == 2
    order = run_one.orders.order_by("pk").last()
    assert order is not None
    run_two = PaymentRun.objects.create(
        funder=run_one.funder,
        reference="LOT-TEST-2",
        created_at=run_one.created_at,
        execution_date=run_one.execution_date,
    )
    PaymentOrder.objects.filter(pk=order.pk).update(run=run_two)
    other_finance = make_user(role=Role.FINANCE, funder=world.call.funder)
    outcomes = _race(
        lambda: services.confirm_run_paid(run=run_one, actor=world.finance),
        lambda: services.confirm_run_paid(run=run_two, actor=other_finance),
    )
    paid = [o for o in outcomes if o == 1]
    refused = [o for o in outcomes if isinstance(o, services.PaymentError)]
    assert len(paid) == 1 and len(refused) == 1, outcomes
    assert refused[0].kind == "ceiling"
    assert "au-delà du montant de la convention" in refused[0].message
    assert GrantAccount.objects.get(award=world.award).paid == Decimal("30000")
