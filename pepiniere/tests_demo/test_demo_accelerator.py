"""The demo's accelerator: the founding case's figures (three cohorts of six, never more than
four at a time, two graduations, one departure with its reason), and the start-up's and the
mentor's demo accounts find their side of it with no broken link."""

from __future__ import annotations

import datetime

from django.test import Client

from pepiniere.accelerator.models import Milestone, MilestoneStatus, Stay, StayStatus
from pepiniere.accounts.models import User
from pepiniere.demo.accelerator_scenario import DEMO_ACCELERATOR_ACCOUNTS
from pepiniere.lib.testing.factories import page_text
from pepiniere.tests_demo.conftest import DEMO
from pepiniere.tests_demo.test_crawl import crawl

pytestmark = DEMO


def test_three_cohorts_of_six_never_more_than_four_at_a_time(demo):
    stays = list(Stay.objects.select_related("cohort"))
    assert sorted({s.cohort.year for s in stays}) == [2015, 2016, 2017]
    assert all(sum(1 for s in stays if s.cohort.year == y) == 6 for y in (2015, 2016, 2017))
    day = datetime.date(2015, 1, 1)
    while day < datetime.date(2018, 3, 1):
        assert sum(1 for s in stays if s.start_date <= day < s.occupied_until) <= 4, day
        day += datetime.timedelta(days=1)
    statuses = [s.status for s in stays]
    assert statuses.count(StayStatus.GRADUATED) == 2
    (left,) = [s for s in stays if s.status == StayStatus.LEFT]
    assert left.leave_reason
    assert all(s.mentorings.count() == 1 for s in stays)
    assert {m.status for m in Milestone.objects.all()} == set(MilestoneStatus.values)


def test_the_start_up_and_the_mentor_find_their_stays_without_an_error(demo):
    for email, _name, _label in DEMO_ACCELERATOR_ACCOUNTS:
        client = Client(raise_request_exception=False)
        client.force_login(User.objects.get(email=email))
        page = page_text(client.get("/dossiers/"))
        assert "le séjour de Paye Ouverte" in page, email
        statuses, problems = crawl(client, "/accelerateur/")
        assert len(statuses) > 5, statuses
        assert not problems, f"{email}:\n" + "\n".join(problems)
