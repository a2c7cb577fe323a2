"""Payment runs: the authorised instalments of a funder taken into one batch of payment orders,
their files (mandatement CSV, SEPA pain.001.001.09, written by payments/files.py) and the
confirmation that they were paid.

Money never leaves twice:
- creating a run locks the authorised instalments (SELECT … FOR UPDATE): a second run created
  at the same moment waits, then finds them ordered and takes none; and the partial unique
  index on PaymentOrder.instalment refuses a second live order whatever the code does;
- confirming locks the run, then its orders still to pay: a second confirmation made at the
  same moment waits, then finds nothing left to pay (idempotent: it pays once);
- each payment adds to the award's GrantAccount.paid under its row lock, and the CHECK
  paid <= ceiling refuses any total above the agreement."""

from __future__ import annotations

import datetime
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.applications.models import Application
from pepiniere.audit.services import record, record_rows
from pepiniere.calls.models import Call
from pepiniere.grants import budget
from pepiniere.lib.bulk import insert_rows
from pepiniere.lib.money import format_eur, format_eur_cents, from_cents, to_cents
from pepiniere.organisations.selectors import payable_bank_accounts, payable_bank_details
from pepiniere.payments import notifications
from pepiniere.payments.errors import PaymentError
from pepiniere.payments.files import OrderLine, Payer
from pepiniere.payments.ledger import close_if_done, locked_account, parts_of
from pepiniere.payments.models import (
    GrantAccount,
    Instalment,
    InstalmentStatus,
    OrderStatus,
    PaymentOrder,
    PaymentRun,
    RunStatus,
)
from pepiniere.payments.permissions import can_run_payments
from pepiniere.programmes.models import Funder

S = InstalmentStatus


def payable_accounts(organisation_ids: Iterable[int]) -> dict[int, Any]:
    """The organisations' validated bank accounts, in one query ({organisation id: account});
    an organisation with none validated, or with a change pending, is left out: its payments
    are held (a forged change of bank details is the classic fraud route)."""
    return payable_bank_accounts(organisation_ids)


def holds(instalments: Iterable[Instalment]) -> dict[int, str]:
    """Why each authorised instalment cannot go into a payment run (instalment id → reason;
    absent when it can), in one query."""
    instalments = list(instalments)
    accounts = payable_accounts({i.award.application.organisation_id for i in instalments})
    return {
        i.pk: _("coordonnées bancaires en attente de validation")
        for i in instalments
        if i.award.application.organisation_id not in accounts
    }


def hold_reason(instalment: Instalment) -> str:
    """Why an authorised instalment cannot go into a payment run ("" when it can)."""
    return holds([instalment]).get(instalment.pk, "")


def payer_of(funder: Funder) -> Payer:
    return Payer(
        name=funder.name,
        siret=funder.siret,
        iban=funder.iban,
        bic=funder.bic,
    )


@dataclass(frozen=True)
class RunOutcome:
    run: PaymentRun | None
    ordered: int
    held: list[tuple[Instalment, str]]
    total: Decimal


@transaction.atomic
def create_payment_run(
    *,
    funder: Funder,
    actor: Any,
    now: datetime.datetime | None = None,
    execution_date: datetime.date | None = None,
) -> PaymentRun:
    """Take the funder's authorised instalments that are in no run into one new run (the
    instalments of an organisation whose bank details await validation stay authorised). Raises
    PaymentError(kind="nothing") when there is nothing to pay. `actor` None: the operator's
    command (`pepiniere payment_run`), trusted like any management command."""
    outcome = make_payment_run(funder=funder, actor=actor, now=now, execution_date=execution_date)
    if outcome.run is None:
        raise PaymentError(
            _("Aucune tranche autorisée à mettre en paiement pour %(f)s.") % {"f": funder.name},
            kind="nothing",
        )
    return outcome.run


