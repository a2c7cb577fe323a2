"""The jury session: proposals, decisions, departures, opening and closing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Status
from pepiniere.audit.services import trail_for
from pepiniere.lib.testing.factories import make_user
from pepiniere.reviews import services
from pepiniere.reviews.models import Assignment, Conflict, ConflictSource, JurySession
from pepiniere.reviews.ranking import ranking_for
from pepiniere.reviews.tests.factories import reviewed_call, submit_review
from pepiniere.selection import jury

pytestmark = pytest.mark.django_db


def test_jury_departure_from_the_proposal_needs_a_justification_and_is_audited():
    call, officer, applications, _reviewers = reviewed_call(n_applications=2, n_reviewers=2, k=1)
    for assignment in Assignment.objects.filter(application__call=call):
        submit_review(assignment, 4)
    services.close_reviews(call=call, actor=officer)
    member = make_user(role=Role.JURY, funder=call.funder)
    session = jury.open_session(
        call=call, actor=member, held_on=datetime.date(2026, 1, 5), members=[member]
    )
    target = applications[0]
    with pytest.raises(jury.JuryError) as error:
        jury.decide(
            session=session,
            application_id=target.pk,
            decision="reject",
            justification="",
            actor=member,
        )
    assert "justifiez" in error.value.message
    jury.decide(
        session=session,
        application_id=target.pk,
        decision="reject",
        justification="Projet déjà financé par ailleurs",
        actor=member,
    )
    target.refresh_from_db()
    assert target.status == Status.REJECTED
    override = trail_for(target).get(action="jury_override")
    assert override.reason == "Projet déjà financé par ailleurs"
    jury.decide(
        session=session,
        application_id=applications[1].pk,
        decision="select",
        justification="",
        actor=member,
    )
    with pytest.raises(jury.JuryError):
        jury.decide(
            session=session,
            application_id=applications[1].pk,
            decision="select",
            justification="",
            actor=officer,
        )


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def closed_reviews_call(n_applications=3):
    call, officer, applications, reviewers = reviewed_call(
        n_applications=n_applications, n_reviewers=2, k=1
    )
    for assignment in Assignment.objects.filter(application__call=call):
        submit_review(assignment, 4)
    services.close_reviews(call=call, actor=officer)
    return call, officer, applications


def test_a_session_opens_only_once_the_reviews_of_the_call_are_closed(client):
    call, officer, applications, _reviewers = reviewed_call(n_applications=2, n_reviewers=2, k=1)
    first, second = (Assignment.objects.get(application=a) for a in applications)
    submit_review(first, 4)
    services.close_reviews(call=call, actor=officer)  # the second is still in review
    member = make_user(role=Role.JURY, funder=call.funder)
    client.force_login(member)
    url = reverse("selection:jury", args=[call.slug])
    page = client.get(url).content.decode()
    assert "ne sont pas closes : 1 dossier est encore en expertise" in page
    assert 'name="open"' not in page
    response = client.post(url, {"open": "", "members": [member.pk]}, follow=True)
    assert response.status_code == 200
    assert any("ne sont pas closes" in m for m in messages_of(response))
    assert not JurySession.objects.filter(call=call).exists()
    # Deciding without a session is a message, not a silent no-op nor an error page.
    response = client.post(
        url, {"application": applications[0].pk, "decision": "select"}, follow=True
    )
    assert messages_of(response) == ["La séance du jury n'est pas ouverte."]

    submit_review(second, 3)
    services.close_reviews(call=call, actor=officer)
    client.post(url, {"open": "", "members": [member.pk]})
    assert JurySession.objects.filter(call=call).count() == 1


def test_a_closed_session_stays_closed_and_a_new_one_is_an_officers_audited_action(client):
    call, officer, applications = closed_reviews_call()
    member = make_user(role=Role.JURY, funder=call.funder)
    session = jury.open_session(
        call=call, actor=member, held_on=datetime.date(2026, 1, 5), members=[member]
    )
    jury.close_session(session=session, actor=member, minutes="Séance ajournée.")
    client.force_login(member)
    url = reverse("selection:jury", args=[call.slug])
    response = client.post(url, {"open": "", "members": [member.pk]}, follow=True)
    assert any(
        "ne peut être ouverte que par un·e chargé·e de mission" in m for m in messages_of(response)
    )
    response = client.post(url, {"close": "", "minutes": "Autre relevé"}, follow=True)
    assert messages_of(response) == ["La séance est déjà close."]
    response = client.post(
        url,
        {"application": applications[0].pk, "decision": "reject", "justification": "x"},
        follow=True,
    )
    assert any("close" in m for m in messages_of(response))
    assert JurySession.objects.filter(call=call).count() == 1
    session.refresh_from_db()
    assert session.minutes == "Séance ajournée."
    # The jury cannot open the new session itself, even by posting the officer's form.
    assert client.post(url, {"new_session": "", "reason": "x"}).status_code == 404

    client.force_login(officer)
    page = client.get(url).content.decode()
    assert 'name="new_session"' in page
    response = client.post(
        url, {"new_session": "", "members": [member.pk], "reason": " "}, follow=True
    )
    assert messages_of(response) == ["Donnez le motif de la nouvelle séance."]
    client.post(
        url,
        {"new_session": "", "members": [member.pk], "reason": "Quorum non atteint le 5 janvier"},
    )
    assert JurySession.objects.filter(call=call).count() == 2
    entry = trail_for(call).get(action="open_new_jury_session")
    assert entry.reason == "Quorum non atteint le 5 janvier" and entry.actor == officer
    client.force_login(member)
    response = client.post(
        url,
        {"application": applications[0].pk, "decision": "select", "justification": ""},
        follow=True,
    )
    assert messages_of(response)[-1] == "Décision enregistrée."


def test_a_decision_that_is_not_allowed_is_a_french_message_never_an_error(client):
    call, _officer, applications = closed_reviews_call()
    member = make_user(role=Role.JURY, funder=call.funder)
    jury.open_session(call=call, actor=member, held_on=datetime.date(2026, 1, 5), members=[member])
    client.force_login(member)
    url = reverse("selection:jury", args=[call.slug])
    target = applications[0]
    client.post(
        url, {"application": target.pk, "decision": "select", "justification": ""}, follow=True
    )
    target.refresh_from_db()
    assert target.status == Status.SELECTED
    for data, expected in [
        (
            {"application": target.pk, "decision": "put_in_reserve", "justification": "Revu"},
            "Ce dossier est « retenu » : le jury ne peut pas le dire « liste complémentaire ».",
        ),
        ({"application": target.pk, "decision": "annuler"}, "Décision inconnue."),
        (
            {"application": 10**9, "decision": "select"},
            "Ce dossier n'est pas au classement de l'appel.",
        ),
    ]:
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        assert messages_of(response) == [expected]


def test_applications_without_a_counted_review_are_shown_apart_not_below_a_threshold(client):
    call, officer, applications = closed_reviews_call()
    unreviewed = applications[2]
    # Its only review no longer counts: its expert turns out to be in conflict.
    assignment = Assignment.objects.get(application=unreviewed)
    Conflict.objects.create(
        reviewer=assignment.reviewer,
        organisation=unreviewed.organisation,
        source=ConflictSource.DECLARED,
        declared_at=timezone.now(),
    )
    ranking = ranking_for(call)
    proposals = jury.proposed_decisions(ranking, call.envelope)
    assert unreviewed.pk not in proposals
    assert [r.application.pk for r in jury.unreviewed(ranking)] == [unreviewed.pk]
    assert not any("Sous un seuil" in why for _d, why in proposals.values())

    member = make_user(role=Role.JURY, funder=call.funder)
    jury.open_session(call=call, actor=member, held_on=datetime.date(2026, 1, 5), members=[member])
    client.force_login(member)
    url = reverse("selection:jury", args=[call.slug])
    page = client.get(url).content.decode()
    assert "Sans évaluation" in page
    apart = page[page.index("Sans évaluation") :]
    assert unreviewed.reference in apart
    assert "Sous un seuil" not in page
    with pytest.raises(jury.JuryError, match="aucune évaluation : il ne peut pas être retenu"):
        jury.decide(
            session=JurySession.objects.get(call=call),
            application_id=unreviewed.pk,
            decision="select",
            justification="Excellent",
            actor=member,
        )
    response = client.post(
        url, {"application": unreviewed.pk, "decision": "reject", "justification": ""}, follow=True
    )
    assert messages_of(response) == ["Ce dossier n'a aucune évaluation : justifiez la décision."]
    response = client.post(
        url,
        {"application": unreviewed.pk, "decision": "reject", "justification": "Pas d'avis"},
        follow=True,
    )
    assert messages_of(response) == ["Décision enregistrée."]


def test_a_scenario_says_sans_evaluation_for_an_application_without_review_not_below_a_threshold():
    from pepiniere.selection import selectors
    from pepiniere.selection import services as selection_services

    call, officer, applications, _reviewers = reviewed_call(n_applications=3, n_reviewers=2, k=1)
    for assignment in Assignment.objects.filter(application__in=applications[:2]):
        submit_review(assignment, 4)
    scenario = selection_services.create_scenario(call=call, actor=officer, name="Classement")
    assert selectors.reason_for(scenario, applications[2].pk) == "Non finançable : sans évaluation."
    assert "Financé" in selectors.reason_for(scenario, applications[0].pk)
