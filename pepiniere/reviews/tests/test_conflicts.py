"""A conflict of interest declared after the review is submitted, or once reviews are closed: a
request the officer decides; a review set aside never counts (ranking, progress, letters)."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone

from pepiniere.applications.models import Status
from pepiniere.audit.services import trail_for
from pepiniere.lib.testing.factories import page_text
from pepiniere.organisations.models import Membership
from pepiniere.reviews import services
from pepiniere.reviews.models import (
    Assignment,
    AssignmentStatus,
    Conflict,
    ConflictRequest,
    ConflictRequestStatus,
    Review,
)
from pepiniere.reviews.ranking import compute_ranking
from pepiniere.reviews.tests.factories import reviewed_call

pytestmark = pytest.mark.django_db


def _submit(call, assignment, value="4"):
    return services.save_review(
        assignment=assignment,
        actor=assignment.reviewer,
        scores={c.pk: (value, "commentaire") for c in call.criteria.all()},
        overall="Avis",
        recommendation="fund",
        submit=True,
    )


def _row(call, application):
    return next(r for r in compute_ranking(call).rows if r.application.pk == application.pk)


def test_a_conflict_declared_after_submitting_waits_for_the_officer_and_then_stops_counting(
    client, django_capture_on_commit_callbacks
):
    call, officer, applications, reviewers = reviewed_call(n_applications=1, n_reviewers=3, k=2)
    application = applications[0]
    first, second = Assignment.objects.filter(application=application).order_by("pk")
    _submit(call, first, "5")
    _submit(call, second, "1")
    assert _row(call, application).n_reviews == 2

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.declare_conflict_on_assignment(
            assignment=first, actor=first.reviewer, note="Mon ancien associé"
        )
    # The officers are told a decision waits for them.
    assert [m.to for m in mail.outbox] == [[officer.email]]
    assert application.reference in mail.outbox[0].subject
    assert reverse("reviews:progress", args=[call.slug]) in mail.outbox[0].body
    # Nothing changes before the officer decides: the review still counts, no one else is asked.
    assert outcome.request is not None and not outcome.withdrawn
    first.refresh_from_db()
    assert first.status == AssignmentStatus.SUBMITTED
    assert _row(call, application).n_reviews == 2
    assert not Conflict.objects.filter(reviewer=first.reviewer).exists()
    client.force_login(first.reviewer)
    page = page_text(client.get(reverse("reviews:review", args=[first.pk])))
    assert "Vous avez signalé un conflit d'intérêts" in page
    assert (
        "Évaluation remise le "
        + formats.date_format(timezone.localtime(first.review.submitted_at), "j F Y à H:i")
        in page
    )
    with pytest.raises(services.ReviewError, match="déjà signalé"):
        services.declare_conflict_on_assignment(
            assignment=first, actor=first.reviewer, note="encore"
        )

    decided = services.decide_conflict_request(request=outcome.request, actor=officer, accept=True)
    first.refresh_from_db()
    assert first.status == AssignmentStatus.CONFLICTED
    row = _row(call, application)
    assert row.n_reviews == 1 and row.weighted_raw == 1.0
    assert not Review.objects.counted().filter(assignment=first).exists()
    # Reviews are still open: a replacement is asked.
    assert decided.replacement is not None
    assert decided.replacement.reviewer not in {first.reviewer, second.reviewer}
    actions = set(trail_for(application).values_list("action", flat=True))
    assert {"request_conflict", "accept_conflict", "reassign"} <= actions
    with pytest.raises(services.ReviewError):
        services.reopen_review(review=first.review, actor=officer, reason="erreur")


def test_a_refused_conflict_needs_a_reason_keeps_the_review_and_the_expert_sees_why(client):
    call, officer, applications, reviewers = reviewed_call(n_applications=1, n_reviewers=2, k=1)
    assignment = Assignment.objects.get()
    _submit(call, assignment)
    request = services.declare_conflict_on_assignment(
        assignment=assignment, actor=assignment.reviewer, note="Un lointain cousin"
    ).request
    assert request is not None
    with pytest.raises(services.ReviewError, match="pourquoi"):
        services.decide_conflict_request(request=request, actor=officer, accept=False)
    with pytest.raises(services.ReviewError):
        services.decide_conflict_request(request=request, actor=assignment.reviewer, accept=True)
    services.decide_conflict_request(
        request=request, actor=officer, accept=False, reason="Lien trop lointain"
    )
    assert _row(call, applications[0]).n_reviews == 1
    assert trail_for(applications[0]).filter(action="refuse_conflict").exists()
    client.force_login(assignment.reviewer)
    page = page_text(client.get(reverse("reviews:home")))
    assert "refusé" in page and "Lien trop lointain" in page


def test_on_a_closed_review_a_conflict_creates_no_new_assignment():
    call, officer, applications, reviewers = reviewed_call(n_applications=1, n_reviewers=3, k=1)
    application = applications[0]
    assignment = Assignment.objects.get()
    _submit(call, assignment)
    assert services.close_reviews(call=call, actor=officer).closed == 1
    application.refresh_from_db()
    assert application.status == Status.REVIEWED
    request = services.declare_conflict_on_assignment(
        assignment=assignment, actor=assignment.reviewer, note="Ma sœur y travaille"
    ).request
    assert request is not None
    outcome = services.decide_conflict_request(request=request, actor=officer, accept=True)
    assert outcome.replacement is None
    assert Assignment.objects.filter(application=application).count() == 1
    assert _row(call, application).n_reviews == 0
    # Nor does a direct reassignment on a closed review.
    assert services.reassign(application=application, actor=officer) is None
    assert Assignment.objects.filter(application=application).count() == 1


def test_a_conflict_found_after_submission_takes_the_review_out_of_the_ranking():
    call, officer, applications, reviewers = reviewed_call(n_applications=1, n_reviewers=2, k=1)
    assignment = Assignment.objects.get()
    _submit(call, assignment)
    assert _row(call, applications[0]).n_reviews == 1
    Membership.objects.create(user=assignment.reviewer, organisation=applications[0].organisation)
    services.detect_conflicts(call=call)
    assert _row(call, applications[0]).n_reviews == 0


def test_the_officer_decides_on_the_progress_page_and_sees_counts_without_the_set_aside_review(
    client,
):
    call, officer, applications, reviewers = reviewed_call(n_applications=1, n_reviewers=3, k=2)
    first, second = Assignment.objects.filter(application=applications[0]).order_by("pk")
    _submit(call, first)
    services.declare_conflict_on_assignment(
        assignment=first, actor=first.reviewer, note="Mon ancien associé"
    )
    request = ConflictRequest.objects.get()
    client.force_login(officer)
    url = reverse("reviews:progress", args=[call.slug])
    page = page_text(client.get(url))
    assert "Mon ancien associé" in page and "Accepter" in page
    response = client.post(url, {"conflict": "abc", "decision": "accept"})
    assert response.status_code == 400
    client.post(url, {"conflict": request.pk, "decision": "refuse", "reason": ""})
    request.refresh_from_db()
    assert request.status == ConflictRequestStatus.PENDING
    client.post(url, {"conflict": request.pk, "decision": "accept"})
    request.refresh_from_db()
    assert request.status == ConflictRequestStatus.ACCEPTED
    response = client.get(url)
    per_application = dict(response.context["per_application"])
    # The set-aside review is neither « remise » nor « à faire »; the replacement is to do.
    assert per_application[applications[0]] == [2, 0]
    assert response.context["submitted_reviews"] == []


def test_closing_counts_only_counted_reviews_and_tells_the_officer_which_files_stay_and_why(client):
    # Two reviews asked per file; one expert of the second file turns out to be a member of the
    # structure after submitting: that file has one counted review, not two.
    call, officer, applications, reviewers = reviewed_call(n_applications=2, n_reviewers=2, k=2)
    for assignment in Assignment.objects.all():
        _submit(call, assignment)
    conflicted = Assignment.objects.filter(application=applications[1]).order_by("pk").first()
    assert conflicted is not None
    Conflict.objects.create(
        reviewer=conflicted.reviewer,
        organisation=applications[1].organisation,
        source="declared",
        declared_at=timezone.now(),
    )
    client.force_login(officer)
    url = reverse("reviews:progress", args=[call.slug])
    response = client.post(url, {"close": "1"}, follow=True)
    for application in applications:
        application.refresh_from_db()
    assert applications[0].status == Status.REVIEWED
    assert applications[1].status == Status.IN_REVIEW
    page = page_text(response)
    assert "1 dossier(s) passent à l'état « expertisé »" in page
    assert (
        f"{applications[1].reference} reste « en expertise » : 1 évaluation(s) retenue(s) sur 2 "
        f"demandée(s) ; évaluation écartée pour conflit d'intérêts : {conflicted.reviewer}"
    ) in page


def _assert_withdrawn_and_replaced(assignment, status):
    assignment.refresh_from_db()
    assert assignment.status == status
    application = assignment.application
    trail = trail_for(application)
    assert trail.filter(action="reviewer_conflict", reason__startswith="conflit détecté").exists()
    active = Assignment.objects.filter(application=application).active()
    assert assignment.reviewer_id not in set(active.values_list("reviewer_id", flat=True))
    # Reviews are open: another expert of the pool takes the application, as after a declaration.
    assert active.count() == 1 and trail.filter(action="reassign").exists()


def test_an_expert_who_joins_the_structure_is_withdrawn_and_the_application_reassigned(client):
    from pepiniere.organisations import services as organisation_services

    call, officer, applications, reviewers = reviewed_call(n_applications=1, n_reviewers=3, k=1)
    assignment = Assignment.objects.select_related("application__organisation").get()
    organisation = assignment.application.organisation
    owner = Membership.objects.filter(organisation=organisation).get().user
    join = organisation_services.request_to_join(
        organisation=organisation, actor=assignment.reviewer, identifier=""
    )
    organisation_services.decide_join_request(join_request=join, actor=owner, accept=True)
    _assert_withdrawn_and_replaced(assignment, AssignmentStatus.WITHDRAWN)
    client.force_login(assignment.reviewer)
    page = page_text(client.get(reverse("reviews:review", args=[assignment.pk]), follow=True))
    assert "Ce dossier vous a été retiré pour conflit d'intérêts" in page


def test_an_expert_who_declares_the_structure_siren_is_withdrawn_even_after_submitting(client):
    call, officer, applications, reviewers = reviewed_call(n_applications=1, n_reviewers=3, k=1)
    assignment = Assignment.objects.select_related("application__organisation").get()
    _submit(call, assignment)
    request = services.declare_conflict_on_assignment(
        assignment=assignment, actor=assignment.reviewer, note="Mon employeur"
    ).request
    assert request is not None
    client.force_login(assignment.reviewer)
    response = client.post(
        reverse("reviews:profile"),
        {
            "expertise": "Économie sociale",
            "languages": "fr",
            "max_load": "8",
            "related_sirens": assignment.application.organisation.siren,
        },
    )
    assert response.status_code == 302
    _assert_withdrawn_and_replaced(assignment, AssignmentStatus.CONFLICTED)
    # The request waiting for the officer is answered by the detection: no second replacement.
    request.refresh_from_db()
    assert request.status == ConflictRequestStatus.ACCEPTED
    assert _row(call, applications[0]).n_reviews == 0
