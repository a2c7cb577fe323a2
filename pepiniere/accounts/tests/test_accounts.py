import re

import pytest
from django.core import mail
from django.urls import reverse

from pepiniere.lib.testing.factories import make_user, page_text

pytestmark = pytest.mark.django_db


def test_login_with_email_and_wrong_password_message(client):
    make_user("bob@example.test", password="le-bon-mot-de-passe")
    response = client.post(
        reverse("accounts:login"), {"username": "bob@example.test", "password": "faux"}
    )
    assert response.status_code == 200
    assert "adresse électronique" in page_text(response).lower() or "mot de passe" in page_text(
        response
    )
    response = client.post(
        reverse("accounts:login"),
        {"username": "BOB@example.test", "password": "le-bon-mot-de-passe"},
    )
    assert response.status_code == 302


def test_password_reset_sends_a_working_link(client):
    make_user("carol@example.test")
    client.post(reverse("accounts:password_reset"), {"email": "carol@example.test"})
    assert len(mail.outbox) == 1
    match = re.search(r"https?://[^/]+(/\S+)", str(mail.outbox[0].body))
    assert match is not None
    link = match.group(1)
    response = client.get(link, follow=True)
    assert "Choisir un nouveau mot de passe" in page_text(response)
    client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "nouveau-secret-2026", "new_password2": "nouveau-secret-2026"},
    )
    assert client.login(email="carol@example.test", password="nouveau-secret-2026")


def test_logout_is_a_post(client):
    client.force_login(make_user())
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("applications:mine")).status_code == 302
