"""A small portfolio written straight to the database: awarded (and rejected) applications with
their award and funder shares, as the award service leaves them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from pepiniere.applications.models import Application, Status
from pepiniere.calls.models import Call
from pepiniere.grants.models import Award, AwardShare
from pepiniere.organisations.models import Organisation
from pepiniere.portfolio.summaries import write_summaries
from pepiniere.programmes.models import Funder


def apply(
    organisation: Organisation,
    call: Call,
    *,
    status: str = Status.REJECTED,
    requested: str = "30000",
    submitted: datetime.datetime | None = None,
) -> Application:
    number = call.applications.count() + 1
    return Application.objects.create(
        call=call,
        organisation=organisation,
        created_by=organisation.members.first() or _any_user(),
        status=status,
        number=number,
        reference=f"{call.reference_prefix}-{number:04d}",
        title=f"Projet de {organisation.name}",
        requested_amount=Decimal(requested),
        submitted_at=submitted or call.closes_at - datetime.timedelta(days=2),
    )


def support(
    organisation: Organisation,
    call: Call,
    *,
    amount: str = "20000",
    decided: datetime.date = datetime.date(2016, 6, 1),
    shares: dict[Funder, str] | None = None,
    officer: Any = None,
) -> Award:
    """An awarded application with its award; the call's funder pays all unless `shares`."""
    application = apply(organisation, call, status=Status.AWARDED, requested=amount)
    award = Award.objects.create(
        application=application,
        amount=Decimal(amount),
        decision_reference=f"CP-{decided.year}-{application.number:03d}",
        decision_date=decided,
        awarded_by=officer or _any_user(),
        awarded_at=timezone.now(),
    )
    for funder, part in (shares or {call.funder: amount}).items():
        AwardShare.objects.create(award=award, funder=funder, amount=Decimal(part))
    write_summaries([organisation.pk])  # what the award hook does
    return award


def _any_user() -> Any:
    from pepiniere.lib.testing.factories import make_user

    return make_user()
