import pytest
from django.core import mail

from pepiniere.accounts.models import Role
from pepiniere.applications import services as application_services
from pepiniere.applications.models import Status
from pepiniere.audit.services import trail_for
from pepiniere.lib.testing.factories import make_call, make_submitted, make_user
from pepiniere.organisations.models import Membership
from pepiniere.reviews import services
from pepiniere.reviews.models import (
    Assignment,
    AssignmentStatus,
    Conflict,
    ConflictSource,
    Review,
    ReviewStatus,
)
from pepiniere.reviews.ranking import compute_ranking
from pepiniere.reviews.tests.factories import make_reviewer, reviewed_call

pytestmark = pytest.mark.django_db


def _score_all(call, assignment, value, submit=True):
    scores = {c.pk: (str(value), "commentaire") for c in call.criteria.all()}
    return services.save_review(
        assignment=assignment,
        actor=assignment.reviewer,
        scores=scores,
        overall="Avis",
        recommendation="fund",
        submit=submit,
    )


def test_confirmed_assignment_gives_k_distinct_reviewers_and_opens_review(
    django_capture_on_commit_callbacks,
):
    call, _officer, applications, reviewers = reviewed_call(n_applications=5, n_reviewers=4, k=2)
    for application in applications:
        application.refresh_from_db()
        assert application.status == Status.IN_REVIEW
        assert application.assignments.values("reviewer").distinct().count() == 2


def test_assignment_never_pairs_a_conflicted_expert():
    call = make_call(reviews_per_application=1)
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    application = make_submitted(call=call)
    application_services.mark_eligible(application=application, actor=officer)
    member = make_reviewer(call)
    Membership.objects.create(user=member, organisation=application.organisation)
    other = make_reviewer(call, expertise="rien à voir")
    services.detect_conflicts(call=call)
    run = services.propose_assignment(call=call, actor=officer)
    services.confirm_assignment(run=run, actor=officer)
    assert list(application.assignments.values_list("reviewer_id", flat=True)) == [other.pk]
    assert Conflict.objects.get(reviewer=member).source == ConflictSource.MEMBERSHIP


def test_siren_declared_as_employer_is_a_conflict():
    call = make_call()
    application = make_submitted(call=call)
    reviewer = make_reviewer(call)
    reviewer.reviewer_profile.related_sirens = application.organisation.siren
    reviewer.reviewer_profile.save()
    services.detect_conflicts(call=call)
    assert Conflict.objects.filter(
        reviewer=reviewer, organisation=application.organisation, source=ConflictSource.SIREN
    ).exists()


def test_infeasible_assignment_says_what_is_missing():
    call = make_call(reviews_per_application=3)
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    application = make_submitted(call=call)
    application_services.mark_eligible(application=application, actor=officer)
    make_reviewer(call)
    run = services.propose_assignment(call=call, actor=officer)
    assert run.problems and not run.pairs
    assert application.reference is not None
    assert application.reference in " ".join(run.problems)


def test_conflict_discovered_on_an_assignment_moves_it_to_someone_else():
    call, _officer, applications, reviewers = reviewed_call(n_applications=2, n_reviewers=3, k=1)
    assignment = Assignment.objects.filter(application=applications[0]).get()
    first = assignment.reviewer
    replacement = services.declare_conflict_on_assignment(
        assignment=assignment, actor=first, note="Mon cousin"
    ).replacement
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.WITHDRAWN
    assert replacement is not None and replacement.reviewer != first
    assert Conflict.objects.filter(
        reviewer=first, organisation=applications[0].organisation
    ).exists()
    assert trail_for(applications[0]).filter(action="reassign").exists()


