from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Application, Status
from pepiniere.audit.services import trail_for
from pepiniere.grants import budget, services
from pepiniere.grants.models import AidRecord, Award, BudgetLine, BudgetScope
from pepiniere.grants.tests.factories import award_kwargs, selected_call
from pepiniere.lib.testing.factories import make_funder, make_user, plain

pytestmark = pytest.mark.django_db


def _ledger(call):
    return {
        row.scope: (row.envelope, row.committed, row.remaining) for row in budget.call_ledger(call)
    }


def test_finance_awards_a_selected_application_and_every_budget_line_moves():
    call, _officer, finance, (application, *_rest) = selected_call()
    award = services.award_grant(application=application, actor=finance, **award_kwargs("40000"))
    application.refresh_from_db()
    assert application.status == Status.AWARDED
    assert [(s.funder, s.amount) for s in award.shares.all()] == [(call.funder, Decimal("40000"))]
    ledger = _ledger(call)
    assert ledger["appel à projets"] == (Decimal("100000"), Decimal("40000"), Decimal("60000"))
    assert ledger["axe prioritaire"][1] == Decimal("40000")
    assert ledger["programme"][1] == Decimal("40000")
    assert ledger["apport du financeur à l'appel"][1] == Decimal("40000")
    assert AidRecord.objects.get(award=award).amount == Decimal("40000")
    [entry] = [e for e in trail_for(application) if e.action == "award"]
    assert (entry.from_state, entry.to_state, entry.actor) == ("selected", "awarded", finance)
    assert "CP-2026-001" in entry.reason


def test_award_beyond_the_call_envelope_is_refused_with_the_figures():
    call, officer, _finance, applications = selected_call(3, envelope="100000")
    for application in applications[:2]:
        services.award_grant(application=application, actor=officer, **award_kwargs("40000"))
    with pytest.raises(services.AwardError) as refused:
        services.award_grant(application=applications[2], actor=officer, **award_kwargs("40000"))
    assert refused.value.kind == "budget"
    assert plain(refused.value.message) == (
        f"Enveloppe dépassée — Appel — {call.title} : enveloppe 100 000,00 €, déjà engagé "
        "80 000,00 €, cette aide 40 000,00 €, dépassement 20 000,00 €."
    )
    applications[2].refresh_from_db()
    assert applications[2].status == Status.SELECTED
    assert not Award.objects.filter(application=applications[2]).exists()
    assert _ledger(call)["appel à projets"][1] == Decimal("80000")
    # Exactly the rest of the envelope still fits.
    services.award_grant(application=applications[2], actor=officer, **award_kwargs("20000"))
    assert _ledger(call)["appel à projets"][2] == Decimal("0")


def test_the_database_itself_refuses_committing_beyond_an_envelope():
    call, *_rest = selected_call(1)
    line = BudgetLine.objects.create(scope=BudgetScope.CALL, call=call, envelope=Decimal("100"))
    BudgetLine.objects.filter(pk=line.pk).update(committed=F("committed") + Decimal("100"))
    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetLine.objects.filter(pk=line.pk).update(committed=F("committed") + Decimal("0.01"))


@pytest.mark.parametrize(
    "role, same_funder",
    [(Role.JURY, True), (Role.OFFICER, False), (Role.FINANCE, False), (Role.APPLICANT, False)],
)
def test_only_officers_and_finance_of_the_funder_award(role, same_funder):
    call, *_rest, applications = selected_call(1)
    user = make_user(role=role, funder=call.funder if same_funder else None)
    with pytest.raises(services.AwardError) as refused:
        services.award_grant(application=applications[0], actor=user, **award_kwargs())
    assert refused.value.kind == "forbidden"


def test_only_selected_applications_receive_an_award_and_never_more_than_requested():
    call, officer, _finance, (first, second, _third) = selected_call()
    Application.objects.filter(pk=first.pk).update(status=Status.RESERVE)
    with pytest.raises(services.AwardError, match="liste complémentaire"):
        services.award_grant(application=first, actor=officer, **award_kwargs())
    with pytest.raises(services.AwardError, match="ne peut pas dépasser le montant demandé"):
        services.award_grant(application=second, actor=officer, **award_kwargs("40000.01"))
    services.award_grant(application=second, actor=officer, **award_kwargs("30000"))
    with pytest.raises(services.AwardError, match="« aide attribuée »"):
        services.award_grant(application=second, actor=officer, **award_kwargs("30000"))


def test_co_funding_shares_must_add_up_and_stay_within_each_contribution():
    call, officer, _finance, (first, second, _third) = selected_call()
    state = make_funder("État — Mission French Tech")
    call.co_funders.add(state)
    services.set_co_funding(call=call, funder=state, amount=Decimal("30000"), actor=officer)
    with pytest.raises(services.AwardError) as refused:
        services.award_grant(
            application=first,
            actor=officer,
            **award_kwargs(
                "40000", shares={call.funder_id: Decimal("25000"), state.pk: Decimal("10000")}
            ),
        )
    assert "écart de 5 000,00 €" in plain(refused.value.message)
    award = services.award_grant(
        application=first,
        actor=officer,
        **award_kwargs(
            "40000", shares={call.funder_id: Decimal("20000"), state.pk: Decimal("20000")}
        ),
    )
    assert {s.funder.name: s.amount for s in award.shares.all()} == {
        call.funder.name: Decimal("20000"),
        state.name: Decimal("20000"),
    }
    with pytest.raises(services.AwardError, match="Apport de État — Mission French Tech"):
        services.award_grant(
            application=second,
            actor=officer,
            **award_kwargs("20000", shares={state.pk: Decimal("20000")}),
        )
    rows = {row.label: row for row in budget.call_ledger(call)}
    assert rows[f"Apport de {call.funder.name} à l'appel"].envelope == Decimal("70000")
    assert rows["Apport de État — Mission French Tech à l'appel"].remaining == Decimal("10000")


def test_a_funder_outside_the_call_cannot_take_a_share():
    call, officer, _finance, (application, *_rest) = selected_call()
    outsider = make_funder("Autre")
    with pytest.raises(services.AwardError, match="ne cofinance pas"):
        services.award_grant(
            application=application,
            actor=officer,
            **award_kwargs("40000", shares={outsider.pk: Decimal("40000")}),
        )
