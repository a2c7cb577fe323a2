import pytest
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.lib.testing.factories import make_user, page_text
from pepiniere.reviews import services
from pepiniere.reviews.models import Assignment, AssignmentStatus, ReviewStatus
from pepiniere.reviews.tests.factories import make_reviewer, reviewed_call

pytestmark = pytest.mark.django_db


def test_expert_sees_only_their_assignments(client):
    call, _officer, applications, reviewers = reviewed_call(n_applications=3, n_reviewers=3, k=1)
    reviewer = reviewers[0]
    client.force_login(reviewer)
    page = page_text(client.get(reverse("reviews:home")))
    mine = {a.application.reference for a in Assignment.objects.filter(reviewer=reviewer)}
    others = {a.reference for a in applications} - mine
    assert None not in mine | others
    assert all(ref in page for ref in mine if ref is not None)
    assert not any(ref in page for ref in others if ref is not None)


def test_expert_cannot_open_an_unassigned_application_by_url(client):
    call, _officer, applications, reviewers = reviewed_call(n_applications=2, n_reviewers=2, k=1)
    theirs = Assignment.objects.first()
    assert theirs is not None
    outsider = make_reviewer(call)  # in the pool, but this application is not theirs
    client.force_login(outsider)
    assert client.get(reverse("reviews:review", args=[theirs.pk])).status_code == 404
    assert (
        client.get(reverse("applications:detail", args=[theirs.application.pk])).status_code == 404
    )
    attachment = theirs.application.attachment_set.first()
    assert attachment is not None
    assert (
        client.get(reverse("applications:attachment", args=[attachment.token])).status_code == 404
    )


def test_assigned_expert_reads_the_attachment_until_a_conflict_is_declared(client):
    call, _officer, applications, reviewers = reviewed_call(n_applications=1, n_reviewers=2, k=1)
    assignment = Assignment.objects.get()
    attachment = assignment.application.attachment_set.first()
    assert attachment is not None
    client.force_login(assignment.reviewer)
    assert (
        client.get(reverse("applications:attachment", args=[attachment.token])).status_code == 200
    )
    services.declare_conflict(
        reviewer=assignment.reviewer,
        organisation=assignment.application.organisation,
        note="Ancien associé",
    )
    assert (
        client.get(reverse("applications:attachment", args=[attachment.token])).status_code == 404
    )
    response = client.get(reverse("reviews:review", args=[assignment.pk]), follow=True)
    assert "conflit d'intérêts" in page_text(response)


