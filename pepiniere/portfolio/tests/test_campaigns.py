"""Launching a campaign, its e-mails and reminders (idempotent), its permissions and its cost."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.lib.testing.factories import make_call, make_organisation, make_user, plain
from pepiniere.portfolio import services, services_campaigns
from pepiniere.portfolio.models import KpiReminder, KpiReport, ReportStatus
from pepiniere.portfolio.tests.factories import award, report

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def programme_world():
    call = make_call()
    other_call = make_call(funder=call.funder, programme=call.programme)
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    members = [make_user(full_name=f"Porteur {i}") for i in range(3)]
    orgs = [make_organisation(member=m, name=f"Structure {i}") for i, m in enumerate(members)]
    award(orgs[0], call, D(2016, 3, 1))
    award(orgs[1], call, D(2016, 3, 1))
    award(orgs[1], other_call, D(2017, 3, 1))  # supported twice: asked once
    award(orgs[2], call, D(2021, 3, 1))  # awarded after the period: not asked
    stranger_call = make_call()  # another funder's programme
    award(make_organisation(name="Ailleurs"), stranger_call, D(2016, 3, 1))
    return {"call": call, "officer": officer, "orgs": orgs, "members": members}


def _launch(world, **extra):
    arguments = {
        "actor": world["officer"],
        "funder": world["call"].funder,
        "programme": world["call"].programme,
        "period_year": 2019,
        "due_date": D(2020, 5, 31),
        **extra,
    }
    return services_campaigns.launch_campaign(**arguments)


def test_launch_asks_each_supported_organisation_once_and_mails_its_members(
    programme_world, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = _launch(programme_world, extra_questions=[{"label": "Brevets", "kind": "number"}])
    orgs = programme_world["orgs"]
    assert (result.asked, result.already) == (2, 0)
    reports = KpiReport.objects.filter(campaign=result.campaign).order_by("organisation__name")
    assert [(r.organisation, r.status, r.period_year) for r in reports] == [
        (orgs[0], ReportStatus.DUE, 2019),
        (orgs[1], ReportStatus.DUE, 2019),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        m.email for m in programme_world["members"][:2]
    )
    message = mail.outbox[0]
    assert message.subject.startswith(f"{result.campaign.title} : vos indicateurs sont attendus")
    assert "avant le 31 mai 2020" in plain(str(message.body))
    assert result.campaign.extra_questions == [{"key": "q1", "label": "Brevets", "kind": "number"}]


def test_an_organisation_with_a_report_for_the_period_is_not_asked_twice(programme_world):
    report(programme_world["orgs"][0], 2019, status=ReportStatus.VALIDATED, fte=3, headcount=3)
    result = _launch(programme_world)
    assert (result.asked, result.already) == (1, 1)


def test_launching_costs_the_same_queries_for_3_or_30_organisations(
    programme_world, django_assert_num_queries
):
    from django.contrib.contenttypes.models import ContentType

    from pepiniere.accounts.models import User
    from pepiniere.portfolio.models import KpiCampaign

    ContentType.objects.get_for_model(KpiCampaign)
    officer = programme_world["officer"].pk
    # savepoint, the officer's roles and funders, the campaign, the organisations already asked,
    # one INSERT … SELECT of the reports of the organisations to ask, the audit row, release.
    actor = User.objects.get(pk=officer)
    with django_assert_num_queries(8):
        _launch(programme_world, actor=actor)
    for _i in range(28):
        award(make_organisation(), programme_world["call"], D(2016, 3, 1))
    actor = User.objects.get(pk=officer)
    with django_assert_num_queries(8):
        result = _launch(
            programme_world,
            actor=actor,
            period_semester=1,
            due_date=D(2019, 9, 30),
        )
    assert result.asked == 30


def test_an_officer_of_another_funder_cannot_launch_nor_see_it(programme_world):
    outsider = make_user(role=Role.OFFICER, funder=make_call().funder)
    with pytest.raises(services.KpiError, match="Seul·es les chargé·es de mission du financeur"):
        services_campaigns.launch_campaign(
            actor=outsider,
            funder=programme_world["call"].funder,
            programme=programme_world["call"].programme,
            period_year=2019,
            due_date=D(2020, 5, 31),
        )
    campaign = _launch(programme_world).campaign
    client = Client()
    client.force_login(outsider)
    assert client.get(reverse("kpi:campaign", args=[campaign.pk])).status_code == 404
    client.force_login(programme_world["members"][0])
    assert client.get(reverse("kpi:campaigns")).status_code == 403


def test_a_due_date_inside_the_period_is_refused(programme_world):
    with pytest.raises(services.KpiError, match="après la fin de la période"):
        _launch(programme_world, due_date=D(2019, 12, 1))


def test_reminders_are_sent_once_per_step_to_organisations_that_have_not_submitted(
    programme_world, django_capture_on_commit_callbacks
):
    campaign = _launch(programme_world, reminder_days_before=[14], reminder_days_after=[7]).campaign
    campaign.launched_at = campaign.launched_at.replace(year=2020, month=1, day=1)
    campaign.save()
    first = KpiReport.objects.get(campaign=campaign, organisation=programme_world["orgs"][0])
    KpiReport.objects.filter(pk=first.pk).update(status=ReportStatus.SUBMITTED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            services_campaigns.send_due_reminders(today=D(2020, 5, 16)).sent == []
        )  # 15 days before
        run = services_campaigns.send_due_reminders(today=D(2020, 5, 17))
        again = services_campaigns.send_due_reminders(today=D(2020, 5, 17))
    assert [(step, n) for _c, step, n in run.sent] == [("before-14", 1)]
    assert again.sent == []
    assert [m.to[0] for m in mail.outbox] == [programme_world["members"][1].email]
    assert mail.outbox[0].subject.startswith("Rappel : ")
    mail.outbox.clear()
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_kpi_reminders", "--today", "2020-06-10", stdout=out)
        call_command("send_kpi_reminders", "--today", "2020-06-10", stdout=out)
    assert out.getvalue().splitlines() == [
        "1 reminder step(s) sent to 1 organisation(s); 0 earlier step(s) passed without sending.",
        "0 reminder step(s) sent to 0 organisation(s); 0 earlier step(s) passed without sending.",
    ]
    assert [m.subject.split(" :")[0] for m in mail.outbox] == ["Relance"]
    assert set(KpiReminder.objects.filter(campaign=campaign).values_list("step", flat=True)) == {
        "before-14",
        "after-7",
    }


def test_a_missed_step_is_recorded_as_passed_not_sent_late(programme_world):
    campaign = _launch(
        programme_world, reminder_days_before=[14, 3], reminder_days_after=[]
    ).campaign
    campaign.launched_at = campaign.launched_at.replace(year=2020, month=1, day=1)
    campaign.save()
    run = services_campaigns.send_due_reminders(today=D(2020, 5, 30))
    assert [(step, n) for _c, step, n in run.sent] == [("before-3", 2)]
    assert run.skipped == 1


def test_a_closed_campaign_reminds_nobody(programme_world):
    campaign = _launch(programme_world).campaign
    services_campaigns.close_campaign(campaign=campaign, actor=programme_world["officer"])
    assert services_campaigns.send_due_reminders(today=D(2020, 8, 1)).sent == []


def test_the_campaign_pages_cost_a_pinned_number_of_queries(
    programme_world, django_assert_num_queries
):
    campaign = _launch(programme_world).campaign
    client = Client()
    client.force_login(programme_world["officer"])
    client.get(reverse("kpi:campaigns"))  # warm the session
    with django_assert_num_queries(8):
        response = client.get(reverse("kpi:campaigns"))
    assert "Indicateurs 2019" in plain(response.content.decode())
    for _i in range(5):
        award(make_organisation(), programme_world["call"], D(2016, 3, 1))
    _launch(programme_world, period_semester=2, due_date=D(2020, 3, 1))
    with django_assert_num_queries(8):
        client.get(reverse("kpi:campaigns"))
    with django_assert_num_queries(10):
        page = client.get(reverse("kpi:campaign", args=[campaign.pk]))
    assert page.status_code == 200
