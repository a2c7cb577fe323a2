import datetime

import pytest
from django.core import mail

from pepiniere.audit.services import trail_for
from pepiniere.grants import services as grant_services
from pepiniere.grants.tests.factories import award_kwargs, selected_call
from pepiniere.portfolio.models import KpiReport, ReportSource, ReportStatus

pytestmark = pytest.mark.django_db


def test_the_award_asks_for_the_baseline_of_the_year_before_and_mails_the_members(
    django_capture_on_commit_callbacks,
):
    _call, officer, _finance, (application, *_rest) = selected_call(1)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        award = grant_services.award_grant(
            application=application,
            actor=officer,
            **award_kwargs("40000", on=datetime.date(2016, 3, 15), decision_reference="CP-1"),
        )
    baseline = KpiReport.objects.get(organisation=application.organisation)
    assert (baseline.period_year, baseline.is_baseline, baseline.status, baseline.source) == (
        2015,
        True,
        ReportStatus.DUE,
        ReportSource.BASELINE,
    )
    assert baseline.award == award
    assert baseline.due_date == datetime.date(2016, 5, 14)
    assert [e.action for e in trail_for(baseline)] == ["ask_kpi_baseline"]
    [message] = [m for m in mail.outbox if "référence" in m.subject]
    assert message.subject == (
        f"Vos indicateurs de référence 2015 sont attendus ({application.organisation.name})"
    )
    assert f"/indicateurs/rapports/{baseline.pk}/" in message.body
