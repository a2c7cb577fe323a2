"""The expert's preferences page (bids and domains) and the deadline on « Mes évaluations »."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pepiniere.applications.models import Application, Status
from pepiniere.calls.models import Sector
from pepiniere.lib.testing.factories import make_call, make_submitted, page_text, plain
from pepiniere.reviews import services
from pepiniere.reviews.models import Assignment, Bid, BidLevel
from pepiniere.reviews.tests.factories import make_reviewer, reviewed_call

pytestmark = pytest.mark.django_db


def test_the_preferences_page_lists_the_applications_under_review_with_the_controls(client):
    # As in the demo: the applications were assigned, so they are « en expertise ».
    call, _officer, applications, reviewers = reviewed_call(n_applications=3, n_reviewers=3, k=1)
    reviewer = reviewers[0]
    mine = Assignment.objects.filter(reviewer=reviewer).values_list("application", flat=True)
    client.force_login(reviewer)
    url = reverse("reviews:bids", args=[call.slug])
    page = page_text(client.get(url))
    for application in applications:
        assert application.reference in page
        assert f'name="bid-{application.pk}"' in page
    assert page.count("vous est confié") == len(mine)
    target = applications[-1]
    response = client.post(url, {f"bid-{target.pk}": BidLevel.WANT})
    assert response.status_code == 302
    assert Bid.objects.get(reviewer=reviewer, application=target).level == BidLevel.WANT
    assert f'value="want" aria-label="Je souhaite — {target.reference}" checked' in page_text(
        client.get(url)
    )


def test_the_preferences_page_shows_the_domains_and_hides_conflicted_structures(client):
    call = make_call()
    application = make_submitted(call=call)
    other = make_submitted(call=call)
    reviewer = make_reviewer(call)
    reviewer.reviewer_profile.keywords = "mobilité, nautisme"
    reviewer.reviewer_profile.save()
    reviewer.reviewer_profile.sectors.set(Sector.objects.all()[:1])
    services.declare_conflict(
        reviewer=reviewer, organisation=application.organisation, note="Ancien employeur"
    )
    client.force_login(reviewer)
    page = page_text(client.get(reverse("reviews:bids", args=[call.slug])))
    assert "mobilité, nautisme" in page and str(Sector.objects.all()[0]) in page
    assert other.reference and application.reference
    assert other.reference in page and application.reference not in page


def test_with_nothing_to_bid_on_the_page_says_what_will_appear_and_when(client):
    call = make_call(
        closes_at=timezone.make_aware(datetime.datetime(2030, 3, 14, 17, 0)),
    )
    reviewer = make_reviewer(call)
    client.force_login(reviewer)
    url = reverse("reviews:bids", args=[call.slug])
    page = plain(page_text(client.get(url)))
    assert "Aucun dossier n'est encore déposé" in page and "14 mars 2030 à 17:00" in page
    assert "<table" not in page
    assert "Vous n'avez pas encore indiqué vos domaines" in page
    # Once reviews are over, it says so.
    application = make_submitted(call=call)
    Application.objects.filter(pk=application.pk).update(status=Status.REVIEWED)
    assert "L'expertise de cet appel est terminée" in page_text(client.get(url))


def test_the_preferences_page_reads_a_constant_number_of_queries(client, django_assert_num_queries):
    call, _officer, applications, reviewers = reviewed_call(n_applications=2, n_reviewers=2, k=1)
    client.force_login(reviewers[0])
    url = reverse("reviews:bids", args=[call.slug])
    client.get(url)
    with django_assert_num_queries(10) as few:
        client.get(url)
    for _ in range(3):
        make_submitted(call=call)
    with django_assert_num_queries(len(few.captured_queries)):
        assert "Dossiers de l'appel" in page_text(client.get(url))


def test_my_reviews_never_shows_a_dash_for_a_missing_deadline(client):
    call, _officer, applications, reviewers = reviewed_call(n_applications=1, n_reviewers=1, k=1)
    client.force_login(reviewers[0])
    page = page_text(client.get(reverse("reviews:home")))
    assert "Aucune date limite" in page and "—</td>" not in page
    call.review_deadline = timezone.make_aware(datetime.datetime(2030, 6, 30, 18, 0))
    call.save()
    page = page_text(client.get(reverse("reviews:home")))
    assert "30 juin 2030 à 18:00" in page
