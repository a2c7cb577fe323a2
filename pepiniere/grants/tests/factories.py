from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from pepiniere.accounts.models import Role
from pepiniere.lib.testing.factories import make_call, make_submitted, make_user
from pepiniere.selection.tests.factories import mark_selected


def selected_call(n: int = 3, *, envelope: str = "100000", **call_kwargs: Any):
    """A call with `n` applications (40 000 € requested each) selected by the jury, its officer
    and its finance person."""
    call = make_call(envelope=Decimal(envelope), **call_kwargs)
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    finance = make_user(role=Role.FINANCE, funder=call.funder)
    applications = [make_submitted(call=call) for _ in range(n)]
    mark_selected(*applications)
    return call, officer, finance, applications


def award_kwargs(amount: str = "40000", on: datetime.date | None = None, **extra: Any):
    return {
        "amount": Decimal(amount),
        "decision_reference": extra.pop("decision_reference", "CP-2026-001"),
        "decision_date": on or datetime.date.today(),
        **extra,
    }
