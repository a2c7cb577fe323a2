"""The instalment and recovery lifecycles as data (DESIGN.md "Lifecycles").

    Instalment:  planned ──request (beneficiary)──▶ requested ──check (officer)──▶ checked
                   ──authorise (finance, never the person who checked)──▶ authorised
                   ──put in a payment run──▶ ordered ──confirm paid──▶ paid
                 requested/checked ──return (reason)──▶ planned        any unpaid ──cancel──▶ cancelled
    Recovery:    raised ──issue──▶ issued ──▶ recovered | written off

The payments services (instalments.py, runs.py, recoveries.py, gathered in services.py) have one
function per transition and nothing else changes a status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pepiniere.payments.models import InstalmentStatus as S
from pepiniere.payments.models import RecoveryStatus as R

BENEFICIARY, OFFICER, FINANCE, SYSTEM = "beneficiary", "officer", "finance", "system"


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    performed_by: str
    reason_required: bool = False


UNPAID = frozenset({S.PLANNED, S.REQUESTED, S.CHECKED, S.AUTHORISED, S.ORDERED})

INSTALMENT: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("request", frozenset({S.PLANNED}), S.REQUESTED, BENEFICIARY),
        Transition("check", frozenset({S.REQUESTED}), S.CHECKED, OFFICER),
        Transition("authorise", frozenset({S.CHECKED}), S.AUTHORISED, FINANCE),
        Transition(
            "return", frozenset({S.REQUESTED, S.CHECKED}), S.PLANNED, OFFICER, reason_required=True
        ),
        Transition("order", frozenset({S.AUTHORISED}), S.ORDERED, FINANCE),
        Transition("confirm_paid", frozenset({S.ORDERED}), S.PAID, FINANCE),
        Transition("cancel", UNPAID, S.CANCELLED, OFFICER, reason_required=True),
    ]
}

RECOVERY: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("issue", frozenset({R.RAISED}), R.ISSUED, FINANCE),
        Transition("record_recovered", frozenset({R.ISSUED}), R.RECOVERED, FINANCE),
        Transition(
            "write_off",
            frozenset({R.RAISED, R.ISSUED}),
            R.WRITTEN_OFF,
            FINANCE,
            reason_required=True,
        ),
    ]
}


class IllegalTransition(Exception):
    """A transition attempted from a state it does not leave from."""


def check(table: dict[str, Transition], name: str, current: str) -> Transition:
    transition = table[name]
    if current not in transition.sources:
        raise IllegalTransition(
            f"{name} is not possible from {current} (only from {', '.join(sorted(transition.sources))})"
        )
    return transition


def advance(table: dict[str, Transition], name: str, obj: Any, *, refusal: str) -> tuple[str, str]:
    """Move `obj` (an instalment or a recovery, not saved) by the transition `name`; returns
    (before, after). From a state it does not leave from: PaymentError(kind="state") saying
    `refusal` % {"s": the state's name}."""
    from pepiniere.payments.errors import PaymentError

    try:
        transition = check(table, name, obj.status)
    except IllegalTransition:
        raise PaymentError(refusal % {"s": obj.get_status_display()}, kind="state") from None
    before = obj.status
    obj.status = transition.target
    return before, transition.target
