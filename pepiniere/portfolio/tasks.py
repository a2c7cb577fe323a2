"""E-mails of the KPI follow-up, queued after commit (never sent inside a request)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from pepiniere.portfolio.models import KpiReport


@task()
def email_report_due(report_id: int) -> int:
    """Tell every active member of the organisation that a report (here a baseline) is due."""
    report = KpiReport.objects.select_related("organisation", "campaign").get(pk=report_id)
    sent = 0
    for member in report.organisation.members.filter(is_active=True).order_by("email"):
        with translation.override(member.language):
            body = render_to_string(
                "portfolio/email/report_due.txt",
                {
                    "report": report,
                    "user": member,
                    "url": settings.SITE_URL + reverse("kpi:report", args=[report.pk]),
                },
            ).strip()
            subject, _sep, text = body.partition("\n")
            sent += send_mail(subject.strip(), text.strip(), None, [member.email])
    return sent
