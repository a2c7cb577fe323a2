"""Demo: the 2015 call's awards paid in instalments over 2015–2017 (one final payment reduced pro
rata, one grant terminated with a recovery), and what waits today: a payment request for
agent@'s check, an authorisation for finance@ (checked by agent@), an authorised batch ready
for a payment run.

Runs after the agreements demo (the agreements it signed planned the instalments through
agreements.hooks.version_signed); every step goes through the payments services, dated."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pepiniere.agreements.models import Agreement, AgreementStatus, AgreementVersion
from pepiniere.demo.identifiers import fictional_siret
from pepiniere.lib.money import CENT
from pepiniere.lib.pdf import new_pdf
from pepiniere.organisations import bank_services
from pepiniere.organisations.models import OrganisationKind
from pepiniere.organisations.selectors import payable_bank_accounts
from pepiniere.payments import runs, services
from pepiniere.payments.models import Instalment
from pepiniere.payments.statements import Expense, ReportLine
from pepiniere.programmes.models import Funder

PARIS = ZoneInfo("Europe/Paris")
# The public treasury account of the region (fictional account number, valid check digits).
REGION_IBAN = "FR7630001000000000000012349"
REGION_BIC = "BDFEFRPP"
CATEGORIES = [
    ("Prestations", "Atelier Graphique du Port"),
    ("Développement logiciel", "Code & Co SARL"),
    ("Matériel", "Bureau Vallée Mérignac"),
    ("Communication", "Imprimerie Delmas"),
    ("Frais de personnel", "Paie interne"),
]


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=PARIS)


def _rib(name: str) -> SimpleUploadedFile:
    pdf = new_pdf(title=f"RIB — {name}")
    pdf.add_page()
    pdf.multi_cell(0, 8, f"Relevé d'identité bancaire — {name}", new_x="LMARGIN", new_y="NEXT")
    return SimpleUploadedFile("rib.pdf", bytes(pdf.output()), content_type="application/pdf")


@dataclass
class Grant:
    agreement: Agreement
    version: AgreementVersion
    member: Any

    @property
    def award(self) -> Any:
        return self.agreement.award

    def instalments(self) -> list[Instalment]:
        return list(self.award.instalments.exclude(status="cancelled").order_by("position"))


def _expenses(
    grant: Grant, total: Decimal, *, half: int, n: int, tag: str, before: datetime.date
) -> list[Expense]:
    """`n` invoices adding up to `total` (excluding VAT), dated in the first or second half of
    the project period, and before `before` (the day of the request)."""
    version = grant.version
    last_day = min(version.end_date, before - datetime.timedelta(days=3))
    length = max((last_day - version.start_date).days, 2)
    first_day = version.start_date + datetime.timedelta(days=half * length // 2)
    span = max(length // 2, 1)
    parts = [(total / n).quantize(CENT) for _ in range(n - 1)]
    parts.append(total - sum(parts, Decimal("0")))
    out = []
    for i, amount in enumerate(parts):
        category, supplier = CATEGORIES[(grant.award.pk + i) % len(CATEGORIES)]
        out.append(
            Expense(
                category=category,
                supplier=supplier,
                invoice_reference=f"FA-{tag}-{grant.award.pk:03d}-{i + 1:02d}",
                invoice_date=first_day + datetime.timedelta(days=(i + 1) * span // (n + 1)),
                amount_excl_vat=amount,
                amount_incl_vat=(amount * Decimal("1.2")).quantize(CENT),
            )
        )
    return out


def _cerfa(grant: Grant) -> list[ReportLine]:
    """An association's financial report (CERFA n° 15059): the action's budget planned and
    spent by heading, the gaps explained."""
    budget = grant.version.eligible_budget
    shares = [
        ("Achats et prestations", Decimal("0.4"), Decimal("0.38"), ""),
        (
            "Frais de personnel",
            Decimal("0.45"),
            Decimal("0.52"),
            "Un poste d'animateur à temps plein au lieu d'un mi-temps.",
        ),
        (
            "Communication",
            Decimal("0.15"),
            Decimal("0.10"),
            "Supports imprimés remplacés par le site web.",
        ),
    ]
    return [
        ReportLine(
            heading=heading,
            planned=(budget * planned).quantize(CENT),
            spent=(budget * spent).quantize(CENT),
            comment=comment,
        )
        for heading, planned, spent, comment in shares
    ]


def _request(
    grant: Grant,
    instalment: Instalment,
    at: datetime.datetime,
    expenses: list[Expense],
    report: str,
) -> None:
    association = grant.award.application.organisation.kind == OrganisationKind.ASSOCIATION
    services.request_instalment(
        instalment=instalment,
        actor=grant.member,
        report=report,
        expenses=expenses,
        financial_report=_cerfa(grant) if instalment.is_final and association else [],
        now=at,
    )


def _check(
    grant: Grant,
    instalment: Instalment,
    officer: Any,
    at: datetime.datetime,
    *,
    keep: Decimal | None = None,
) -> None:
    """The officer accepts every line (a share `keep` of each when given, with the reason)."""
    request = services.current_request(instalment)
    assert request is not None
    decisions = {}
    for line in request.lines.all():
        if keep is None:
            decisions[line.pk] = services.LineDecision(accepted=True)
        else:
            decisions[line.pk] = services.LineDecision(
                accepted=True,
                accepted_amount=(line.amount_excl_vat * keep).quantize(CENT),
                reason="Dépense en partie hors de l'objet de la convention",
            )
    services.check_request(instalment=instalment, actor=officer, decisions=decisions, now=at)


def _step(
    grants: list[Grant],
    position: int,
    *,
    officer: Any,
    finance: Any,
    funder: Funder,
    day: datetime.date,
    share_of_budget: Decimal,
    keep: dict[int, Decimal] | None = None,
) -> None:
    """Every grant requests its `position`-th instalment on `day`; checked a week later,
    authorised two days after, paid in one run a fortnight later."""
    keep = keep or {}
    chosen = []
    for grant in grants:
        instalment = grant.instalments()[position]
        chosen.append(instalment)
        expenses = []
        if instalment.needs_report:
            budget = grant.version.eligible_budget * share_of_budget
            expenses = _expenses(
                grant,
                budget.quantize(CENT),
                half=0 if position == 1 else 1,
                n=3,
                tag=f"{day.year}{position}",
                before=day,
            )
        _request(
            grant,
            instalment,
            _at(day),
            expenses,
            "Rapport d'avancement du projet." if expenses else "",
        )
        _check(
            grant,
            instalment,
            officer,
            _at(day + datetime.timedelta(days=7)),
            keep=keep.get(grant.award.pk),
        )
    for instalment in chosen:
        instalment.refresh_from_db()
        if instalment.status == "checked":
            services.authorise_instalment(
                instalment=instalment, actor=finance, now=_at(day + datetime.timedelta(days=9))
            )
    run_day = day + datetime.timedelta(days=14)
    outcome = runs.make_payment_run(
        funder=funder,
        actor=finance,
        now=_at(run_day),
        execution_date=run_day + datetime.timedelta(days=3),
    )
    if outcome.run is not None:
        services.confirm_run_paid(
            run=outcome.run, actor=finance, now=_at(run_day + datetime.timedelta(days=10))
        )


def _bank_accounts(grants: list[Grant], officer: Any, at: datetime.datetime) -> None:
    known = payable_bank_accounts([g.award.application.organisation_id for g in grants])
    for n, grant in enumerate(grants):
        organisation = grant.award.application.organisation
        if organisation.pk in known:
            continue
        from schwifty import IBAN

        iban = str(IBAN.generate("FR", bank_code="30006", account_code=f"{organisation.pk:011d}"))
        account = bank_services.submit_bank_details(
            organisation=organisation,
            actor=grant.member,
            holder=organisation.name,
            iban=iban,
            rib=_rib(organisation.name),
            now=at + datetime.timedelta(minutes=n),
        )
        bank_services.validate_bank_details(
            account=account, actor=officer, now=at + datetime.timedelta(hours=2, minutes=n)
        )


def build_payments(
    *, eco: Any, officer: Any, finance: Any, today: datetime.date, rng: random.Random
) -> dict[str, Any]:
    funder = eco.funder
    # The bank demo gives the region its SIRET and Treasury account; set here when it did not.
    if not (funder.siret and funder.iban):
        funder.siret = funder.siret or fictional_siret(random.Random(33))
        funder.iban, funder.bic = funder.iban or REGION_IBAN, funder.bic or REGION_BIC
        funder.save(update_fields=["siret", "iban", "bic"])
    history: list[Grant] = []
    current: list[Grant] = []
    for agreement in (
        Agreement.objects.filter(
            award__application__call__funder=funder, status=AgreementStatus.SIGNED
        )
        .select_related("award__application__organisation")
        .order_by("award__pk")
    ):
        version = agreement.current_version
        if version is None or not agreement.award.instalments.exists():
            continue
        member = agreement.award.application.organisation.members.order_by("pk").first()
        grant = Grant(agreement=agreement, version=version, member=member)
        (history if agreement.award.application.call_id == eco.pk else current).append(grant)
    grants = history + current
    if len(history) < 3:
        return {"payments_grants": len(grants)}
    # The initial versions' signatures (an amendment is signed later).
    signed = [
        v.signed_at
        for g in history
        for v in g.agreement.versions.all()[:1]
        if v.signed_at is not None
    ]
    first_signed, last_signed = min(signed), max(signed)
    _bank_accounts(grants, officer, first_signed + datetime.timedelta(days=1))
    terminated, reduced = history[0], history[1]
    schedule_length = len(terminated.instalments())
    # Instalment 1 (at signature), a fortnight after the last signature.
    signature_day = (last_signed + datetime.timedelta(days=14)).astimezone(PARIS).date()
    _step(
        history,
        0,
        officer=officer,
        finance=finance,
        funder=funder,
        day=signature_day,
        share_of_budget=Decimal("0"),
    )
    # Interim reports in June 2016 (half of the eligible budget spent), paid in July.
    if schedule_length > 2:
        _step(
            history,
            1,
            officer=officer,
            finance=finance,
            funder=funder,
            day=datetime.date(2016, 6, 15),
            share_of_budget=Decimal("0.5"),
            keep={terminated.award.pk: Decimal("0.6")},
        )
    # The grant terminated in November 2016: 30 % of its budget justified, the rest recovered.
    from pepiniere.agreements import services as agreement_services

    agreement_services.terminate_agreement(
        agreement=terminated.agreement,
        actor=officer,
        reason="Cessation d'activité de la structure (liquidation amiable)",
        now=_at(datetime.date(2016, 11, 15)),
    )
    recovery = terminated.award.recoveries.first()
    if recovery is not None:
        services.issue_recovery(
            recovery=recovery,
            actor=finance,
            title_reference="TR-2016-0412",
            now=_at(datetime.date(2016, 12, 2)),
        )
        services.record_recovered(
            recovery=recovery, actor=finance, now=_at(datetime.date(2017, 2, 20))
        )
    # Final reports in October 2017: every grant spent its budget but one, which spent 85 % of
    # it (its final instalment is reduced pro rata); paid in November, the grants closed.
    finishing = [g for g in history[1:]]
    last = len(reduced.instalments()) - 1
    _step(
        finishing,
        last,
        officer=officer,
        finance=finance,
        funder=funder,
        day=datetime.date(2017, 10, 16),
        share_of_budget=Decimal("0.5"),
        keep={reduced.award.pk: Decimal("0.7")},
    )
    # Today, on the current call's signed agreements: the first instalment of each requested a
    # fortnight ago and authorised (the first one paid last week, the two others the batch ready
    # for the next payment run); an interim request waiting for agent@'s check, another checked
    # by agent@ waiting for finance@.
    ready: list[Grant] = []
    waiting = checked = None
    if current:
        now = timezone.now()
        for n, grant in enumerate(current):
            first = grant.instalments()[0]
            _request(grant, first, now - datetime.timedelta(days=16, hours=n), [], "")
            _check(grant, first, officer, now - datetime.timedelta(days=14, hours=n))
            services.authorise_instalment(
                instalment=first, actor=finance, now=now - datetime.timedelta(days=13, hours=n)
            )
            if n == 0:
                run = runs.create_payment_run(
                    funder=funder, actor=finance, now=now - datetime.timedelta(days=12)
                )
                services.confirm_run_paid(
                    run=run, actor=finance, now=now - datetime.timedelta(days=6)
                )
            else:
                ready.append(grant)
        for n, grant in enumerate(current[:2]):
            interim = grant.instalments()[1]
            if not interim.needs_report or interim.is_final:
                continue
            expenses = _expenses(
                grant,
                (grant.version.eligible_budget * Decimal("0.3")).quantize(CENT),
                half=0,
                n=3,
                tag=f"N{n}",
                before=timezone.localdate(now),
            )
            _request(
                grant,
                interim,
                now - datetime.timedelta(days=5 - 3 * n),
                expenses,
                "Rapport intermédiaire : premières réalisations et dépenses engagées.",
            )
            if n == 1:
                _check(grant, interim, officer, now - datetime.timedelta(days=1))
                checked = grant
            else:
                waiting = grant
    return {
        "payments_grants": len(grants),
        "payments_terminated": terminated.agreement.reference,
        "payments_reduced": reduced.agreement.reference,
        "payments_waiting_check": waiting.agreement.reference if waiting else "",
        "payments_waiting_authorisation": checked.agreement.reference if checked else "",
        "payments_ready": [g.agreement.reference for g in ready],
    }