@transaction.atomic
def make_payment_run(
    *,
    funder: Funder,
    actor: Any,
    now: datetime.datetime | None = None,
    execution_date: datetime.date | None = None,
) -> RunOutcome:
    """create_payment_run, telling also what was held and why (for the page and the command)."""
    now = now or timezone.now()
    if actor is not None and not can_run_payments(actor, funder):
        raise PaymentError(can_run_payments(actor, funder).reason, kind="forbidden")
    # Rows, not model instances: a run takes thousands of instalments (bench/payments.py).
    candidates = list(
        Instalment.objects.select_for_update(of=("self",))
        .filter(status=S.AUTHORISED, award__application__call__funder=funder)
        .order_by("pk")
        .values_list(
            "pk",
            "amount",
            "label",
            "award__application__organisation_id",
            "award__application__organisation__name",
            "award__application__organisation__siret",
            "award__application_id",
            "award__application__reference",
            "award__application__title",
        )
    )
    accounts = payable_bank_details({row[3] for row in candidates})
    ready = [row for row in candidates if row[3] in accounts]
    held_ids = [row[0] for row in candidates if row[3] not in accounts]
    held = [
        (instalment, _("coordonnées bancaires en attente de validation"))
        for instalment in Instalment.objects.filter(pk__in=held_ids)
        .select_related("award__application__organisation")
        .order_by("pk")
    ]
    if not ready:
        return RunOutcome(run=None, ordered=0, held=held, total=Decimal("0"))
    run = PaymentRun.objects.create(
        funder=funder,
        reference=f"tmp-{now.timestamp()}-{id(ready)}"[:35],
        created_by=actor,
        created_at=now,
        execution_date=execution_date or timezone.localdate(now),
    )
    run.reference = f"LOT-{timezone.localdate(now).year}-{run.pk:06d}"
    run.save(update_fields=["reference"])
    try:
        with transaction.atomic():
            ordered = insert_rows(
                PaymentOrder,
                ["instalment", "amount", "beneficiary_name", "beneficiary_siret", "iban", "bic"],
                (
                    (pk, amount, account.holder or name, siret, account.iban, account.bic)
                    for pk, amount, _label, organisation, name, siret, *_rest in ready
                    for account in [accounts[organisation]]
                ),
                same={"run": run},
            )
    except IntegrityError:
        raise PaymentError(
            _("Une de ces tranches est déjà dans un autre lot : recommencez."), kind="conflict"
        ) from None
    moved = Instalment.objects.filter(orders__run=run, status=S.AUTHORISED).update(status=S.ORDERED)
    assert moved == ordered == len(ready)  # the rows are locked: nobody else moved them
    cents = [to_cents(row[1]) for row in ready]
    total = from_cents(sum(cents))
    record_rows(
        actor=actor,
        model=Instalment,
        objects=[
            (
                pk,
                Instalment.name_of(
                    application=Application.name_of(reference=reference, title=title, pk=app_pk),
                    label=label,
                ),
            )
            for pk, _amount, label, _o, _n, _s, app_pk, reference, title in ready
        ],
        action="order_instalment",
        from_state=S.AUTHORISED,
        to_state=S.ORDERED,
        reasons=[f"{run.reference} — {format_eur_cents(c)}" for c in cents],
        public=False,
        at=now,
    )
    record(
        actor=actor,
        obj=run,
        action="create_payment_run",
        to_state=RunStatus.CREATED,
        reason=_("%(n)d ordre(s), %(total)s") % {"n": ordered, "total": format_eur(total)},
        public=False,
        at=now,
    )
    return RunOutcome(run=run, ordered=ordered, held=held, total=total)


@transaction.atomic
def confirm_run_paid(
    *,
    run: PaymentRun,
    actor: Any,
    orders: list[int] | None = None,
    now: datetime.datetime | None = None,
) -> int:
    """Finance confirms the run paid, all of it or the orders listed: each order still to pay
    becomes paid, its instalment paid, the award's paid total and the budget ledger's "paid"
    move. Returns how many orders this call paid (0 when someone confirmed them already)."""
    now = now or timezone.now()
    run = PaymentRun.objects.select_for_update().select_related("funder").get(pk=run.pk)
    if actor is not None and not can_run_payments(actor, run.funder):
        raise PaymentError(can_run_payments(actor, run.funder).reason, kind="forbidden")
    to_pay = run.orders.select_for_update(of=("self",)).filter(status=OrderStatus.ORDERED)
    if orders is not None:
        to_pay = to_pay.filter(pk__in=orders)
    paid = 0
    ledger = _PaidPerCall()
    for order in to_pay.select_related(
        "instalment__award__application__call", "instalment__award__application__organisation"
    ).order_by("pk"):
        _pay(order, actor=actor, now=now, ledger=ledger)
        paid += 1
    ledger.flush()
    left = run.orders.filter(status=OrderStatus.ORDERED).exists()
    status = RunStatus.PARTLY_PAID if left else RunStatus.PAID
    if paid:
        before = run.status
        run.status = status
        run.confirmed_by, run.confirmed_at = actor, now
        run.save(update_fields=["status", "confirmed_by", "confirmed_at"])
        record(
            actor=actor,
            obj=run,
            action="confirm_run_paid",
            from_state=before,
            to_state=status,
            reason=_("%(n)d ordre(s) payé(s)") % {"n": paid},
            public=False,
            at=now,
        )
    return paid