def test_review_form_saves_a_draft_then_submits(client):
    call, _officer, applications, reviewers = reviewed_call(n_applications=1, n_reviewers=2, k=1)
    assignment = Assignment.objects.get()
    criterion = call.criteria.get()
    client.force_login(assignment.reviewer)
    url = reverse("reviews:review", args=[assignment.pk])
    response = client.post(url, {f"score-{criterion.pk}": "4", "overall": "", "submit": ""})
    assert "Rédigez un avis général" in page_text(response)
    assert response.status_code == 200
    response = client.post(
        url,
        {
            f"score-{criterion.pk}": "4",
            f"comment-{criterion.pk}": "Solide",
            "overall": "Bon projet",
            "recommendation": "fund",
            "submit": "",
        },
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED
    assert assignment.review.status == ReviewStatus.SUBMITTED


def test_an_autosave_that_carries_the_submit_button_only_saves_the_draft(client):
    # htmx sends the last focused button with the form: an autosave queued while the expert
    # clicks « Remettre » carries `submit`. Only the page's own submission hands the review in.
    call, _officer, _applications, _reviewers = reviewed_call(n_applications=1, n_reviewers=2, k=1)
    assignment = Assignment.objects.get()
    criterion = call.criteria.get()
    client.force_login(assignment.reviewer)
    typed = {
        f"score-{criterion.pk}": "4",
        f"comment-{criterion.pk}": "Solide",
        "overall": "Bon projet",
        "recommendation": "fund",
        "submit": "",
    }
    url = reverse("reviews:review", args=[assignment.pk])
    response = client.post(url, typed, HTTP_HX_REQUEST="true")
    assert "Brouillon enregistré à" in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.status != AssignmentStatus.SUBMITTED
    assert assignment.review.status == ReviewStatus.DRAFT
    assert client.post(url, typed).status_code == 302
    assignment.refresh_from_db()
    assert assignment.review.status == ReviewStatus.SUBMITTED


def test_blind_review_hides_other_reviews_until_one_submits_and_only_if_allowed(client):
    call, _officer, applications, reviewers = reviewed_call(n_applications=1, n_reviewers=2, k=2)
    call.show_other_reviews = True
    call.save()
    first, second = Assignment.objects.order_by("pk")
    criterion = call.criteria.get()
    services.save_review(
        assignment=second,
        actor=second.reviewer,
        scores={criterion.pk: ("2", "Avis secret")},
        overall="Texte du second",
        recommendation="do_not_fund",
        submit=True,
    )
    client.force_login(first.reviewer)
    url = reverse("reviews:review", args=[first.pk])
    assert "Texte du second" not in page_text(client.get(url))
    services.save_review(
        assignment=first,
        actor=first.reviewer,
        scores={criterion.pk: ("4", "")},
        overall="Moi",
        recommendation="fund",
        submit=True,
    )
    assert "Texte du second" in page_text(client.get(url))
    call.show_other_reviews = False
    call.save()
    assert "Texte du second" not in page_text(client.get(url))


def test_ranking_and_jury_pages_are_for_officers_and_jury_only(client):
    call, officer, applications, reviewers = reviewed_call(n_applications=2, n_reviewers=2, k=1)
    for user, expected in [
        (reviewers[0], 404),
        (applications[0].created_by, 404),
        (officer, 200),
        (make_user(role=Role.JURY, funder=call.funder), 200),
        (make_user(role=Role.OFFICER, funder=None), 404),
    ]:
        client.force_login(user)
        assert client.get(reverse("reviews:ranking", args=[call.slug])).status_code == expected
        assert client.get(reverse("selection:jury", args=[call.slug])).status_code == expected


def test_ranking_page_query_count_does_not_grow(client, django_assert_max_num_queries):
    call, officer, applications, reviewers = reviewed_call(n_applications=2, n_reviewers=2, k=1)
    client.force_login(officer)
    with django_assert_max_num_queries(30) as small:
        client.get(reverse("reviews:ranking", args=[call.slug]))
    big_call, big_officer, *_rest = reviewed_call(n_applications=8, n_reviewers=3, k=2)
    client.force_login(big_officer)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("reviews:ranking", args=[big_call.slug]))


def test_officer_runs_and_confirms_an_assignment_from_the_page(client):
    call, officer, applications, reviewers = reviewed_call(n_applications=1, n_reviewers=2, k=1)
    from pepiniere.applications import services as application_services
    from pepiniere.lib.testing.factories import make_submitted

    extra = make_submitted(call=call)
    application_services.mark_eligible(application=extra, actor=officer)
    client.force_login(officer)
    url = reverse("reviews:assignment", args=[call.slug])
    client.post(url, {"propose": ""})
    assert extra.reference is not None
    assert extra.reference in page_text(client.get(url))
    client.post(url, {"confirm": ""})
    assert Assignment.objects.filter(application=extra).count() == 1


def test_expert_saves_a_profile_and_a_wrong_siren_keeps_everything_typed(client):
    from pepiniere.calls.models import Sector
    from pepiniere.reviews.models import ReviewerProfile

    expert = make_user()
    client.force_login(expert)
    url = reverse("reviews:profile")
    sector = Sector.objects.order_by("code")[0]
    typed = {
        "expertise": "Économie sociale et solidaire, financement participatif.",
        "keywords": "crowdfunding, associations",
        "sectors": [sector.code],
        "languages": "fr, en",
        "max_load": "8",
        "related_sirens": "732 829 320 123456789",
    }
    refused = client.post(url, typed)
    page = page_text(refused)
    assert refused.status_code == 422
    assert "Le SIREN 123456789 est invalide" in page and "Luhn" in page
    assert "financement participatif" in page and "crowdfunding, associations" in page
    assert not ReviewerProfile.objects.get(user=expert).related_sirens

    typed["related_sirens"] = "732 829 320, 732829320"
    saved = client.post(url, typed)
    assert saved.status_code == 302, page_text(saved)
    profile = ReviewerProfile.objects.get(user=expert)
    assert profile.related_sirens == "732829320" and profile.max_load == 8
    assert list(profile.sectors.values_list("code", flat=True)) == [sector.code]


def test_expert_profile_refuses_an_unknown_sector_and_a_load_that_is_not_a_number(client):
    expert = make_user()
    client.force_login(expert)
    response = client.post(
        reverse("reviews:profile"), {"sectors": ["pas-une-filiere"], "max_load": "douze"}
    )
    page = page_text(response)
    assert response.status_code == 422
    assert "pas-une-filiere" in page  # Django names the unknown choice
    assert "Indiquez un nombre entier de dossiers." in page
