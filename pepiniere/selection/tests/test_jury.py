"""The jury session: proposals, decisions, departures, opening and closing."""

import datetime

import pytest

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Status
from pepiniere.audit.services import trail_for
from pepiniere.lib.testing.factories import make_user
from pepiniere.reviews import services
from pepiniere.reviews.models import Assignment
from pepiniere.reviews.tests.factories import reviewed_call
from pepiniere.selection import jury

pytestmark = pytest.mark.django_db


def score_all(assignment, value):
    scores = {c.pk: (str(value), "commentaire") for c in assignment.application.call.criteria.all()}
    services.save_review(
        assignment=assignment,
        actor=assignment.reviewer,
        scores=scores,
        overall="Avis",
        recommendation="fund",
        submit=True,
    )


def test_jury_departure_from_the_proposal_needs_a_justification_and_is_audited():
    call, officer, applications, _reviewers = reviewed_call(n_applications=2, n_reviewers=2, k=1)
    for assignment in Assignment.objects.filter(application__call=call):
        score_all(assignment, 4)
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
