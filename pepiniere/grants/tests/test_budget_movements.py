"""The ledger's paid and released amounts: record_payment, release_commitment, record_refund."""

from decimal import Decimal

import pytest

from pepiniere.grants import budget, services
from pepiniere.grants.models import BudgetLine, BudgetScope
from pepiniere.grants.tests.factories import award_kwargs, selected_call
from pepiniere.lib.testing.factories import plain

pytestmark = pytest.mark.django_db


def _lines(call):
    return {
        line.scope: (line.committed, line.paid)
        for line in BudgetLine.objects.filter(scope__in=["call", "programme", "funder"], call=call)
        | BudgetLine.objects.filter(scope="programme", programme=call.programme)
    }


def _awarded():
    call, officer, _finance, (application,) = selected_call(1)
    services.award_grant(application=application, actor=officer, **award_kwargs("40000"))
    return call


def test_a_payment_moves_paid_on_every_line_of_the_award():
    call = _awarded()
    budget.record_payment(
        call=call, amount=Decimal("20000"), shares={call.funder_id: Decimal("20000")}
    )
    lines = _lines(call)
    assert lines[BudgetScope.CALL] == (Decimal("40000"), Decimal("20000"))
    assert lines[BudgetScope.PROGRAMME] == (Decimal("40000"), Decimal("20000"))
    assert lines[BudgetScope.FUNDER] == (Decimal("40000"), Decimal("20000"))


def test_a_payment_beyond_the_commitment_is_refused_with_the_figures_and_moves_nothing():
    call = _awarded()
    with pytest.raises(budget.LedgerRefused) as refused:
        budget.record_payment(
            call=call, amount=Decimal("40000.01"), shares={call.funder_id: Decimal("40000.01")}
        )
    assert "engagé 40 000,00 €, déjà versé 0,00 €" in plain(refused.value.message)
    assert _lines(call)[BudgetScope.CALL] == (Decimal("40000"), Decimal("0"))


def test_a_release_gives_back_what_will_not_be_paid_but_never_below_what_is_paid():
    call = _awarded()
    shares = {call.funder_id: Decimal("30000")}
    budget.record_payment(call=call, amount=Decimal("30000"), shares=shares)
    budget.release_commitment(
        call=call, amount=Decimal("10000"), shares={call.funder_id: Decimal("10000")}
    )
    assert _lines(call)[BudgetScope.CALL] == (Decimal("30000"), Decimal("30000"))
    with pytest.raises(budget.LedgerRefused):
        budget.release_commitment(
            call=call, amount=Decimal("0.01"), shares={call.funder_id: Decimal("0.01")}
        )


def test_a_refund_lowers_paid_and_committed_together():
    call = _awarded()
    budget.record_payment(
        call=call, amount=Decimal("40000"), shares={call.funder_id: Decimal("40000")}
    )
    budget.record_refund(
        call=call, amount=Decimal("2800"), shares={call.funder_id: Decimal("2800")}
    )
    assert _lines(call)[BudgetScope.FUNDER] == (Decimal("37200"), Decimal("37200"))
