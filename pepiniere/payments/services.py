"""The contract of the payments stage: every workflow that changes an instalment, a payment run
or a recovery, in one namespace (``from pepiniere.payments import services``).

The code lives by concept:
- instalments.py: planning at signature (and re-planning on an amendment), the request with its
  statement of expenses, the officer's check, finance's authorisation (four-eyes), return and
  cancellation;
- ledger.py: the award's payment account, its row lock, co-funders' parts, closure after the
  final payment;
- runs.py: payment runs and their confirmation;
- recoveries.py: recoveries, and the termination of an agreement that raises one.

Every function is atomic, checks permission, locks the rows it changes and writes one audit row
per change (money movements included); notifications leave on commit. Every money operation
on an award first locks its GrantAccount row: operations on one award queue behind each other."""

from __future__ import annotations

from pepiniere.payments.errors import PaymentError
from pepiniere.payments.instalments import (
    FOUR_EYES_MESSAGE,
    LineDecision,
    authorise_instalment,
    cancel_instalment,
    check_request,
    claimed_invoices,
    current_request,
    final_amount,
    locked_instalment,
    next_requestable,
    plan_instalments,
    request_instalment,
    return_request,
)
from pepiniere.payments.ledger import (
    accepted_eligible,
    close_if_done,
    funder_shares,
    locked_account,
    parts_of,
)
from pepiniere.payments.recoveries import (
    issue_recovery,
    on_agreement_terminated,
    raise_recovery,
    record_recovered,
    terminate_payments,
    write_off_recovery,
)
from pepiniere.payments.runs import confirm_run_paid, create_payment_run

__all__ = [
    "FOUR_EYES_MESSAGE",
    "LineDecision",
    "PaymentError",
    "accepted_eligible",
    "authorise_instalment",
    "cancel_instalment",
    "check_request",
    "claimed_invoices",
    "close_if_done",
    "confirm_run_paid",
    "create_payment_run",
    "current_request",
    "final_amount",
    "funder_shares",
    "issue_recovery",
    "locked_account",
    "locked_instalment",
    "next_requestable",
    "on_agreement_terminated",
    "parts_of",
    "plan_instalments",
    "raise_recovery",
    "record_recovered",
    "request_instalment",
    "return_request",
    "terminate_payments",
    "write_off_recovery",
]
