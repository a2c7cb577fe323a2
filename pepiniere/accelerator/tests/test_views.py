"""The accelerator's pages: who sees what (a start-up its own stay, a mentor their start-ups,
another funder's officer nothing), the officer's actions, and the query counts of the lists."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pepiniere.accelerator import services
from pepiniere.accelerator.models import Mentoring, MilestoneStatus, Stay, StayStatus
from pepiniere.accelerator.tests.factories import (
    make_accelerator,
    make_mentor,
    make_selected,
    start,
)
from pepiniere.accounts.models import Role
from pepiniere.lib.testing.factories import PDF_BYTES, make_funder, make_user, page_text

pytestmark = pytest.mark.django_db

D = datetime.date


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world():
    programme, officer = make_accelerator()
    mine, theirs = start(programme, officer, D(2016, 1, 4), D(2016, 2, 1))
    mentor = make_mentor(programme, officer, full_name="Hélène Mentor", expertise="licences")
    Mentoring.objects.create(
        stay=mine, mentor=mentor, assigned_at=timezone.now(), assigned_by=officer
    )
    services.record_session(
        stay=mine, mentor=mentor, held_on=D(2016, 2, 1), topic="Choix de licence", actor=officer
    )
    services.plan_milestone(stay=mine, title="Version 1.0", due_date=D(2016, 4, 1), actor=officer)
    return {
        "programme": programme,
        "officer": officer,
        "mine": mine,
        "theirs": theirs,
        "mentor": mentor,
        "member": mine.organisation.members.get(),
        "other_member": theirs.organisation.members.get(),
        "other_officer": make_user(role=Role.OFFICER, funder=make_funder("Autre")),
    }


def test_a_start_up_sees_its_own_stay_only(world):
    client = _client(world["member"])
    page = page_text(client.get(reverse("accelerator:stay", args=[world["mine"].pk])))
    assert "Hélène Mentor" in page and "Choix de licence" in page and "Version 1.0" in page
    assert "Renouveler" not in page  # not the officer's actions
    officer_page = page_text(
        _client(world["officer"]).get(
            reverse("accelerator:programme", args=[world["programme"].pk])
        )
    )
    assert "fin prévue passée : à clore" in officer_page  # 2016's stays are still open
    assert client.get(reverse("accelerator:stay", args=[world["theirs"].pk])).status_code == 404
    home = page_text(client.get(reverse("accelerator:home")))
    assert world["mine"].organisation.name in home
    assert world["theirs"].organisation.name not in home
    assert (
        client.get(reverse("accelerator:programme", args=[world["programme"].pk])).status_code
        == 404
    )


def test_the_start_up_and_the_mentor_find_the_stay_on_mes_dossiers(world):
    for user in (world["member"], world["mentor"].user):
        page = page_text(_client(user).get(reverse("applications:mine")))
        assert (
            "Accélérateur « Accélérateur open source » : le séjour de "
            f"{world['mine'].organisation.name}" in page
        )
        assert world["theirs"].organisation.name not in page


def test_a_mentor_sees_their_start_ups_and_records_a_session(world):
    client = _client(world["mentor"].user)
    assert client.get(reverse("accelerator:stay", args=[world["theirs"].pk])).status_code == 404
    url = reverse("accelerator:add_session", args=[world["mine"].pk])
    response = client.post(
        url,
        {
            "mentor": world["mentor"].pk,
            "held_on": "2016-03-01",
            "topic": "Modèle économique",
            "notes": "Double licence",
        },
        follow=True,
    )
    assert "Séance enregistrée." in page_text(response)
    assert "Modèle économique" in page_text(response)
    home = page_text(client.get(reverse("accelerator:home")))
    assert "Les start-ups que vous accompagnez" in home
    assert world["mine"].organisation.name in home and world["theirs"].organisation.name not in home
    # A mentor cannot act as the officer.
    response = client.post(reverse("accelerator:stay_action", args=[world["mine"].pk, "renew"]))
    assert response.status_code == 403


def test_another_funders_officer_sees_nothing(world):
    client = _client(world["other_officer"])
    for name, pk in (
        ("accelerator:programme", world["programme"].pk),
        ("accelerator:mentors", world["programme"].pk),
        ("accelerator:form_cohort", world["programme"].pk),
        ("accelerator:stay", world["mine"].pk),
        ("accelerator:matching", world["mine"].cohort_id),
    ):
        assert client.get(reverse(name, args=[pk])).status_code == 404, name
    home = page_text(client.get(reverse("accelerator:home")))
    assert "Accélérateur open source" not in home


def test_officer_renews_graduates_and_records_a_leave(world):
    client = _client(world["officer"])
    mine, theirs = world["mine"], world["theirs"]
    response = client.post(reverse("accelerator:stay_action", args=[mine.pk, "renew"]), follow=True)
    assert "Séjour renouvelé." in page_text(response)
    response = client.post(reverse("accelerator:stay_action", args=[mine.pk, "renew"]), follow=True)
    assert "un seul renouvellement de 6 mois est possible" in page_text(response)
    response = client.post(
        reverse("accelerator:stay_action", args=[theirs.pk, "leave"]), {"reason": ""}, follow=True
    )
    assert Stay.objects.get(pk=theirs.pk).status == StayStatus.ACTIVE
    client.post(
        reverse("accelerator:stay_action", args=[theirs.pk, "leave"]),
        {"reason": "Liquidation", "on": "2016-03-01"},
    )
    client.post(
        reverse("accelerator:stay_action", args=[mine.pk, "graduate"]), {"on": "2016-12-20"}
    )
    assert dict(Stay.objects.values_list("pk", "status")) == {
        mine.pk: StayStatus.GRADUATED,
        theirs.pk: StayStatus.LEFT,
    }


def test_milestone_reached_with_a_file_then_visible_to_the_start_up(world):
    milestone = world["mine"].milestones.get()
    client = _client(world["mentor"].user)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("accelerator:decide_milestone", args=[milestone.pk, "reach"]),
        {
            "evidence": "",
            "evidence_file": SimpleUploadedFile("v1.pdf", PDF_BYTES, "application/pdf"),
        },
        follow=True,
    )
    assert "Jalon atteint." in page_text(response)
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.REACHED
    member = _client(world["member"])
    assert member.get(reverse("accelerator:evidence", args=[milestone.pk])).status_code == 200
    other = _client(world["other_member"])
    assert other.get(reverse("accelerator:evidence", args=[milestone.pk])).status_code == 404


def test_officer_forms_a_cohort_on_the_page(world):
    programme = world["programme"]
    first, second = make_selected(programme, "Alpha Libre"), make_selected(programme, "Beta Libre")
    client = _client(world["officer"])
    page = page_text(client.get(reverse("accelerator:form_cohort", args=[programme.pk])))
    assert "Alpha Libre" in page and "Beta Libre" in page
    response = client.post(
        reverse("accelerator:form_cohort", args=[programme.pk]),
        {
            "year": "2017",
            "application": [first.pk, second.pk],
            f"start_{first.pk}": "2017-01-09",
            f"start_{second.pk}": "09/02/2017",
        },
        follow=True,
    )
    assert "Cohorte 2017 : 2 start-up(s) en séjour." in page_text(response)
    response = client.post(
        reverse("accelerator:form_cohort", args=[programme.pk]),
        {"year": "2017", "application": [make_selected(programme, "Gamma").pk]},
        follow=True,
    )
    assert "Début du séjour de Gamma : Indiquez une date." in page_text(response)


def test_list_pages_have_a_fixed_number_of_queries(
    world, django_assert_num_queries, django_assert_max_num_queries
):
    programme, officer = world["programme"], world["officer"]
    client = _client(officer)
    urls = [
        reverse("accelerator:programme", args=[programme.pk]),
        reverse("accelerator:home"),
        reverse("accelerator:mentors", args=[programme.pk]),
        reverse("accelerator:matching", args=[world["mine"].cohort_id]),
    ]
    counts = []
    for url in urls:
        client.get(url)  # warm the session and the content types
        with django_assert_max_num_queries(50) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured.captured_queries))
    # Twice the start-ups, mentors and mentorings: the same counts.
    more = start(programme, officer, D(2016, 7, 4), D(2016, 8, 1), year=2016)
    for stay in more:
        Mentoring.objects.create(
            stay=stay,
            mentor=make_mentor(programme, officer),
            assigned_at=timezone.now(),
            assigned_by=officer,
        )
    for url, count in zip(urls, counts, strict=True):
        with django_assert_num_queries(count):
            assert client.get(url).status_code == 200
    assert counts == [10, 8, 10, 12]
