"""The budget ledger: one BudgetLine per call, axis, programme and funder contribution to a call.

Envelopes come from their source (the call's envelope, the axis budget, the programme's axes, the
funders' contributions); `committed` grows in the award transaction by ``F("committed") + amount``,
line by line in primary-key order (the same order in every transaction, so no deadlock). The
UPDATE's row lock makes concurrent awards wait for each other; the CHECK constraint
``committed <= envelope`` makes the database refuse an overrun, turned here into a French message
with the figures.

An award counts in full against its call, the call's axis and the programme; each funder's part
counts against that funder's contribution to the call."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from pepiniere.calls.models import Call
from pepiniere.grants.models import BudgetLine, BudgetScope
from pepiniere.lib.money import format_eur


class BudgetExceeded(Exception):
    def __init__(self, message: str, *, line: BudgetLine | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class LineSpec:
    scope: str
    keys: dict[str, Any]
    envelope: Decimal
    label: str


def _funders(call: Call) -> list[Any]:
    return [call.funder, *sorted(call.co_funders.all(), key=lambda f: f.name)]


def co_funding(call: Call) -> dict[int, Decimal]:
    """Contributions set for the co-funders (0 when not set); the lead funder brings the rest."""
    set_amounts = dict(
        BudgetLine.objects.filter(scope=BudgetScope.FUNDER, call=call)
        .exclude(funder_id=call.funder_id)
        .values_list("funder_id", "envelope")
    )
    return {f.pk: set_amounts.get(f.pk, Decimal("0")) for f in call.co_funders.all()}


def line_specs(call: Call) -> list[LineSpec]:
    """The lines an award on this call touches, with the envelopes they should have."""
    specs = [
        LineSpec(
            BudgetScope.CALL,
            {"call": call},
            call.envelope,
            _("Appel — %(t)s") % {"t": call.title},
        )
    ]
    axis = call.axis  # None without a query when the call has no axis
    if axis is not None:
        specs.append(
            LineSpec(
                BudgetScope.AXIS,
                {"axis": axis},
                axis.budget,
                _("Axe — %(t)s") % {"t": axis.title},
            )
        )
    programme = call.programme
    specs.append(
        LineSpec(
            BudgetScope.PROGRAMME,
            {"programme": programme},
            programme.budget,
            _("Programme — %(t)s") % {"t": programme.title},
        )
    )
    contributions = co_funding(call)
    lead = call.envelope - sum(contributions.values(), Decimal("0"))
    for funder in _funders(call):
        amount = lead if funder.pk == call.funder_id else contributions[funder.pk]
        specs.append(
            LineSpec(
                BudgetScope.FUNDER,
                {"funder": funder, "call": call},
                max(amount, Decimal("0")),
                _("Apport de %(f)s à l'appel") % {"f": funder.name},
            )
        )
    return specs


def _figures(label: str, line: BudgetLine, amount: Decimal) -> str:
    excess = line.committed + amount - line.envelope
    return _(
        "%(label)s : enveloppe %(envelope)s, déjà engagé %(committed)s, cette aide %(amount)s, "
        "dépassement %(excess)s."
    ) % {
        "label": label,
        "envelope": format_eur(line.envelope),
        "committed": format_eur(line.committed),
        "amount": format_eur(amount),
        "excess": format_eur(excess),
    }


def ensure_lines(call: Call) -> list[tuple[LineSpec, BudgetLine]]:
    """Create the call's lines if missing and bring their envelopes up to date (must run inside a
    transaction). An envelope lowered below what is already committed is refused."""
    out = []
    for spec in line_specs(call):
        line, _created = BudgetLine.objects.get_or_create(
            scope=spec.scope, **spec.keys, defaults={"envelope": spec.envelope}
        )
        if line.envelope != spec.envelope:
            try:
                with transaction.atomic():
                    BudgetLine.objects.filter(pk=line.pk).update(envelope=spec.envelope)
            except IntegrityError:
                line.refresh_from_db()
                raise BudgetExceeded(
                    _(
                        "%(label)s : la nouvelle enveloppe (%(envelope)s) est inférieure au montant déjà "
                        "engagé (%(committed)s)."
                    )
                    % {
                        "label": spec.label,
                        "envelope": format_eur(spec.envelope),
                        "committed": format_eur(line.committed),
                    },
                    line=line,
                ) from None
            line.envelope = spec.envelope
        out.append((spec, line))
    return out


def commit(*, call: Call, amount: Decimal, shares: dict[int, Decimal]) -> None:
    """Add an award to every line it touches, or refuse it naming the first envelope it breaks."""
    charges: list[tuple[LineSpec, BudgetLine, Decimal]] = []
    for spec, line in ensure_lines(call):
        if spec.scope == BudgetScope.FUNDER:
            part = shares.get(spec.keys["funder"].pk, Decimal("0"))
            if part:
                charges.append((spec, line, part))
        else:
            charges.append((spec, line, amount))
    for spec, line, part in sorted(charges, key=lambda item: item[1].pk):
        try:
            with transaction.atomic():
                BudgetLine.objects.filter(pk=line.pk).update(committed=F("committed") + part)
        except IntegrityError:
            line.refresh_from_db()
            raise BudgetExceeded(
                _("Enveloppe dépassée — %(figures)s")
                % {"figures": _figures(spec.label, line, part)},
                line=line,
            ) from None


class LedgerRefused(Exception):
    """A payment or a release the ledger's constraints refuse (paid above committed, committed
    below zero or below what is paid)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _existing_lines(call: Call) -> list[tuple[LineSpec, BudgetLine]]:
    """The call's lines as the award created them, in primary-key order (the lock order)."""
    query = Q(scope=BudgetScope.CALL, call=call) | Q(
        scope=BudgetScope.PROGRAMME, programme_id=call.programme_id
    )
    query |= Q(scope=BudgetScope.FUNDER, call=call)
    if call.axis_id:
        query |= Q(scope=BudgetScope.AXIS, axis_id=call.axis_id)
    found = list(BudgetLine.objects.filter(query))
    out = []
    for spec in line_specs(call):
        key = {name: value.pk for name, value in spec.keys.items()}
        line = next(
            (
                candidate
                for candidate in found
                if candidate.scope == spec.scope
                and all(getattr(candidate, f"{name}_id") == pk for name, pk in key.items())
            ),
            None,
        )
        if line is not None:
            out.append((spec, line))
    return sorted(out, key=lambda item: item[1].pk)


