"""Reads of the KPI follow-up that several pages share."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from pepiniere.portfolio.models import KpiCampaign, KpiReport, ReportStatus


def reports_of_member(user: Any) -> list[KpiReport]:
    """Every report of the person's organisations, the open ones by due date first."""
    return list(
        KpiReport.objects.filter(organisation__memberships__user=user)
        .select_related("organisation", "campaign")
        .order_by("due_date", "-period_year", "organisation__name", "pk")
    )


def open_reports_of_member(user: Any) -> list[KpiReport]:
    return [
        r for r in reports_of_member(user) if r.status in (ReportStatus.DUE, ReportStatus.DRAFT)
    ]


def organisation_series(organisation_id: int) -> list[KpiReport]:
    """The organisation's reports, oldest first (the history beside a report under review)."""
    return list(
        KpiReport.objects.filter(organisation_id=organisation_id)
        .exclude(status=ReportStatus.DUE)
        .order_by("period_year", "-is_baseline", "period_semester", "pk")
    )


def campaigns_of(funder_ids: set[int] | None) -> QuerySet[KpiCampaign]:
    """Campaigns of the funders (None: every one) with their reports counted by status (one query)."""
    campaigns = KpiCampaign.objects.select_related("programme", "call", "funder")
    if funder_ids is not None:
        campaigns = campaigns.filter(funder_id__in=funder_ids)
    return campaigns.annotate(
        total=Count("reports"),
        due=Count("reports", filter=Q(reports__status=ReportStatus.DUE)),
        draft=Count("reports", filter=Q(reports__status=ReportStatus.DRAFT)),
        submitted=Count("reports", filter=Q(reports__status=ReportStatus.SUBMITTED)),
        validated=Count("reports", filter=Q(reports__status=ReportStatus.VALIDATED)),
    )


def campaign_reports(campaign: KpiCampaign, *, status: str = "") -> QuerySet[KpiReport]:
    reports = campaign.reports.select_related("organisation").order_by("organisation__name", "pk")
    if status:
        reports = reports.filter(status=status)
    return reports


def applicant_tasks(user: Any) -> list[Any]:
    """Registered on applications.selectors.applicant_tasks: the reports to transmit, on Mes
    dossiers."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from pepiniere.applications.selectors import ApplicantTask
    from pepiniere.lib.dates import long_date

    return [
        ApplicantTask(
            label=_("%(org)s : transmettre les indicateurs %(period)s")
            % {"period": r.period_label, "org": r.organisation.name},
            url=reverse("kpi:report", args=[r.pk]),
            detail=_("avant le %(d)s") % {"d": long_date(r.due_date)} if r.due_date else "",
        )
        for r in open_reports_of_member(user)
    ]
