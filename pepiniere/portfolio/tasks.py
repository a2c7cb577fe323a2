"""E-mails of the KPI follow-up, queued after commit (never sent inside a request)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from pepiniere.organisations.models import Membership
from pepiniere.portfolio.models import KpiCampaign, KpiReport, ReportStatus


def _message(template: str, context: dict[str, Any], email: str) -> EmailMessage:
    body = render_to_string(template, context).strip()
    subject, _sep, text = body.partition("\n")
    return EmailMessage(subject.strip(), text.strip(), None, [email])


def _report_url(report_id: int) -> str:
    return settings.SITE_URL + reverse("kpi:report", args=[report_id])


@task()
def email_report_due(report_id: int) -> int:
    """Tell every active member of the organisation that a report (here a baseline) is due."""
    report = KpiReport.objects.select_related("organisation", "campaign").get(pk=report_id)
    messages = []
    for member in report.organisation.members.filter(is_active=True).order_by("email"):
        with translation.override(member.language):
            messages.append(
                _message(
                    "portfolio/email/report_due.txt",
                    {"report": report, "user": member, "url": _report_url(report.pk)},
                    member.email,
                )
            )
    return mailers.default.send_messages(messages) or 0


@task()
def email_report_returned(report_id: int) -> int:
    report = KpiReport.objects.select_related("organisation", "campaign").get(pk=report_id)
    messages = []
    for member in report.organisation.members.filter(is_active=True).order_by("email"):
        with translation.override(member.language):
            messages.append(
                _message(
                    "portfolio/email/report_returned.txt",
                    {"report": report, "user": member, "url": _report_url(report.pk)},
                    member.email,
                )
            )
    return mailers.default.send_messages(messages) or 0


@task()
def email_campaign(campaign_id: int, step: str) -> int:
    """The launch (step "launch") or one reminder ("before-14", "after-7") of a campaign, to the
    members of every organisation whose report is still open: one query for all of them, one
    SMTP connection, whatever their number."""
    campaign = KpiCampaign.objects.get(pk=campaign_id)
    reports = KpiReport.objects.filter(
        campaign=campaign, status__in=(ReportStatus.DUE, ReportStatus.DRAFT)
    )
    report_of = dict(reports.values_list("organisation_id", "pk"))
    memberships = (
        Membership.objects.filter(
            user__is_active=True, organisation_id__in=reports.values("organisation_id")
        )
        .values_list(
            "organisation_id",
            "organisation__name",
            "user__email",
            "user__full_name",
            "user__language",
        )
        .order_by("organisation_id", "user__email")
    )
    template = (
        "portfolio/email/campaign_launched.txt"
        if step == "launch"
        else "portfolio/email/campaign_reminder.txt"
    )
    late = step.startswith("after-")
    connection = mailers.default
    sent = 0
    batch: list[EmailMessage] = []
    for organisation_id, organisation_name, email, full_name, language in memberships.iterator(
        2000
    ):
        report_id = report_of[organisation_id]
        with translation.override(language):
            batch.append(
                _message(
                    template,
                    {
                        "campaign": campaign,
                        "organisation_name": organisation_name,
                        "name": full_name,
                        "late": late,
                        "url": _report_url(report_id),
                    },
                    email,
                )
            )
        if len(batch) >= 500:
            sent += connection.send_messages(batch) or 0
            batch = []
    if batch:
        sent += connection.send_messages(batch) or 0
    return sent
