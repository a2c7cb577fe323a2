"""The roadmap's grants of 2015–2017, run to their end: signed on paper, paid, closed.

Those calls ran before the region signed its agreements in the platform: each award has its
agreement as the archive holds it (one version signed on paper by both parties, without a PDF in
the platform), two instalments paid by the public accountant (60 % at signature, the balance on the
final report two years later) grouped in one payment run per month, and the grant closed. The
ledger's « versé » of those calls therefore equals what they committed, the finance home's
multi-year view shows their payments over 2015–2020, and no officer is asked to prepare an
agreement for a grant closed years ago. Written with bulk inserts: hundreds of grants in a few
queries, as `roadmap_scenario` does.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType

from pepiniere.agreements.models import (
    Agreement,
    AgreementStatus,
    AgreementVersion,
    ScheduleStep,
    Signature,
    SignatureSide,
    Trigger,
)
from pepiniere.agreements.services import reference_for
from pepiniere.applications.models import Application, Status
from pepiniere.audit.models import AuditEntry
from pepiniere.audit.services import record_many
from pepiniere.calls.models import Call
from pepiniere.demo.agreements_scenario import FIRST_NAMES, LAST_NAMES
from pepiniere.grants import budget
from pepiniere.grants.models import Award
from pepiniere.lib.bulk import insert_rows
from pepiniere.lib.money import format_eur
from pepiniere.organisations.models import BankAccount, BankAccountStatus, Membership
from pepiniere.payments.models import (
    GrantAccount,
    Instalment,
    InstalmentStatus,
    OrderStatus,
    PaymentOrder,
    PaymentRun,
    RunStatus,
)
from pepiniere.programmes.models import Funder

PARIS = ZoneInfo("Europe/Paris")
SCHEDULE = ((Decimal("60.00"), Trigger.SIGNATURE), (Decimal("40.00"), Trigger.FINAL_REPORT))
FIRST_SHARE = Decimal("0.60")
PAPER = "paper"
FUNDER_TITLE = "Responsable du service financier, par délégation du Président"
CONSENT = "Convention signée sur papier ; original archivé par le service instructeur."


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)


def _first_working_day(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def build_roadmap_history(
    *, calls: list[Call], funder: Funder, officer: Any, finance: Any
) -> dict[str, Any]:
    awards = list(
        Award.objects.filter(application__call__in=calls, application__status=Status.AWARDED)
        .select_related("application__call", "application__organisation")
        .order_by("decision_date", "pk")
    )
    if not awards:
        return {"roadmap_closed": 0}
    org_ids = {a.application.organisation_id for a in awards}
    members = dict(
        Membership.objects.filter(organisation_id__in=org_ids)
        .order_by("organisation_id", "pk")
        .values_list("organisation_id", "user_id")
    )
    banks = {
        b.organisation_id: b
        for b in BankAccount.objects.filter(
            organisation_id__in=org_ids, status=BankAccountStatus.VALIDATED
        )
    }

    agreements = Agreement.objects.bulk_create(
        [
            Agreement(
                award=a,
                reference=reference_for(a),
                status=AgreementStatus.CLOSED,
                created_by=officer,
                created_at=_at(a.decision_date + datetime.timedelta(days=20)),
                closed_at=_at(_end(a) + datetime.timedelta(days=100)),
            )
            for a in awards
        ]
    )
    versions = AgreementVersion.objects.bulk_create(
        [
            AgreementVersion(
                agreement=agreement,
                number=1,
                amount=a.amount,
                aid_rate=Decimal("50.00"),
                eligible_budget=a.amount * 2,
                start_date=_start(a),
                end_date=_end(a),
                created_by=officer,
                created_at=agreement.created_at,
                # Never sent through the platform (sent_at is its own sending, with the PDF's
                # SHA-256): the parties signed the paper copy.
                signed_at=_signed(a),
            )
            for a, agreement in zip(awards, agreements, strict=True)
        ]
    )
    signatures = []
    for a, version in zip(awards, versions, strict=True):
        organisation = a.application.organisation
        for side, signer, name, title, days in (
            (SignatureSide.BENEFICIARY, members[organisation.pk], _person(a), "", 10),
            (SignatureSide.FUNDER, finance.pk, finance.full_name, FUNDER_TITLE, 0),
        ):
            signatures.append(
                Signature(
                    version=version,
                    side=side,
                    signer_id=signer,
                    signer_name=name,
                    signer_title=title or _title(organisation.kind),
                    signed_at=_at(_signed(a).date() - datetime.timedelta(days=days)),
                    sha256="",
                    consent=CONSENT,
                    method=PAPER,
                )
            )
    Signature.objects.bulk_create(signatures)
    ScheduleStep.objects.bulk_create(
        [
            ScheduleStep(version=version, position=position, percent=percent, trigger=trigger)
            for version in versions
            for position, (percent, trigger) in enumerate(SCHEDULE, start=1)
        ]
    )

    instalments = []
    for a, version in zip(awards, versions, strict=True):
        first = (a.amount * FIRST_SHARE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for position, (label, trigger, percent, amount, paid_on) in enumerate(
            (
                (
                    "Avance à la signature",
                    Trigger.SIGNATURE,
                    Decimal("60.00"),
                    first,
                    _signed(a).date() + datetime.timedelta(days=30),
                ),
                (
                    "Solde sur rapport final",
                    Trigger.FINAL_REPORT,
                    Decimal("40.00"),
                    a.amount - first,
                    _end(a) + datetime.timedelta(days=90),
                ),
            ),  # fmt: skip
            start=1,
        ):
            instalments.append(
                Instalment(
                    award=a,
                    version=version,
                    position=position,
                    label=label,
                    percent=percent,
                    trigger=trigger,
                    planned_amount=amount,
                    amount=amount,
                    status=InstalmentStatus.PAID,
                    checked_by=officer,
                    checked_at=_at(paid_on - datetime.timedelta(days=20)),
                    authorised_by=finance,
                    authorised_at=_at(paid_on - datetime.timedelta(days=12)),
                    paid_at=_at(_first_working_day(paid_on), 15),
                )
            )
    Instalment.objects.bulk_create(instalments)

    # One payment run a month, as the region's finance department batches its mandates.
    by_month: dict[tuple[int, int], list[Instalment]] = defaultdict(list)
    for instalment in instalments:
        assert instalment.paid_at is not None
        by_month[(instalment.paid_at.year, instalment.paid_at.month)].append(instalment)
    runs = PaymentRun.objects.bulk_create(
        [
            PaymentRun(
                funder=funder,
                reference=f"tmp-history-{year}-{month:02d}",
                created_by=finance,
                created_at=_at(datetime.date(year, month, 1), 9),
                execution_date=_first_working_day(datetime.date(year, month, 1)),
                status=RunStatus.PAID,
                confirmed_by=finance,
                confirmed_at=max(i.paid_at for i in batch if i.paid_at is not None),
                exported_at=_at(datetime.date(year, month, 1), 9),
            )
            for (year, month), batch in sorted(by_month.items())
        ]
    )
    for run in runs:  # named as `payments.runs` names its runs once they have a number
        run.reference = f"LOT-{run.created_at.year}-{run.pk:06d}"
    PaymentRun.objects.bulk_update(runs, ["reference"])
    orders = []
    for run, (_month, batch) in zip(runs, sorted(by_month.items()), strict=True):
        for instalment in batch:
            organisation = instalment.award.application.organisation
            bank = banks.get(organisation.pk)
            orders.append(
                PaymentOrder(
                    run=run,
                    instalment=instalment,
                    amount=instalment.amount,
                    beneficiary_name=organisation.name,
                    beneficiary_siret=organisation.siret,
                    iban=bank.iban if bank else "",
                    bic=bank.bic if bank else "",
                    status=OrderStatus.PAID,
                    paid_at=instalment.paid_at,
                    confirmed_by=finance,
                )
            )
    PaymentOrder.objects.bulk_create(orders)
    GrantAccount.objects.bulk_create(
        [
            GrantAccount(award=a, ceiling=a.amount, paid=a.amount, closed_at=agreement.closed_at)
            for a, agreement in zip(awards, agreements, strict=True)
        ]
    )
    for run, (_month, batch) in zip(runs, sorted(by_month.items()), strict=True):
        record_many(
            actor=finance,
            objs=list(batch),
            action="record_payment",
            from_state=InstalmentStatus.ORDERED,
            to_state=InstalmentStatus.PAID,
            reasons=[f"{run.reference} — {format_eur(i.amount)}" for i in batch],
            at=run.confirmed_at,
        )
    Application.objects.filter(pk__in=[a.application_id for a in awards]).update(
        status=Status.CLOSED
    )
    _agreement_journal(agreements, versions, officer=officer, finance=finance)
    paid: dict[int, Decimal] = defaultdict(Decimal)
    for a in awards:
        paid[a.application.call_id] += a.amount
    for call in calls:
        if paid.get(call.pk):
            budget.record_payment(
                call=call, amount=paid[call.pk], shares={funder.pk: paid[call.pk]}
            )
    return {"roadmap_closed": len(awards), "roadmap_runs": len(runs)}


def _start(award: Award) -> datetime.date:
    return award.decision_date + datetime.timedelta(days=30)


def _end(award: Award) -> datetime.date:
    start = _start(award)
    return datetime.date(start.year + 2, start.month, min(start.day, 28))


def _signed(award: Award) -> datetime.datetime:
    return _at(award.decision_date + datetime.timedelta(days=45), 16)


def _person(award: Award) -> str:
    """A fictional legal representative, the same at every build."""
    n = award.application_id
    return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[(n // 7) % len(LAST_NAMES)]}"


def _title(kind: str) -> str:
    return "Président·e" if kind == "association" else "Gérant·e"


def _agreement_journal(
    agreements: list[Agreement], versions: list[AgreementVersion], *, officer: Any, finance: Any
) -> None:
    """Each agreement's journal as the platform writes it: recorded (from the archive), signed
    by both parties, closed; dated when it happened (one INSERT for all)."""
    kind = ContentType.objects.get_for_model(Agreement)
    rows = []
    for agreement, version in zip(agreements, versions, strict=True):
        assert version.signed_at is not None and agreement.closed_at is not None
        for actor, at, action, before, after, reason in (
            (officer, agreement.created_at, "prepare_agreement", "", "draft",
             "Convention papier reprise de l'archive du service instructeur."),
            (finance, version.signed_at, "sign_agreement_funder", "signed_beneficiary", "signed",
             "Signée sur papier par les deux parties."),
            (finance, agreement.closed_at, "close_agreement", "signed", "closed",
             "Solde versé sur rapport final."),
        ):  # fmt: skip
            rows.append(
                (kind.pk, agreement.pk, str(agreement), reason, actor.pk, at, action, before, after)
            )
    insert_rows(
        AuditEntry,
        [
            "content_type",
            "object_id",
            "object_repr",
            "reason",
            "actor",
            "at",
            "action",
            "from_state",
            "to_state",
        ],  # fmt: skip
        rows,
        same={"public": True},
    )
