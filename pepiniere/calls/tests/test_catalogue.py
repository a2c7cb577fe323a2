import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pepiniere.lib.testing.factories import make_call, page_text

pytestmark = pytest.mark.django_db


def test_catalogue_lists_open_calls_by_default_and_other_phases_in_tabs(client):
    now = timezone.now()
    make_call(title="Appel ouvert")
    make_call(
        title="Appel à venir",
        opens_at=now + datetime.timedelta(days=5),
        closes_at=now + datetime.timedelta(days=50),
    )
    make_call(
        title="Appel clos",
        opens_at=now - datetime.timedelta(days=50),
        closes_at=now - datetime.timedelta(days=5),
    )
    make_call(title="Appel brouillon", is_published=False)
    page = page_text(client.get(reverse("calls:catalogue")))
    assert "Appel ouvert" in page and "Appel clos" not in page and "Appel brouillon" not in page
    assert "Appel à venir" in page_text(client.get(reverse("calls:catalogue") + "?phase=upcoming"))
    assert "Appel clos" in page_text(client.get(reverse("calls:catalogue") + "?phase=closed"))


def test_search_ignores_accents_and_case(client):
    make_call(title="Économie collaborative")
    make_call(title="Santé numérique")
    page = page_text(client.get(reverse("calls:catalogue"), {"q": "ECONOMIE"}))
    assert "Économie collaborative" in page
    assert "Santé numérique" not in page


def test_territory_filter_keeps_calls_open_everywhere(client):
    make_call(title="Gironde seulement", departements=["33"])
    make_call(title="Béarn seulement", departements=["64"])
    make_call(title="Partout")
    page = page_text(client.get(reverse("calls:catalogue"), {"departement": "33"}))
    assert "Gironde seulement" in page and "Partout" in page
    assert "Béarn seulement" not in page


def test_funder_and_deadline_filters(client):
    first = make_call(title="Premier financeur")
    make_call(title="Second financeur", closes_at=timezone.now() + datetime.timedelta(days=90))
    page = page_text(client.get(reverse("calls:catalogue"), {"funder": first.funder.slug}))
    assert "Premier financeur" in page and "Second financeur" not in page
    soon = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    page = page_text(client.get(reverse("calls:catalogue"), {"deadline_before": soon}))
    assert "Premier financeur" in page and "Second financeur" not in page


def test_catalogue_query_count_does_not_grow_with_calls(client, django_assert_max_num_queries):
    for _ in range(3):
        make_call()
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("calls:catalogue"))
    for _ in range(15):
        make_call()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("calls:catalogue"))


def test_htmx_filtering_returns_only_the_results(client):
    make_call(title="Économie collaborative")
    response = client.get(
        reverse("calls:catalogue"), {"q": "economie"}, headers={"HX-Request": "true"}
    )
    body = page_text(response)
    assert "Économie collaborative" in body
    assert "<html" not in body


def test_call_page_shows_envelope_dates_eligibility_and_criteria(client):
    call = make_call(title="Économie collaborative", departements=["24", "33"])
    page = page_text(client.get(reverse("calls:detail", args=[call.slug])))
    assert "550 000 €" in page.replace("\u202f", " ").replace("\xa0", " ")
    assert "Gironde (33)" in page and "Dordogne (24)" in page
    assert "Innovation" in page  # the criterion
    assert "heure de Paris" in page


def test_unpublished_call_is_hidden_from_the_public(client):
    call = make_call(is_published=False)
    assert client.get(reverse("calls:detail", args=[call.slug])).status_code == 404


def test_english_visitors_get_english_dates_when_they_choose_english(client):
    call = make_call()
    client.cookies["django_language"] = "en"
    response = client.get(reverse("calls:detail", args=[call.slug]))
    assert response.headers["Content-Language"] == "en"