class _PaidPerCall:
    """The budget ledger's "paid" of one confirmation, added up per call and moved once per call
    (a few UPDATEs, not a few per order: a run pays thousands), in the same transaction. The
    ledger ends as order by order would leave it; it is moved before a closure reads it."""

    def __init__(self) -> None:
        self.calls: dict[int, Call] = {}
        self.amounts: dict[int, Decimal] = defaultdict(Decimal)
        self.shares: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))

    def add(self, *, call: Call, amount: Decimal, shares: dict[int, Decimal]) -> None:
        self.calls[call.pk] = call
        self.amounts[call.pk] += amount
        for funder, part in shares.items():
            self.shares[call.pk][funder] += part

    def flush(self) -> None:
        try:
            for pk, call in sorted(self.calls.items()):
                budget.record_payment(
                    call=call, amount=self.amounts[pk], shares=dict(self.shares[pk])
                )
        except budget.LedgerRefused as refused:
            raise PaymentError(refused.message, kind="ledger") from None
        self.calls.clear()
        self.amounts.clear()
        self.shares.clear()


def _pay(order: PaymentOrder, *, actor: Any, now: datetime.datetime, ledger: _PaidPerCall) -> None:
    instalment = order.instalment
    award = instalment.award
    account = locked_account(award)
    try:
        with transaction.atomic():
            GrantAccount.objects.filter(pk=account.pk).update(paid=F("paid") + order.amount)
    except IntegrityError:
        raise PaymentError(
            _(
                "%(app)s : ce paiement de %(amount)s porterait le total versé au-delà du montant "
                "de la convention (%(ceiling)s, déjà versé %(paid)s). Rien n'a été payé."
            )
            % {
                "app": award.application,
                "amount": format_eur(order.amount),
                "ceiling": format_eur(account.ceiling),
                "paid": format_eur(account.paid),
            },
            kind="ceiling",
        ) from None
    ledger.add(
        call=award.application.call,
        amount=order.amount,
        shares=parts_of(award, net_paid_before=account.net_paid, amount=order.amount),
    )
    order.status, order.paid_at, order.confirmed_by = OrderStatus.PAID, now, actor
    order.save(update_fields=["status", "paid_at", "confirmed_by"])
    instalment.status, instalment.paid_at = S.PAID, now
    instalment.save(update_fields=["status", "paid_at"])
    record(
        actor=actor,
        obj=instalment,
        action="record_payment",
        from_state=S.ORDERED,
        to_state=S.PAID,
        reason=f"{order.run.reference} — {format_eur(order.amount)}",
        at=now,
    )
    notifications.instalment_paid(instalment)
    if instalment.is_final:
        ledger.flush()
        close_if_done(award=award, actor=actor, now=now)


def order_lines(run: PaymentRun) -> list[OrderLine]:
    """The run's live orders as the file writers' lines, in three queries whatever their number
    (rows, not model instances: a run has thousands): the orders, the rank of each instalment
    among its award's live ones ("tranche 2 sur 3"), the budget lines of the calls."""
    live_orders = run.orders.exclude(status=OrderStatus.CANCELLED)
    rows = live_orders.order_by("pk").values_list(
        "instalment_id",
        "amount",
        "beneficiary_name",
        "beneficiary_siret",
        "iban",
        "bic",
        "instalment__award_id",
        "instalment__position",
        "instalment__award__agreement__reference",
        "instalment__award__application__call_id",
    )
    positions: dict[int, list[int]] = defaultdict(list)
    for award_id, position in (
        Instalment.objects.exclude(status=S.CANCELLED)
        .filter(award_id__in=live_orders.values("instalment__award_id"))
        .order_by("award_id", "position")
        .values_list("award_id", "position")
    ):
        positions[award_id].append(position)
    budget_lines = {
        call.pk: " / ".join(
            part
            for part in (call.programme.title, call.axis.title if call.axis else "", call.slug)
            if part
        )
        for call in Call.objects.filter(
            pk__in=live_orders.values("instalment__award__application__call_id")
        ).select_related("programme", "axis")
    }
    purpose = _("Convention %(ref)s — tranche %(n)d sur %(of)d")
    lines = []
    for instalment_id, amount, name, siret, iban, bic, award_id, position, reference, call in rows:
        steps = positions[award_id]
        lines.append(
            OrderLine(
                end_to_end_id=PaymentOrder.end_to_end_id_of(
                    run_id=run.pk, instalment_id=instalment_id
                ),
                amount_cents=to_cents(amount),
                beneficiary_name=name,
                beneficiary_siret=siret,
                iban=iban,
                bic=bic,
                budget_line=budget_lines[call],
                purpose=(
                    purpose
                    % {
                        "ref": reference,
                        "n": bisect_right(steps, position) or position,
                        "of": len(steps) or 1,
                    }
                )[:140],
                agreement_reference=reference,
            )
        )
    return lines
