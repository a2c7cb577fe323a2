"""Recoveries (ordre de reversement, titre de recette): raised → issued → recovered | written off,
and the termination of an agreement that raises one.

Raised by the final instalment's check (a negative balance, instalments.py) or by a termination
(`terminate_payments`, below), or by hand by finance; issued by finance with the reference of the titre de recette; recorded as
received (the ledger's paid and committed go down by the amount) or written off (admis en
non-valeur: the money is lost, the ledger keeps it paid)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.audit.services import record
from pepiniere.grants import budget
from pepiniere.grants.models import Award
from pepiniere.lib.money import CENT, format_eur, from_cents, to_cents
from pepiniere.payments import arithmetic, workflow
from pepiniere.payments.errors import PaymentError
from pepiniere.payments.instalments import cancel_locked
from pepiniere.payments.ledger import (
    accepted_eligible,
    close_if_done,
    open_recovery,
    parts_of,
    release_unpaid,
)
from pepiniere.payments.models import GrantAccount, Recovery
from pepiniere.payments.permissions import can_manage_recoveries


def _locked(recovery: Recovery, actor: Any) -> Recovery:
    award_id = Recovery.objects.values_list("award_id", flat=True).get(pk=recovery.pk)
    GrantAccount.objects.select_for_update().filter(award_id=award_id).first()
    recovery = (
        Recovery.objects.select_for_update(of=("self",))
        .select_related("award__application__call")
        .get(pk=recovery.pk)
    )
    verdict = can_manage_recoveries(actor, recovery.award.application.call)
    if not verdict:
        raise PaymentError(verdict.reason, kind="forbidden")
    return recovery


def _move(recovery: Recovery, name: str) -> tuple[str, str]:
    return workflow.advance(
        workflow.RECOVERY,
        name,
        recovery,
        refusal=_("Ce reversement est « %(s)s » : cette action n'est plus possible."),
    )


@transaction.atomic
def raise_recovery(
    *,
    award: Award,
    actor: Any,
    amount: Decimal,
    reason: str,
    now: datetime.datetime | None = None,
) -> Recovery:
    """Finance raises a recovery by hand (an irregularity found at a control, for example)."""
    now = now or timezone.now()
    account = GrantAccount.objects.select_for_update().filter(award=award).first()
    verdict = can_manage_recoveries(actor, award.application.call)
    if not verdict:
        raise PaymentError(verdict.reason, kind="forbidden")
    if amount <= 0 or amount != amount.quantize(CENT):
        raise PaymentError(_("Le montant est positif, au centime près."))
    net_paid = account.net_paid if account else Decimal("0")
    if amount > net_paid:
        raise PaymentError(
            _("On ne reverse pas plus que ce qui a été versé (%(paid)s).")
            % {"paid": format_eur(net_paid)}
        )
    if not reason.strip():
        raise PaymentError(_("Indiquez le motif du reversement."), kind="reason")
    return open_recovery(award=award, amount=amount, reason=reason.strip(), actor=actor, now=now)


@transaction.atomic
def issue_recovery(
    *, recovery: Recovery, actor: Any, title_reference: str, now: datetime.datetime | None = None
) -> Recovery:
    """raised → issued: the titre de recette is sent to the public accountant."""
    now = now or timezone.now()
    recovery = _locked(recovery, actor)
    if not title_reference.strip():
        raise PaymentError(_("Indiquez la référence du titre de recette."), kind="reason")
    before, after = _move(recovery, "issue")
    recovery.title_reference, recovery.issued_at = title_reference.strip()[:50], now
    recovery.save(update_fields=["status", "title_reference", "issued_at"])
    record(
        actor=actor,
        obj=recovery,
        action="issue_recovery",
        from_state=before,
        to_state=after,
        reason=recovery.title_reference,
        at=now,
    )
    return recovery


@transaction.atomic
def record_recovered(
    *, recovery: Recovery, actor: Any, now: datetime.datetime | None = None
) -> Recovery:
    """issued → recovered: the money came back; the award's recovered total and the ledger move."""
    now = now or timezone.now()
    recovery = _locked(recovery, actor)
    before, after = _move(recovery, "record_recovered")
    award = recovery.award
    account = GrantAccount.objects.get(award=award)
    # Before closure the commitment is released at closure (ceiling − net paid); after it
    # (a termination), committed was brought down to what was paid and goes down with it.
    parts = parts_of(award, net_paid_before=account.net_paid, amount=-recovery.amount)
    budget.record_refund(
        call=award.application.call,
        amount=recovery.amount,
        shares={f: -part for f, part in parts.items()},
        commitment_too=bool(account.released),
    )
    GrantAccount.objects.filter(pk=account.pk).update(recovered=F("recovered") + recovery.amount)
    recovery.settled_at, recovery.settled_by = now, actor
    recovery.save(update_fields=["status", "settled_at", "settled_by"])
    record(
        actor=actor,
        obj=recovery,
        action="record_recovered",
        from_state=before,
        to_state=after,
        reason=format_eur(recovery.amount),
        at=now,
    )
    close_if_done(award=award, actor=actor, now=now)
    return recovery


