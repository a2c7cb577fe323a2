"""The instalment lifecycle end to end, its refusals, four-eyes, the final instalment pro rata,
recovery and termination, and the ledger's paid moving."""

import datetime
from decimal import Decimal

import pytest

from pepiniere.audit.models import AuditEntry
from pepiniere.grants.models import BudgetLine, BudgetScope
from pepiniere.organisations.models import OrganisationKind
from pepiniere.payments import runs, services
from pepiniere.payments.models import GrantAccount, PaymentOrder, Recovery
from pepiniere.payments.tests.factories import (
    accept_all,
    expense,
    hold_bank_details,
    pay_through,
    signed_award,
)


def _request_of(instalment):
    request = services.current_request(instalment)
    assert request is not None
    return request


pytestmark = pytest.mark.django_db


def test_signature_plans_the_schedule_that_adds_up_exactly_to_the_award():
    world = signed_award("33333.33")
    amounts = [i.amount for i in world.instalments()]
    assert amounts == [Decimal("16666.66"), Decimal("9999.99"), Decimal("6666.68")]
    assert sum(amounts) == Decimal("33333.33")
    assert [i.status for i in world.instalments()] == ["planned"] * 3
    assert GrantAccount.objects.get(award=world.award).ceiling == Decimal("33333.33")


def test_the_whole_journey_pays_each_instalment_once_and_moves_the_ledger():
    world = signed_award("40000")
    first, second, final = world.instalments()
    run = pay_through(world, first, report="")
    assert first.status == "paid" and run.status == "paid"
    call_line = BudgetLine.objects.get(scope=BudgetScope.CALL, call=world.call)
    assert call_line.paid == Decimal("20000")
    assert AuditEntry.objects.filter(action="record_payment", object_id=first.pk).count() == 1
    pay_through(world, second, expenses=[expense("FA-1", amount="30000")])
    assert GrantAccount.objects.get(award=world.award).paid == Decimal("32000")


def test_the_final_instalment_is_reduced_pro_rata_and_the_grant_closes():
    world = signed_award("40000", aid_rate="70")
    first, second, final = world.instalments()
    pay_through(world, first, report="")
    pay_through(world, second, expenses=[expense("FA-1", amount="20000")])
    # 50 000 € of expenses in all: 70 % is 35 000 €, 32 000 € already paid → 3 000 €, not 8 000 €
    pay_through(world, final, expenses=[expense("FA-2", amount="30000")])
    assert final.amount == Decimal("3000.00") and final.status == "paid"
    account = GrantAccount.objects.get(award=world.award)
    assert account.paid == Decimal("35000") and account.closed_at is not None
    call_line = BudgetLine.objects.get(scope=BudgetScope.CALL, call=world.call)
    # the 5 000 € never paid go back to the envelope
    assert (call_line.committed, call_line.paid) == (Decimal("35000"), Decimal("35000"))
    world.agreement.refresh_from_db()
    assert world.agreement.status == "closed"
    world.award.application.refresh_from_db()
    assert world.award.application.status == "closed"


def test_a_negative_final_raises_a_recovery_instead_of_a_payment():
    world = signed_award("40000", aid_rate="70")
    first, second, final = world.instalments()
    pay_through(world, first, report="")
    pay_through(world, second, expenses=[expense("FA-1", amount="20000")])
    # accepted expenses 40 000 € in all → 28 000 € justified, 32 000 € paid → 4 000 € back
    services.request_instalment(
        instalment=final,
        actor=world.member,
        report="Fin",
        expenses=[expense("FA-2", amount="20000")],
    )
    services.check_request(instalment=final, actor=world.officer, decisions=accept_all(final))
    final.refresh_from_db()
    assert final.status == "cancelled"
    recovery = Recovery.objects.get(award=world.award)
    assert recovery.amount == Decimal("4000.00") and recovery.status == "raised"
    services.issue_recovery(recovery=recovery, actor=world.finance, title_reference="TR-2027-12")
    services.record_recovered(recovery=recovery, actor=world.finance)
    account = GrantAccount.objects.get(award=world.award)
    assert account.net_paid == Decimal("28000") and account.closed_at is not None
    line = BudgetLine.objects.get(scope=BudgetScope.FUNDER, call=world.call)
    assert (line.committed, line.paid) == (Decimal("28000"), Decimal("28000"))