def test_review_scores_are_checked_against_the_scale_and_the_half_mark_rule():
    call, _officer, applications, _reviewers = reviewed_call(n_applications=1, n_reviewers=2, k=1)
    assignment = Assignment.objects.get(application=applications[0])
    criterion = call.criteria.get()
    for raw, fragment in [
        ("6", "entre 0 et 5"),
        ("3.5", "entiers"),
        ("bien", "n'est pas une note"),
    ]:
        with pytest.raises(services.ReviewError) as error:
            services.save_review(
                assignment=assignment,
                actor=assignment.reviewer,
                scores={criterion.pk: (raw, "")},
                overall="x",
                recommendation="fund",
                submit=True,
            )
        assert fragment in error.value.errors[f"criterion-{criterion.pk}"]
    call.allow_half_marks = True
    call.save()
    review = _score_all(call, assignment, "3.5")
    assert review.status == ReviewStatus.SUBMITTED


def test_incomplete_review_stays_a_draft_and_keeps_what_was_typed():
    call, _officer, applications, _reviewers = reviewed_call(n_applications=1, n_reviewers=2, k=1)
    assignment = Assignment.objects.get(application=applications[0])
    with pytest.raises(services.ReviewError):
        services.save_review(
            assignment=assignment,
            actor=assignment.reviewer,
            scores={},
            overall="Mon avis",
            recommendation="",
            submit=True,
        )
    review = Review.objects.get(assignment=assignment)
    assert review.status == ReviewStatus.DRAFT
    assert review.overall_comment == "Mon avis"


def test_submitted_review_is_locked_until_an_officer_reopens_it():
    call, officer, applications, _reviewers = reviewed_call(n_applications=1, n_reviewers=2, k=1)
    assignment = Assignment.objects.get(application=applications[0])
    review = _score_all(call, assignment, 4)
    with pytest.raises(services.ReviewError):
        _score_all(call, assignment, 2)
    services.reopen_review(review=review, actor=officer, reason="Erreur de saisie")
    assert _score_all(call, assignment, 2).scores.get().score == 2


def test_stranger_cannot_review_someone_elses_assignment():
    call, _officer, applications, _reviewers = reviewed_call(n_applications=1, n_reviewers=2, k=1)
    assignment = Assignment.objects.get(application=applications[0])
    with pytest.raises(services.ReviewError):
        services.save_review(
            assignment=assignment,
            actor=make_user(role=Role.REVIEWER),
            scores={},
            overall="",
            recommendation="",
        )


def test_ranking_applies_thresholds_on_raw_consensus_and_flags_disagreement():
    call, officer, applications, _reviewers = reviewed_call(n_applications=2, n_reviewers=2, k=2)
    good, weak = applications
    for assignment in Assignment.objects.filter(application=good):
        _score_all(call, assignment, 5)
    scores = iter([5, 0])
    for assignment in Assignment.objects.filter(application=weak).order_by("pk"):
        _score_all(call, assignment, next(scores))
    ranking = compute_ranking(call)
    rows = {r.application.pk: r for r in ranking.rows}
    assert rows[good.pk].rank == 1 and rows[good.pk].fundable
    assert not rows[weak.pk].fundable  # mean 2.5 < threshold 3
    assert rows[weak.pk].high_disagreement


def test_harsh_reviewer_gets_a_negative_bias():
    call, _officer, applications, reviewers = reviewed_call(n_applications=6, n_reviewers=3, k=3)
    harsh = reviewers[0]
    for i, application in enumerate(applications):
        for assignment in Assignment.objects.filter(application=application):
            value = 1 + (i % 3) + (0 if assignment.reviewer == harsh else 1)
            _score_all(call, assignment, value)
    bias = {reviewer.pk: value for reviewer, value, _n in compute_ranking(call).reviewer_bias}
    assert bias[harsh.pk] < 0
    assert bias[harsh.pk] == min(bias.values())


def test_invitation_email_and_acceptance(django_capture_on_commit_callbacks):
    call = make_call()
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite_reviewer(
            call=call, email="Nouvelle.Experte@example.test", actor=officer
        )
    assert invitation.token in mail.outbox[-1].body
    newcomer = make_user("nouvelle.experte@example.test")
    services.accept_invitation(invitation=invitation, user=newcomer)
    assert newcomer.has_role(Role.REVIEWER)
    assert call.pool.filter(reviewer=newcomer).exists()
    with pytest.raises(services.ReviewError):
        services.accept_invitation(invitation=invitation, user=make_user())
