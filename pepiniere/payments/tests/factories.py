"""An award with a signed agreement and its instalments, and the people around it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from pepiniere.accounts.models import Role
from pepiniere.agreements.models import Agreement, AgreementVersion, ScheduleStep
from pepiniere.applications import services as application_services
from pepiniere.grants import services as grant_services
from pepiniere.grants.tests.factories import award_kwargs, selected_call
from pepiniere.lib.testing.factories import PDF_BYTES, make_user
from pepiniere.organisations import bank_services
from pepiniere.payments import services
from pepiniere.payments.models import Instalment
from pepiniere.payments.statements import Expense

CREDIT_AGRICOLE = "FR76 3000 6000 0112 3456 7890 189"
BANQUE_POSTALE = "FR14 2004 1010 0505 0001 3M02 606"
USUAL = ((Decimal(50), "signature"), (Decimal(30), "interim_report"), (Decimal(20), "final_report"))
LABELS = {
    "signature": "Avance à la signature",
    "interim_report": "Acompte",
    "final_report": "Solde",
}


@dataclass
class World:
    call: Any
    officer: Any
    other_officer: Any
    finance: Any
    member: Any
    award: Any
    agreement: Any
    version: Any

    def instalments(self) -> list[Instalment]:
        return list(self.award.instalments.order_by("position"))


def make_agreement(award, *, amount, aid_rate, start, end, schedule, status="signed"):
    from django.utils import timezone

    actor = award.awarded_by
    now = timezone.now()
    agreement = Agreement.objects.create(
        award=award,
        reference=f"CONV-TEST-{award.pk:03d}",
        status=status,
        created_by=actor,
        created_at=now,
    )
    version = AgreementVersion.objects.create(
        agreement=agreement,
        number=1,
        amount=amount,
        aid_rate=Decimal(aid_rate),
        eligible_budget=(amount * 100 / Decimal(aid_rate)).quantize(Decimal("0.01")),
        start_date=start,
        end_date=end,
        created_by=actor,
        created_at=now,
        signed_at=now,
    )
    for position, (percent, trigger) in enumerate(schedule, start=1):
        ScheduleStep.objects.create(
            version=version,
            position=position,
            percent=percent,
            trigger=trigger,
            label=LABELS[trigger],
        )
    return agreement, version


def signed_award(
    amount: str = "40000",
    *,
    aid_rate: str = "70",
    schedule=USUAL,
    start=datetime.date(2026, 1, 1),
    end=datetime.date(2027, 6, 30),
    kind: str | None = None,
    funder=None,
) -> World:
    extra = {"funder": funder} if funder is not None else {}
    call, officer, finance, (application,) = selected_call(1, envelope="200000", **extra)
    if kind is not None:
        application.organisation.kind = kind
        application.organisation.save(update_fields=["kind"])
    award = grant_services.award_grant(
        application=application, actor=officer, **award_kwargs(amount)
    )
    agreement, version = make_agreement(
        award, amount=Decimal(amount), aid_rate=aid_rate, start=start, end=end, schedule=schedule
    )
    services.plan_instalments(version=version, actor=officer)
    application_services.contract_application(application=application, actor=officer)
    account = bank_services.submit_bank_details(
        organisation=application.organisation,
        actor=application.created_by,
        holder=application.organisation.name,
        iban=CREDIT_AGRICOLE,
        rib=SimpleUploadedFile("rib.pdf", PDF_BYTES, "application/pdf"),
    )
    bank_services.validate_bank_details(account=account, actor=officer)
    return World(
        call=call,
        officer=officer,
        other_officer=make_user(role=Role.OFFICER, funder=call.funder),
        finance=finance,
        member=application.created_by,
        award=award,
        agreement=agreement,
        version=version,
    )


def hold_bank_details(world: World) -> None:
    """The beneficiary submits new bank details: payments wait for an officer's validation."""
    bank_services.submit_bank_details(
        organisation=world.award.application.organisation,
        actor=world.member,
        holder=world.award.application.organisation.name,
        iban=BANQUE_POSTALE,
        rib=SimpleUploadedFile("rib.pdf", PDF_BYTES, "application/pdf"),
    )


def expense(
    ref="FA-001", *, supplier="Imprimerie Dupont", amount="1000", date=None, category="Prestations"
):
    value = Decimal(amount)
    return Expense(
        category=category,
        supplier=supplier,
        invoice_reference=ref,
        invoice_date=date or datetime.date(2026, 3, 1),
        amount_excl_vat=value,
        amount_incl_vat=value * Decimal("1.2"),
    )


def accept_all(instalment):
    request = services.current_request(instalment)
    assert request is not None
    return {line.pk: services.LineDecision(accepted=True) for line in request.lines.all()}


def pay_through(world: World, instalment, *, expenses=(), report="Rapport"):
    """Request, check, authorise, put in a run and confirm one instalment."""
    from pepiniere.payments import runs

    services.request_instalment(
        instalment=instalment, actor=world.member, report=report, expenses=list(expenses)
    )
    instalment.refresh_from_db()
    services.check_request(
        instalment=instalment, actor=world.officer, decisions=accept_all(instalment)
    )
    instalment.refresh_from_db()
    if instalment.status != "checked":
        return None
    services.authorise_instalment(instalment=instalment, actor=world.finance)
    run = runs.create_payment_run(funder=world.call.funder, actor=world.finance)
    services.confirm_run_paid(run=run, actor=world.finance)
    instalment.refresh_from_db()
    run.refresh_from_db()
    return run
