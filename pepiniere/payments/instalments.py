"""Instalment workflows: planning at signature (and re-planning on an amendment), the request
with its statement of expenses, the officer's check, finance's authorisation (four-eyes), return
and cancellation.

Every function is atomic, checks permission, locks the award's account then the instalment
(ledger.locked_account, always in this order) and writes one audit row per change;
notifications leave on commit."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.agreements.models import Trigger
from pepiniere.audit.services import record
from pepiniere.grants.models import Award
from pepiniere.lib.money import format_eur, from_cents, to_cents
from pepiniere.lib.permissions import Verdict
from pepiniere.organisations.models import OrganisationKind
from pepiniere.payments import arithmetic, notifications, workflow
from pepiniere.payments.errors import PaymentError
from pepiniere.payments.ledger import (
    accepted_eligible,
    close_if_done,
    locked_account,
    open_recovery,
)
from pepiniere.payments.models import (
    ExpenseLine,
    FinancialReportLine,
    GrantAccount,
    Instalment,
    InstalmentStatus,
    OrderStatus,
    PaymentOrder,
    PaymentRequest,
)
from pepiniere.payments.permissions import can_authorise, can_check, can_request
from pepiniere.payments.statements import Expense, ReportLine, claim_key

S = InstalmentStatus


def _enforce(verdict: Verdict) -> None:
    if not verdict:
        raise PaymentError(verdict.reason, kind="forbidden")


def _move(instalment: Instalment, name: str) -> tuple[str, str]:
    return workflow.advance(
        workflow.INSTALMENT,
        name,
        instalment,
        refusal=_("Cette tranche est « %(s)s » : cette action n'est plus possible."),
    )


def locked_instalment(instalment: Instalment) -> Instalment:
    """The account of the award, then the instalment, under row locks (always in this order)."""
    award_id = Instalment.objects.values_list("award_id", flat=True).get(pk=instalment.pk)
    locked_account(award_id)
    return (
        Instalment.objects.select_for_update(of=("self",))
        .select_related(
            "award__application__call__funder",
            "award__application__organisation",
            "version__agreement",
        )
        .get(pk=instalment.pk)
    )


# --- planning -----------------------------------------------------------------------------


@transaction.atomic
def plan_instalments(*, version: Any, actor: Any, now: datetime.datetime | None = None) -> None:
    """agreements.hooks.version_signed provider (inside the signing transaction): version 1
    creates the award's account and its instalments from the version's schedule (percent ×
    amount, the last absorbing the rounding); a later version (an amendment) re-plans the
    instalments not yet requested so that the planned total equals the new amount."""
    now = now or timezone.now()
    award = version.agreement.award
    account = GrantAccount.objects.select_for_update().filter(award=award).first()
    if account is None:
        _plan_first(award=award, version=version, actor=actor, now=now)
    else:
        _replan(account=account, award=award, version=version, actor=actor, now=now)


def _plan_first(*, award: Award, version: Any, actor: Any, now: datetime.datetime) -> None:
    GrantAccount.objects.create(award=award, ceiling=version.amount)
    steps = sorted(version.schedule.all(), key=lambda s: s.position)
    if not steps:
        raise PaymentError(_("La convention n'a pas d'échéancier de versement."))
    amounts = arithmetic.schedule_amounts(to_cents(version.amount), [s.percent for s in steps])
    Instalment.objects.bulk_create(
        [
            Instalment(
                award=award,
                version=version,
                position=step.position,
                label=step.label or _("Tranche %(n)d") % {"n": step.position},
                percent=step.percent,
                trigger=step.trigger,
                amount=from_cents(cents),
                planned_amount=from_cents(cents),
            )
            for step, cents in zip(steps, amounts, strict=True)
        ]
    )
    record(
        actor=actor,
        obj=award,
        action="plan_instalments",
        reason=", ".join(
            f"{step.percent} % {format_eur(from_cents(c))}"
            for step, c in zip(steps, amounts, strict=True)
        ),
        at=now,
    )


def _replan(
    *, account: GrantAccount, award: Award, version: Any, actor: Any, now: datetime.datetime
) -> None:
    live = list(award.instalments.exclude(status=S.CANCELLED).order_by("position"))
    planned = [i for i in live if i.status == S.PLANNED]
    engaged = sum((i.amount for i in live if i.status != S.PLANNED), Decimal("0"))
    remaining = version.amount - engaged
    if remaining < 0:
        raise PaymentError(
            _(
                "Le nouveau montant (%(new)s) est inférieur à ce qui est déjà demandé ou versé "
                "(%(engaged)s) : l'avenant ne peut pas le réduire autant."
            )
            % {"new": format_eur(version.amount), "engaged": format_eur(engaged)}
        )
    account.ceiling = version.amount
    account.save(update_fields=["ceiling"])
    if planned:
        weights = [i.percent if i.percent > 0 else Decimal(1) for i in planned]
        amounts = arithmetic.split_by_weights(to_cents(remaining), weights)
        for instalment, cents in zip(planned, amounts, strict=True):
            instalment.amount = instalment.planned_amount = from_cents(cents)
            instalment.version = version
        Instalment.objects.bulk_update(planned, ["amount", "planned_amount", "version"])
    elif remaining > 0:
        Instalment.objects.create(
            award=award,
            version=version,
            position=max((i.position for i in live), default=0) + 1,
            label=_("Complément (avenant n° %(n)d)") % {"n": version.number - 1},
            percent=(remaining * 100 / version.amount).quantize(Decimal("0.01")),
            trigger=Trigger.FINAL_REPORT,
            amount=remaining,
            planned_amount=remaining,
        )
    record(
        actor=actor,
        obj=award,
        action="replan_instalments",
        reason=_("Avenant : %(amount)s, dont %(remaining)s restant à demander.")
        % {"amount": format_eur(version.amount), "remaining": format_eur(remaining)},
        at=now,
    )


# --- the beneficiary's request ------------------------------------------------------------


def claimed_invoices(
    organisation_id: int, *, exclude_request: int | None = None
) -> set[tuple[str, str]]:
    """(supplier, reference) of the invoices already in a request of the organisation (returned
    requests excepted: their lines are typed again in the next one)."""
    lines = ExpenseLine.objects.filter(
        request__instalment__award__application__organisation_id=organisation_id,
        request__returned_at__isnull=True,
    )
    if exclude_request is not None:
        lines = lines.exclude(request_id=exclude_request)
    return {claim_key(s, r) for s, r in lines.values_list("supplier", "invoice_reference")}


def next_requestable(award: Award) -> Instalment | None:
    """The instalment the beneficiary may request now: the first one still planned, when every
    earlier one is at least requested (a schedule is followed in order)."""
    for instalment in award.instalments.exclude(status=S.CANCELLED).order_by("position"):
        if instalment.status == S.PLANNED:
            return instalment
    return None


@transaction.atomic
def request_instalment(
    *,
    instalment: Instalment,
    actor: Any,
    report: str = "",
    report_file: Any = None,
    expenses: Sequence[Expense] = (),
    financial_report: Sequence[ReportLine] = (),
    now: datetime.datetime | None = None,
) -> PaymentRequest:
    """planned → requested, by a member of the beneficiary, with the report and the statement of
    expenses (required for a report-triggered instalment; the final one needs at least one
    expense, and an association's final one the CERFA financial report)."""
    now = now or timezone.now()
    instalment = locked_instalment(instalment)
    application = instalment.award.application
    _enforce(can_request(actor, organisation_id=application.organisation_id))
    agreement = instalment.version.agreement
    if agreement.status != "signed":
        raise PaymentError(_("La convention doit être signée par les deux parties."))
    if next_requestable(instalment.award) != instalment:
        raise PaymentError(_("Les tranches se demandent dans l'ordre de l'échéancier."))
    if instalment.needs_report and not (report.strip() or report_file):
        raise PaymentError(_("Joignez ou rédigez le rapport d'exécution."), kind="report")
    if instalment.is_final and not expenses:
        raise PaymentError(
            _("Le solde se demande avec l'état récapitulatif des dépenses réalisées."),
            kind="expenses",
        )
    association = application.organisation.kind == OrganisationKind.ASSOCIATION
    if instalment.is_final and association and not financial_report:
        raise PaymentError(
            _("Une association joint au solde le compte rendu financier (CERFA n° 15059)."),
            kind="financial_report",
        )
    claimed = claimed_invoices(application.organisation_id)
    for expense in expenses:
        if claim_key(expense.supplier, expense.invoice_reference) in claimed:
            raise PaymentError(
                _("La facture %(ref)s figure déjà dans une autre demande de versement.")
                % {"ref": expense.invoice_reference},
                kind="expenses",
            )
    before, after = _move(instalment, "request")
    instalment.save(update_fields=["status"])
    payment_request = PaymentRequest.objects.create(
        instalment=instalment,
        report=report.strip(),
        report_file=report_file or "",
        submitted_by=actor,
        submitted_at=now,
    )
    ExpenseLine.objects.bulk_create(
        [
            ExpenseLine(
                request=payment_request,
                position=n,
                category=e.category,
                supplier=e.supplier,
                invoice_reference=e.invoice_reference,
                invoice_date=e.invoice_date,
                amount_excl_vat=e.amount_excl_vat,
                amount_incl_vat=e.amount_incl_vat,
            )
            for n, e in enumerate(expenses, start=1)
        ]
    )
    FinancialReportLine.objects.bulk_create(
        [
            FinancialReportLine(
                request=payment_request,
                position=n,
                heading=line.heading,
                planned=line.planned,
                spent=line.spent,
                comment=line.comment,
            )
            for n, line in enumerate(financial_report, start=1)
        ]
    )
    total = sum((e.amount_excl_vat for e in expenses), Decimal("0"))
    record(
        actor=actor,
        obj=instalment,
        action="request_instalment",
        from_state=before,
        to_state=after,
        reason=_("%(n)d dépense(s), %(total)s HT")
        % {"n": len(expenses), "total": format_eur(total)}
        if expenses
        else "",
        at=now,
    )
    return payment_request


def current_request(instalment: Instalment) -> PaymentRequest | None:
    return instalment.requests.filter(returned_at__isnull=True).order_by("-submitted_at").first()


# --- the officer's check ------------------------------------------------------------------


@dataclass(frozen=True)
class LineDecision:
    accepted: bool
    accepted_amount: Decimal | None = None  # None: the whole amount excluding VAT
    reason: str = ""


def final_amount(award: Award, instalment: Instalment, account: GrantAccount) -> int:
    """The final instalment in cents: min(award, aid rate × accepted eligible expenses) − what is
    already paid or on its way (checked, authorised or ordered instalments)."""
    on_its_way = award.instalments.filter(status__in=[S.CHECKED, S.AUTHORISED, S.ORDERED]).exclude(
        pk=instalment.pk
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return arithmetic.final_instalment_cents(
        award_cents=to_cents(account.ceiling),
        aid_rate=instalment.version.aid_rate,
        accepted_eligible_cents=to_cents(accepted_eligible(award)),
        already_paid_cents=to_cents(account.net_paid + on_its_way),
    )


@transaction.atomic
def check_request(
    *,
    instalment: Instalment,
    actor: Any,
    decisions: dict[int, LineDecision],
    now: datetime.datetime | None = None,
) -> Instalment:
    """requested → checked, by an officer who accepts (in full or in part) or refuses each line
    of the statement with a reason. On the final instalment the amount becomes min(award, aid
    rate × accepted expenses) − already paid; when that is negative, a recovery is raised for
    the difference and the instalment is cancelled (nothing more is paid)."""
    now = now or timezone.now()
    instalment = locked_instalment(instalment)
    award = instalment.award
    _enforce(can_check(actor, award.application.call))
    payment_request = current_request(instalment)
    if payment_request is None:
        raise PaymentError(_("Aucune demande de versement en cours pour cette tranche."))
    lines = list(payment_request.lines.select_for_update())
    errors: dict[int, str] = {}
    for line in lines:
        decision = decisions.get(line.pk)
        if decision is None:
            errors[line.pk] = _("Retenez ou refusez cette ligne.")
            continue
        if decision.accepted:
            amount = (
                line.amount_excl_vat
                if decision.accepted_amount is None
                else decision.accepted_amount
            )
            if not (Decimal("0") <= amount <= line.amount_excl_vat):
                errors[line.pk] = _(
                    "Le montant retenu est compris entre 0 et le montant HT déclaré (%(m)s)."
                ) % {"m": format_eur(line.amount_excl_vat)}
                continue
            if amount < line.amount_excl_vat and not decision.reason.strip():
                errors[line.pk] = _("Dites pourquoi la dépense n'est retenue qu'en partie.")
                continue
            line.accepted, line.accepted_amount = True, amount
            line.refusal_reason = decision.reason.strip()[:300]
        else:
            if not decision.reason.strip():
                errors[line.pk] = _("Un refus est motivé : indiquez la raison.")
                continue
            line.accepted, line.accepted_amount = False, Decimal("0")
            line.refusal_reason = decision.reason.strip()[:300]
    if errors:
        raise PaymentError(
            _("Certaines lignes ne sont pas tranchées : voyez les messages sur chaque ligne."),
            kind="lines",
            line_errors=errors,
        )
    ExpenseLine.objects.bulk_update(lines, ["accepted", "accepted_amount", "refusal_reason"])
    before, after = _move(instalment, "check")
    instalment.checked_by, instalment.checked_at = actor, now
    accepted = sum((line.accepted_amount or Decimal("0") for line in lines), Decimal("0"))
    reason = _("%(n)d ligne(s) examinée(s), %(accepted)s retenus") % {
        "n": len(lines),
        "accepted": format_eur(accepted),
    }
    cents = 0  # the final instalment's balance; negative: a recovery
    if instalment.is_final:
        account = locked_account(award)
        cents = final_amount(award, instalment, account)
        reason += " — " + _("solde calculé : %(amount)s") % {
            "amount": format_eur(from_cents(cents))
        }
        if cents > 0:
            instalment.amount = from_cents(cents)
        else:
            instalment.amount = Decimal("0")
            after = instalment.status = S.CANCELLED
            instalment.cancelled_at = now
            instalment.note = _("solde nul ou négatif")
    instalment.save()
    record(
        actor=actor,
        obj=instalment,
        action="check_request",
        from_state=before,
        to_state=after,
        reason=reason,
        at=now,
    )
    if cents < 0:
        open_recovery(
            award=award,
            amount=from_cents(-cents),
            reason=_(
                "Solde négatif : les dépenses retenues (%(accepted)s) au taux de %(rate)s %% "
                "justifient moins que ce qui a été versé."
            )
            % {
                "accepted": format_eur(accepted_eligible(award)),
                "rate": instalment.version.aid_rate,
            },
            actor=actor,
            now=now,
        )
    if instalment.is_final and instalment.status == S.CANCELLED:
        close_if_done(award=award, actor=actor, now=now)
    return instalment


@transaction.atomic
def return_request(
    *, instalment: Instalment, actor: Any, reason: str, now: datetime.datetime | None = None
) -> Instalment:
    """requested/checked → planned, by an officer or finance, with the reason: the beneficiary
    corrects and requests again (the returned request stays readable)."""
    now = now or timezone.now()
    instalment = locked_instalment(instalment)
    call = instalment.award.application.call
    if not (can_check(actor, call) or can_authorise(actor, call)):
        _enforce(can_check(actor, call))
    if not reason.strip():
        raise PaymentError(_("Indiquez au bénéficiaire ce qu'il doit corriger."), kind="reason")
    before, after = _move(instalment, "return")
    PaymentRequest.objects.filter(instalment=instalment, returned_at__isnull=True).update(
        returned_at=now, return_reason=reason.strip()
    )
    instalment.amount = instalment.planned_amount
    instalment.checked_by = instalment.checked_at = None
    instalment.save()
    record(
        actor=actor,
        obj=instalment,
        action="return_request",
        from_state=before,
        to_state=after,
        reason=reason.strip(),
        at=now,
    )
    notifications.request_returned(instalment, reason.strip())
    return instalment


# --- finance ------------------------------------------------------------------------------


FOUR_EYES_MESSAGE = _(
    "Vous avez vérifié cette demande : une autre personne doit autoriser le versement "
    "(principe des quatre yeux)."
)


@transaction.atomic
def authorise_instalment(
    *, instalment: Instalment, actor: Any, now: datetime.datetime | None = None
) -> Instalment:
    """checked → authorised, by finance, never the person who checked (four-eyes)."""
    now = now or timezone.now()
    instalment = locked_instalment(instalment)
    _enforce(can_authorise(actor, instalment.award.application.call))
    if instalment.checked_by_id == actor.pk:
        raise PaymentError(str(FOUR_EYES_MESSAGE), kind="four_eyes")
    before, after = _move(instalment, "authorise")
    instalment.authorised_by, instalment.authorised_at = actor, now
    instalment.save(update_fields=["status", "authorised_by", "authorised_at"])
    record(
        actor=actor,
        obj=instalment,
        action="authorise_instalment",
        from_state=before,
        to_state=after,
        reason=format_eur(instalment.amount),
        at=now,
    )
    return instalment


@transaction.atomic
def cancel_instalment(
    *, instalment: Instalment, actor: Any, reason: str, now: datetime.datetime | None = None
) -> Instalment:
    """Any unpaid instalment → cancelled (officer or finance, reason required); an order already
    in a payment run is cancelled with it (the run's files leave it out from then on). The
    planned amount is not re-planned: the commitment is released when the grant is closed."""
    now = now or timezone.now()
    instalment = locked_instalment(instalment)
    call = instalment.award.application.call
    if not (can_check(actor, call) or can_authorise(actor, call)):
        _enforce(can_check(actor, call))
    if not reason.strip():
        raise PaymentError(_("Indiquez le motif de l'annulation."), kind="reason")
    cancel_locked(instalment, actor=actor, reason=reason.strip(), now=now)
    return instalment


def cancel_locked(
    instalment: Instalment, *, actor: Any, reason: str, now: datetime.datetime
) -> None:
    """cancel_instalment for an instalment its caller has locked and allowed (a termination
    cancels every unpaid one)."""
    before, after = _move(instalment, "cancel")
    PaymentOrder.objects.filter(instalment=instalment, status=OrderStatus.ORDERED).update(
        status=OrderStatus.CANCELLED
    )
    instalment.cancelled_at, instalment.note = now, reason[:300]
    instalment.save(update_fields=["status", "cancelled_at", "note"])
    record(
        actor=actor,
        obj=instalment,
        action="cancel_instalment",
        from_state=before,
        to_state=after,
        reason=reason,
        at=now,
    )