def test_four_eyes_the_person_who_checked_cannot_authorise():
    world = signed_award()
    first = world.instalments()[0]
    services.request_instalment(instalment=first, actor=world.member)
    # a person who is both officer and finance checks, then tries to authorise
    from pepiniere.accounts.models import Role, RoleGrant

    RoleGrant.objects.create(user=world.officer, role=Role.FINANCE, funder=world.call.funder)
    services.check_request(instalment=first, actor=world.officer, decisions={})
    with pytest.raises(services.PaymentError) as refused:
        services.authorise_instalment(instalment=first, actor=world.officer)
    assert refused.value.kind == "four_eyes"
    assert "quatre yeux" in refused.value.message
    first.refresh_from_db()
    assert first.status == "checked"
    services.authorise_instalment(instalment=first, actor=world.finance)


def test_refusals_out_of_order_forbidden_and_unreasoned():
    world = signed_award()
    first, second, _final = world.instalments()
    with pytest.raises(services.PaymentError, match="dans l'ordre"):
        services.request_instalment(instalment=second, actor=world.member, report="x")
    with pytest.raises(services.PaymentError) as forbidden:
        services.request_instalment(instalment=first, actor=world.officer)
    assert forbidden.value.kind == "forbidden"
    services.request_instalment(instalment=first, actor=world.member)
    with pytest.raises(services.PaymentError) as again:
        services.request_instalment(instalment=first, actor=world.member)
    assert again.value.kind in {"state", "invalid"}
    with pytest.raises(services.PaymentError) as finance_checks:
        services.check_request(instalment=first, actor=world.finance, decisions={})
    assert finance_checks.value.kind == "forbidden"
    with pytest.raises(services.PaymentError, match="corriger"):
        services.return_request(instalment=first, actor=world.officer, reason=" ")


def test_a_refused_line_needs_a_reason_and_the_error_names_the_line():
    world = signed_award()
    first, second, _ = world.instalments()
    pay_through(world, first, report="")
    services.request_instalment(
        instalment=second, actor=world.member, report="r", expenses=[expense("A"), expense("B")]
    )
    lines = list(_request_of(second).lines.order_by("position"))
    with pytest.raises(services.PaymentError) as refused:
        services.check_request(
            instalment=second,
            actor=world.officer,
            decisions={
                lines[0].pk: services.LineDecision(accepted=True),
                lines[1].pk: services.LineDecision(accepted=False),
            },
        )
    assert set(refused.value.line_errors) == {lines[1].pk}
    second.refresh_from_db()
    assert second.status == "requested"


def test_a_returned_request_goes_back_to_planned_and_its_invoices_can_be_claimed_again():
    world = signed_award()
    first, second, _ = world.instalments()
    pay_through(world, first, report="")
    services.request_instalment(
        instalment=second, actor=world.member, report="r", expenses=[expense("FA-9")]
    )
    services.return_request(instalment=second, actor=world.officer, reason="Facture illisible")
    second.refresh_from_db()
    assert second.status == "planned"
    services.request_instalment(
        instalment=second, actor=world.member, report="r2", expenses=[expense("FA-9")]
    )


def test_an_invoice_claimed_in_another_request_is_refused():
    world = signed_award()
    first, second, final = world.instalments()
    pay_through(world, first, report="")
    pay_through(world, second, expenses=[expense("FA-1")])
    with pytest.raises(services.PaymentError, match="fa 1 figure déjà"):
        services.request_instalment(
            instalment=final, actor=world.member, report="r", expenses=[expense("fa 1")]
        )


def test_an_association_final_needs_the_financial_report():
    world = signed_award(kind=OrganisationKind.ASSOCIATION)
    first, second, final = world.instalments()
    pay_through(world, first, report="")
    pay_through(world, second, expenses=[expense("A")])
    with pytest.raises(services.PaymentError) as refused:
        services.request_instalment(
            instalment=final, actor=world.member, report="r", expenses=[expense("B")]
        )
    assert refused.value.kind == "financial_report" and "15059" in refused.value.message


def test_an_organisation_whose_bank_details_change_is_held_out_of_the_run():
    world = signed_award()
    first = world.instalments()[0]
    services.request_instalment(instalment=first, actor=world.member)
    services.check_request(instalment=first, actor=world.officer, decisions={})
    services.authorise_instalment(instalment=first, actor=world.finance)
    hold_bank_details(world)
    outcome = runs.make_payment_run(funder=world.call.funder, actor=world.finance)
    assert outcome.run is None
    assert [reason for _i, reason in outcome.held] == [
        "coordonnées bancaires en attente de validation"
    ]
    first.refresh_from_db()
    assert first.status == "authorised"
    assert runs.hold_reason(first) == "coordonnées bancaires en attente de validation"