def _move(
    *, call: Call, amount: Decimal, shares: dict[int, Decimal], paid: int, committed: int
) -> None:
    """Add `amount` × `paid` to paid and × `committed` to committed on the call's, axis's and
    programme's lines, and each funder's part (`shares`) on that funder's line, in pk order."""
    if amount < 0:
        raise ValueError("amounts moved are positive; the direction says which way")
    # A funder's part may be of the other sign (a cent of rounding moving between co-funders).
    for spec, line in _existing_lines(call):
        if spec.scope == BudgetScope.FUNDER:
            part = shares.get(spec.keys["funder"].pk, Decimal("0"))
        else:
            part = amount
        if not part:
            continue
        changes: dict[str, Any] = {}
        if paid:
            changes["paid"] = F("paid") + paid * part
        if committed:
            changes["committed"] = F("committed") + committed * part
        try:
            with transaction.atomic():
                BudgetLine.objects.filter(pk=line.pk).update(**changes)
        except IntegrityError:
            line.refresh_from_db()
            raise LedgerRefused(
                _(
                    "%(label)s : engagé %(committed)s, déjà versé %(paid)s ; ce mouvement de "
                    "%(amount)s est refusé (le versé ne dépasse jamais l'engagé)."
                )
                % {
                    "label": spec.label,
                    "committed": format_eur(line.committed),
                    "paid": format_eur(line.paid),
                    "amount": format_eur(part),
                }
            ) from None


def record_payment(*, call: Call, amount: Decimal, shares: dict[int, Decimal]) -> None:
    """A payment confirmed by finance: paid += amount on every line the award touched (each
    funder's line by its part). The CHECK paid <= committed refuses a payment beyond the
    commitment (LedgerRefused)."""
    _move(call=call, amount=amount, shares=shares, paid=1, committed=0)


def release_commitment(*, call: Call, amount: Decimal, shares: dict[int, Decimal]) -> None:
    """Give back to the envelopes what an award will never pay (termination, a final payment
    reduced pro rata): committed −= amount, never below what is paid."""
    _move(call=call, amount=amount, shares=shares, paid=0, committed=-1)


def record_refund(
    *, call: Call, amount: Decimal, shares: dict[int, Decimal], commitment_too: bool = True
) -> None:
    """Money recovered from a beneficiary (a recovery recorded as received): paid −= amount, and,
    when the award's unpaid commitment was already released (`commitment_too`), committed −=
    amount as well, so that committed stays what the award really costs."""
    _move(call=call, amount=amount, shares=shares, paid=-1, committed=-1 if commitment_too else 0)


@dataclass
class LedgerRow:
    label: str
    scope: str
    envelope: Decimal
    committed: Decimal
    paid: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.envelope - self.committed

    @property
    def percent_committed(self) -> int:
        return int(self.committed * 100 / self.envelope) if self.envelope else 0


def call_ledger(call: Call) -> list[LedgerRow]:
    """The call's budget lines as they stand (lines not created yet show nothing committed)."""
    specs = line_specs(call)
    query = Q(scope=BudgetScope.CALL, call=call) | Q(
        scope=BudgetScope.PROGRAMME, programme_id=call.programme_id
    )
    query |= Q(scope=BudgetScope.FUNDER, call=call)
    if call.axis_id:
        query |= Q(scope=BudgetScope.AXIS, axis_id=call.axis_id)
    lines = {
        (
            line.scope,
            line.call_id if line.scope != BudgetScope.FUNDER else None,
            line.axis_id,
            line.programme_id,
            line.funder_id,
        ): line
        for line in BudgetLine.objects.filter(query)
    }
    rows = []
    for spec in specs:
        k = spec.keys
        key = (
            spec.scope,
            k["call"].pk if "call" in k and spec.scope == BudgetScope.CALL else None,
            k["axis"].pk if "axis" in k else None,
            k["programme"].pk if "programme" in k else None,
            k["funder"].pk if "funder" in k else None,
        )
        line = lines.get(key)
        rows.append(
            LedgerRow(
                label=spec.label,
                scope=str(BudgetScope(spec.scope).label),
                envelope=line.envelope if line else spec.envelope,
                committed=line.committed if line else Decimal("0"),
                paid=line.paid if line else Decimal("0"),
            )
        )
    return rows
