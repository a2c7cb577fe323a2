"""The award's payment account (GrantAccount) and the money it holds: the row lock every money
operation takes first, how a movement splits between co-funders' budget lines, the expenses that
justify what is paid, and the closure that gives back the commitment that will never be paid.

Every money operation on an award first locks its GrantAccount row (`locked_account`):
operations on one award queue behind each other."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from pepiniere.agreements.models import Trigger
from pepiniere.audit.services import record
from pepiniere.grants import budget
from pepiniere.grants.models import Award
from pepiniere.lib.money import format_eur, from_cents, to_cents
from pepiniere.payments import arithmetic
from pepiniere.payments.models import (
    ExpenseLine,
    GrantAccount,
    InstalmentStatus,
    Recovery,
    RecoveryStatus,
)

S = InstalmentStatus


def locked_account(award: Award | int) -> GrantAccount:
    """The award's payment account under a row lock held until COMMIT."""
    award_id = award if isinstance(award, int) else award.pk
    return GrantAccount.objects.select_for_update().get(award_id=award_id)


def funder_shares(award: Award) -> dict[int, int]:
    """The award's co-funding shares in cents (the lead funder alone when none is recorded)."""
    shares = {s.funder_id: to_cents(s.amount) for s in award.shares.all()}
    return shares or {award.application.call.funder_id: to_cents(award.amount)}


def parts_of(award: Award, *, net_paid_before: Decimal, amount: Decimal) -> dict[int, Decimal]:
    """How a movement of `amount` (negative: money back) on the award counts on each co-funder's
    line: cumulative, so that each funder's line always holds exactly its part of the net paid
    (a part may be a cent of the other sign when the rounding moves between funders)."""
    parts = arithmetic.funder_parts(
        shares_cents=funder_shares(award),
        paid_before_cents=to_cents(net_paid_before),
        amount_cents=to_cents(amount),
    )
    return {f: from_cents(c) for f, c in parts.items() if c}


def accepted_eligible(award: Award) -> Decimal:
    """The expenses (excluding VAT) accepted by the officers on the award's live requests."""
    total = ExpenseLine.objects.filter(
        request__instalment__award=award, request__returned_at__isnull=True, accepted=True
    ).aggregate(total=Sum("accepted_amount"))["total"]
    return total or Decimal("0")


def release_unpaid(
    *, account: GrantAccount, award: Award, actor: Any, now: datetime.datetime
) -> Decimal:
    """At closure or termination, once: give back to the envelopes the commitment that will never
    be paid (ceiling − net paid), so that each line's committed equals what it paid. Each funder's
    line gives back its share minus its part of the net paid (never negative: a part of the net
    paid never exceeds the share)."""
    if account.released:
        return Decimal("0")
    unpaid = account.ceiling - account.net_paid
    if unpaid <= 0:
        return Decimal("0")
    shares = funder_shares(award)
    funders = sorted(shares)
    paid_parts = arithmetic.split_largest_remainder(
        to_cents(account.net_paid), [shares[f] for f in funders]
    )
    budget.release_commitment(
        call=award.application.call,
        amount=unpaid,
        shares={
            f: from_cents(shares[f] - paid_parts[i])
            for i, f in enumerate(funders)
            if shares[f] > paid_parts[i]
        },
    )
    account.released = unpaid
    account.save(update_fields=["released"])
    record(
        actor=actor,
        obj=award,
        action="release_commitment",
        reason=format_eur(unpaid),
        public=False,
        at=now,
    )
    return unpaid


def close_if_done(*, award: Award, actor: Any, now: datetime.datetime) -> bool:
    """After the final payment (or a final instalment that came out nil or negative and its
    recovery settled): release what will not be paid, close the agreement and the application."""
    if award.instalments.exclude(status__in=[S.PAID, S.CANCELLED]).exists():
        return False
    final = award.instalments.filter(trigger=Trigger.FINAL_REPORT).order_by("-position").first()
    if final is None or final.checked_at is None:
        return False  # the final report has not been checked (or was cancelled unchecked)
    if award.recoveries.filter(status__in=[RecoveryStatus.RAISED, RecoveryStatus.ISSUED]).exists():
        return False
    account = locked_account(award)
    if account.closed_at is not None:
        return False
    release_unpaid(account=account, award=award, actor=actor, now=now)
    account.closed_at = now
    account.save(update_fields=["closed_at"])
    # The agreement's closure closes the application too (agreements.services.close_agreement).
    from pepiniere.agreements import services as agreement_services

    agreement_services.close_agreement(agreement=award.agreement, actor=actor, now=now)
    return True


def open_recovery(
    *, award: Award, amount: Decimal, reason: str, actor: Any, now: datetime.datetime
) -> Recovery:
    """A new recovery (raised) and its audit row: the final check's negative balance, a
    termination, or finance by hand."""
    recovery = Recovery.objects.create(
        award=award, amount=amount, reason=reason, raised_by=actor, raised_at=now
    )
    record(
        actor=actor,
        obj=recovery,
        action="raise_recovery",
        to_state=RecoveryStatus.RAISED,
        reason=f"{format_eur(amount)} — {reason}",
        at=now,
    )
    return recovery
