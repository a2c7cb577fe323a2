"""403, 404, 500 (and Django's own 400) are French pages in the site's layout that say what to do
next, with DEBUG off as in production."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from pepiniere.lib.testing.factories import make_user, page_text, plain

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("pepiniere.home.tests.error_urls"),
]


def _is_site_page(response, template: str) -> str:
    html = response.content.decode()
    assert template in [t.name for t in response.templates]
    assert 'lang="fr"' in html and 'aria-label="Navigation principale"' in html
    return plain(page_text(response))


@override_settings(DEBUG=False)
def test_permission_denied_is_the_french_403_page_with_the_reason():
    client = Client()
    client.force_login(make_user())
    response = client.get(reverse("backoffice:home"))
    assert response.status_code == 403
    text = _is_site_page(response, "403.html")
    assert "Accès refusé" in text
    assert "Cet espace est réservé aux équipes des financeurs." in text
    assert "Revenir à votre accueil" in text
    assert "403 Forbidden" not in text


@override_settings(DEBUG=False)
def test_unknown_page_is_the_french_404_page():
    response = Client().get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    text = _is_site_page(response, "404.html")
    assert "Page introuvable" in text and "Se connecter" in text


@override_settings(DEBUG=False)
def test_a_crash_is_the_french_500_page():
    client = Client(raise_request_exception=False)
    response = client.get("/test-erreur/500/")
    assert response.status_code == 500
    text = _is_site_page(response, "500.html")
    assert "Une erreur s'est produite" in text and "réessayez" in text
    assert "a bug" not in text


@override_settings(DEBUG=False)
def test_djangos_own_bad_request_is_the_french_400_page():
    response = Client().get("/test-erreur/400/")
    assert response.status_code == 400
    text = _is_site_page(response, "400.html")
    assert "Demande incorrecte" in text


@override_settings(DEBUG=False)
def test_error_pages_follow_the_chosen_language():
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert 'lang="en"' in response.content.decode()
