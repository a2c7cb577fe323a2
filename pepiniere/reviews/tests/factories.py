from __future__ import annotations

from typing import Any

from pepiniere.accounts.models import Role
from pepiniere.applications import services as application_services
from pepiniere.lib.testing.factories import make_call, make_submitted, make_user
from pepiniere.reviews import services
from pepiniere.reviews.models import ReviewerProfile


def make_reviewer(
    call: Any, *, expertise: str = "plateformes de partage", max_load: int = 10, **extra: Any
):
    reviewer = make_user(role=Role.REVIEWER, **extra)
    ReviewerProfile.objects.create(user=reviewer, expertise=expertise, max_load=max_load)
    services.add_to_pool(call=call, reviewer=reviewer)
    return reviewer


def reviewed_call(n_applications: int = 4, n_reviewers: int = 4, k: int = 2):
    """A call with eligible applications, a pool, and a confirmed assignment."""
    call = make_call(reviews_per_application=k, reviewer_max_load=10)
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    applications = []
    for _ in range(n_applications):
        application = make_submitted(call=call)
        application_services.mark_eligible(application=application, actor=officer)
        applications.append(application)
    reviewers = [make_reviewer(call) for _ in range(n_reviewers)]
    run = services.propose_assignment(call=call, actor=officer)
    assert not run.problems, run.problems
    services.confirm_assignment(run=run, actor=officer)
    return call, officer, applications, reviewers


def submit_review(assignment: Any, value: int | str) -> None:
    """The expert gives every criterion of the call the same score and submits."""
    services.save_review(
        assignment=assignment,
        actor=assignment.reviewer,
        scores={c.pk: (str(value), "") for c in assignment.application.call.criteria.all()},
        overall="Avis",
        recommendation="fund",
        submit=True,
    )