def test_a_second_run_takes_nothing_new_and_a_second_confirmation_pays_nothing():
    world = signed_award()
    first = world.instalments()[0]
    run = pay_through(world, first, report="")
    with pytest.raises(services.PaymentError) as nothing:
        runs.create_payment_run(funder=world.call.funder, actor=world.finance)
    assert nothing.value.kind == "nothing"
    assert services.confirm_run_paid(run=run, actor=world.finance) == 0
    assert GrantAccount.objects.get(award=world.award).paid == Decimal("20000")


def test_finance_of_another_funder_cannot_touch_the_run():
    from pepiniere.accounts.models import Role
    from pepiniere.lib.testing.factories import make_funder, make_user

    world = signed_award()
    first = world.instalments()[0]
    services.request_instalment(instalment=first, actor=world.member)
    services.check_request(instalment=first, actor=world.officer, decisions={})
    services.authorise_instalment(instalment=first, actor=world.finance)
    stranger = make_user(role=Role.FINANCE, funder=make_funder("Autre financeur"))
    with pytest.raises(services.PaymentError) as refused:
        runs.create_payment_run(funder=world.call.funder, actor=stranger)
    assert refused.value.kind == "forbidden"
    run = runs.create_payment_run(funder=world.call.funder, actor=world.finance)
    with pytest.raises(services.PaymentError):
        services.confirm_run_paid(run=run, actor=stranger)


def test_confirming_line_by_line_leaves_the_run_partly_paid():
    world = signed_award()
    other = signed_award()
    for w in (world, other):
        first = w.instalments()[0]
        services.request_instalment(instalment=first, actor=w.member)
        services.check_request(instalment=first, actor=w.officer, decisions={})
        services.authorise_instalment(instalment=first, actor=w.finance)
    # both calls are of different funders in these factories: one run each
    run = runs.create_payment_run(funder=world.call.funder, actor=world.finance)
    order = run.orders.get()
    assert services.confirm_run_paid(run=run, actor=world.finance, orders=[order.pk]) == 1
    run.refresh_from_db()
    assert run.status == "paid"


def test_an_amendment_replans_what_is_not_requested_so_the_total_is_the_new_amount():
    from pepiniere.agreements.models import AgreementVersion

    world = signed_award("40000")
    first, second, final = world.instalments()
    pay_through(world, first, report="")
    version = AgreementVersion.objects.create(
        agreement=world.agreement,
        number=2,
        amount=Decimal("50000"),
        aid_rate=Decimal("70"),
        eligible_budget=Decimal("71428.57"),
        start_date=world.version.start_date,
        end_date=datetime.date(2027, 12, 31),
        created_by=world.officer,
        created_at=world.version.created_at,
        signed_at=world.version.created_at,
    )
    services.plan_instalments(version=version, actor=world.officer)
    amounts = [i.amount for i in world.instalments()]
    assert amounts == [Decimal("20000"), Decimal("18000.00"), Decimal("12000.00")]
    assert GrantAccount.objects.get(award=world.award).ceiling == Decimal("50000")


def test_termination_cancels_the_unpaid_releases_the_commitment_and_recovers_the_unjustified():
    world = signed_award("40000", aid_rate="70")
    first, second, _final = world.instalments()
    pay_through(world, first, report="")
    pay_through(world, second, expenses=[expense("FA-1", amount="10000")])
    # paid 32 000 €, justified 70 % × 10 000 € = 7 000 € → 25 000 € to recover
    recovery = services.terminate_payments(
        agreement=world.agreement, actor=world.officer, reason="Liquidation judiciaire"
    )
    assert recovery is not None and recovery.amount == Decimal("25000.00")
    assert [i.status for i in world.instalments()] == ["paid", "paid", "cancelled"]
    line = BudgetLine.objects.get(scope=BudgetScope.CALL, call=world.call)
    assert (line.committed, line.paid) == (Decimal("32000"), Decimal("32000"))
    services.write_off_recovery(recovery=recovery, actor=world.finance, reason="Insolvable")
    recovery.refresh_from_db()
    assert recovery.status == "written_off"


def test_an_ordered_instalment_cancelled_leaves_the_run_file():
    world = signed_award()
    first = world.instalments()[0]
    services.request_instalment(instalment=first, actor=world.member)
    services.check_request(instalment=first, actor=world.officer, decisions={})
    services.authorise_instalment(instalment=first, actor=world.finance)
    run = runs.create_payment_run(funder=world.call.funder, actor=world.finance)
    assert len(runs.order_lines(run)) == 1
    services.cancel_instalment(instalment=first, actor=world.officer, reason="Doublon")
    assert runs.order_lines(run) == []
    assert PaymentOrder.objects.get(run=run).status == "cancelled"
