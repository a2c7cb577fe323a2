"""A call whose applications went through the real review: each scored by one expert, so that
the ranking, thresholds and tags are what the selection pages and the jury really see."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pepiniere.accounts.models import Role
from pepiniere.applications import services as application_services
from pepiniere.applications.models import Application, Status
from pepiniere.lib.testing.factories import (
    complete_answers,
    make_call,
    make_draft,
    make_organisation,
    make_user,
)
from pepiniere.reviews import services as review_services
from pepiniere.reviews.models import Assignment
from pepiniere.reviews.tests.factories import make_reviewer


def ranked_call(
    projects: list[tuple[str, int, int]], *, envelope: str = "100000", **call_kwargs: Any
) -> tuple[Any, Any, list[Application]]:
    """`projects`: (département, requested euros, score 0–5) in the order they are submitted.
    Returns (call, officer, applications); the applications are "reviewed"."""
    call = make_call(
        envelope=Decimal(envelope), reviews_per_application=1, reviewer_max_load=60, **call_kwargs
    )
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    applications = []
    scores = {}
    for departement, amount, score in projects:
        applicant = make_user()
        organisation = make_organisation(member=applicant, departement=departement)
        application = make_draft(call=call, applicant=applicant, organisation=organisation)
        application_services.save_draft(
            application=application,
            actor=applicant,
            answers=complete_answers(requested_amount=str(amount), project_budget=str(amount * 2)),
        )
        application_services.submit_application(application=application, actor=applicant)
        application_services.mark_eligible(application=application, actor=officer)
        applications.append(application)
        scores[application.pk] = score
    make_reviewer(call, max_load=60)
    run = review_services.propose_assignment(call=call, actor=officer)
    assert not run.problems, run.problems
    review_services.confirm_assignment(run=run, actor=officer)
    for assignment in Assignment.objects.filter(application__call=call).select_related("reviewer"):
        review_services.save_review(
            assignment=assignment,
            actor=assignment.reviewer,
            scores={
                c.pk: (str(scores[assignment.application_id]), "Critère bien traité.")
                for c in call.criteria.all()
            },
            overall=f"Avis de l'expert sur le dossier {assignment.application_id}.",
            recommendation="fund",
            submit=True,
        )
    review_services.close_reviews(call=call, actor=officer)
    for application in applications:
        application.refresh_from_db()
    return call, officer, applications


def mark_selected(*applications: Application, reason: str = "Retenu par le jury.") -> None:
    """Arrange: the jury's decision, without replaying a session (tested in reviews)."""
    for application in applications:
        Application.objects.filter(pk=application.pk).update(
            status=Status.SELECTED, decision_reason=reason
        )
        application.refresh_from_db()
