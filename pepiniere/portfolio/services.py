"""KPI follow-up workflows: campaigns, the report lifecycle (one function per transition of
DESIGN.md), baselines and their corrections. Each is atomic, checks who may act, locks the row it
changes, writes one audit row and queues its e-mails after commit."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from pepiniere.audit.services import record
from pepiniere.portfolio.models import KpiReport, ReportSource, ReportStatus

# The baseline is due this many days after the award decision.
BASELINE_DUE_DAYS = 60


def ask_baseline_for_award(*, award: Any, actor: Any, now: datetime.datetime | None = None) -> None:
    """Registered on grants.hooks.award_made: the award asks the organisation for its figures of
    the year before the award (the baseline), unless it already has that baseline (supported twice
    the same year)."""
    now = now or timezone.now()
    organisation_id = award.application.organisation_id
    year = award.decision_date.year - 1
    baseline, created = KpiReport.objects.get_or_create(
        organisation_id=organisation_id,
        period_year=year,
        period_semester=None,
        is_baseline=True,
        defaults={
            "award": award,
            "status": ReportStatus.DUE,
            "source": ReportSource.BASELINE,
            "due_date": award.decision_date + datetime.timedelta(days=BASELINE_DUE_DAYS),
            "created_at": now,
            "updated_at": now,
        },
    )
    if not created:
        return
    record(actor=actor, obj=baseline, action="ask_kpi_baseline", to_state=ReportStatus.DUE, at=now)
    report_id = baseline.pk

    def notify() -> None:
        from pepiniere.portfolio.tasks import email_report_due

        email_report_due.enqueue(report_id)

    transaction.on_commit(notify)