@transaction.atomic
def write_off_recovery(
    *, recovery: Recovery, actor: Any, reason: str, now: datetime.datetime | None = None
) -> Recovery:
    """raised/issued → written off (admis en non-valeur), with the reason."""
    now = now or timezone.now()
    recovery = _locked(recovery, actor)
    if not reason.strip():
        raise PaymentError(_("Indiquez pourquoi le reversement est abandonné."), kind="reason")
    before, after = _move(recovery, "write_off")
    recovery.settled_at, recovery.settled_by = now, actor
    recovery.settlement_note = reason.strip()
    recovery.save(update_fields=["status", "settled_at", "settled_by", "settlement_note"])
    record(
        actor=actor,
        obj=recovery,
        action="write_off_recovery",
        from_state=before,
        to_state=after,
        reason=reason.strip(),
        at=now,
    )
    close_if_done(award=recovery.award, actor=actor, now=now)
    return recovery


# --- termination --------------------------------------------------------------------------


def on_agreement_terminated(**kwargs: Any) -> None:
    """The agreements.hooks.agreement_terminated provider (see terminate_payments)."""
    terminate_payments(**kwargs)


@transaction.atomic
def terminate_payments(
    *, agreement: Any, actor: Any, now: datetime.datetime | None = None, reason: str = ""
) -> Recovery | None:
    """agreements.hooks.agreement_terminated provider (inside the termination transaction):
    cancel every unpaid instalment, release the unpaid commitment, and raise the recovery of
    what was paid beyond what the accepted expenses justify."""
    now = now or timezone.now()
    award = agreement.award
    account = GrantAccount.objects.select_for_update().filter(award=award).first()
    if account is None:
        return None  # terminated before signature: nothing was planned nor paid
    for instalment in award.instalments.select_for_update().filter(status__in=workflow.UNPAID):
        cancel_locked(
            instalment,
            actor=actor,
            reason=_("Convention résiliée : %(r)s") % {"r": reason},
            now=now,
        )
    version = agreement.current_version or agreement.versions.order_by("-number").first()
    recovery_cents = arithmetic.termination_recovery_cents(
        award_cents=to_cents(account.ceiling),
        aid_rate=version.aid_rate,
        accepted_eligible_cents=to_cents(accepted_eligible(award)),
        paid_cents=to_cents(account.net_paid),
    )
    release_unpaid(account=account, award=award, actor=actor, now=now)
    account.closed_at = now
    account.save(update_fields=["closed_at"])
    if not recovery_cents:
        return None
    return open_recovery(
        award=award,
        amount=from_cents(recovery_cents),
        reason=_(
            "Résiliation (%(reason)s) : %(paid)s versés, %(justified)s justifiés par les dépenses "
            "retenues."
        )
        % {
            "reason": reason,
            "paid": format_eur(account.net_paid),
            "justified": format_eur(account.net_paid - from_cents(recovery_cents)),
        },
        actor=actor,
        now=now,
    )
