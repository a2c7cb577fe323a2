"""A portfolio built directly (awards and reports as rows): the indicators and campaign tests need
many supported organisations, not the award workflow (tested in grants and test_baseline)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from pepiniere.applications.models import Application, Status
from pepiniere.grants.models import Award, AwardShare
from pepiniere.lib.testing.factories import make_organisation, make_user
from pepiniere.portfolio.models import KpiReport, ReportSource, ReportStatus


def award(
    organisation: Any, call: Any, on: datetime.date, *, amount: str = "40000", actor: Any = None
) -> Award:
    actor = actor or make_user()
    application = Application.objects.create(
        call=call,
        organisation=organisation,
        created_by=actor,
        status=Status.AWARDED,
        title=f"Projet de {organisation.name}",
    )
    award = Award.objects.create(
        application=application,
        amount=Decimal(amount),
        decision_reference=f"CP-{application.pk}",
        decision_date=on,
        awarded_by=actor,
        awarded_at=timezone.now(),
    )
    AwardShare.objects.create(award=award, funder=call.funder, amount=Decimal(amount))
    return award


def report(
    organisation: Any,
    year: int,
    *,
    baseline: bool = False,
    status: str = ReportStatus.VALIDATED,
    campaign: Any = None,
    **figures: Any,
) -> KpiReport:
    now = timezone.now()
    values = {
        k: (Decimal(str(v)) if k not in {"headcount", "sites"} else v) for k, v in figures.items()
    }
    return KpiReport.objects.create(
        organisation=organisation,
        campaign=campaign,
        period_year=year,
        is_baseline=baseline,
        status=status,
        source=ReportSource.BASELINE if baseline else ReportSource.CAMPAIGN,
        created_at=now,
        updated_at=now,
        submitted_at=now if status in (ReportStatus.SUBMITTED, ReportStatus.VALIDATED) else None,
        validated_at=now if status == ReportStatus.VALIDATED else None,
        **values,
    )


def supported_organisation(call: Any, on: datetime.date, **kwargs: Any) -> Any:
    organisation = make_organisation(**kwargs)
    award(organisation, call, on)
    return organisation
