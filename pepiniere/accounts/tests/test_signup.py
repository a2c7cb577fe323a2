"""Sign-up never tells whether an address has an account (issue 10, low 9)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from pepiniere.accounts.models import Role, User
from pepiniere.lib.testing.factories import make_user, page_text

pytestmark = pytest.mark.django_db

PASSWORD = "un-mot-de-passe-solide"


def _sign_up(client, email, full_name="Paula Porteuse"):
    return client.post(
        reverse("accounts:signup"),
        {"email": email, "full_name": full_name, "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )


def _page(response):
    """The page without what differs on every response (CSRF tokens, CSP nonces)."""
    return re.sub(r'(value|nonce)="[A-Za-z0-9+/=_-]{20,}"', "", page_text(response))


def _link(message):
    match = re.search(r"https?://[^/\s]+(/\S+)", str(message.body))
    assert match is not None
    return match.group(1)


def test_sign_up_answers_the_same_whether_or_not_the_address_has_an_account(
    client, django_capture_on_commit_callbacks
):
    make_user("paula@example.test", full_name="Paula Existante")
    with django_capture_on_commit_callbacks(execute=True):
        existing = _sign_up(client, "Paula@Example.test")
    with django_capture_on_commit_callbacks(execute=True):
        new = _sign_up(client, "nina@example.test")
    assert existing.redirect_chain == new.redirect_chain == [(reverse("accounts:signup_sent"), 302)]
    assert _page(existing) == _page(new)
    assert "Un compte existe" not in page_text(existing)
    assert "Vérifiez votre messagerie" in page_text(new)
    assert User.objects.filter(email__iexact="paula@example.test").count() == 1
    # The owner of the existing account hears that someone tried; the newcomer gets a link.
    warning, activation = mail.outbox
    assert warning.to == ["paula@example.test"]
    assert "essayé de s'inscrire avec votre adresse" in warning.subject
    assert activation.to == ["nina@example.test"]
    assert "Activez votre compte" in activation.subject


def test_a_new_account_is_usable_only_after_the_link_and_its_password(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(client, "nina@example.test")
    user = User.objects.get(email="nina@example.test")
    assert not user.is_active and user.has_role(Role.APPLICANT)
    login = client.post(
        reverse("accounts:login"), {"username": "nina@example.test", "password": PASSWORD}
    )
    assert login.status_code == 200  # refused, with the usual message
    link = _link(mail.outbox[0])
    wrong = client.post(link, {"password": "pas-le-bon"})
    assert "Ce n'est pas le mot de passe choisi à l'inscription" in page_text(wrong)
    response = client.post(link, {"password": PASSWORD})
    assert response.url == reverse("organisations:create")
    assert client.get(reverse("applications:mine")).status_code == 200
    user.refresh_from_db()
    assert user.is_active
    client.logout()
    assert client.get(link).status_code == 400  # a link works once


def test_the_owner_of_an_existing_address_can_choose_a_new_password_from_the_warning(
    client, django_capture_on_commit_callbacks
):
    make_user("paula@example.test", password="ancien-mot-de-passe")
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(client, "paula@example.test")
    reset_links = re.findall(
        r"https?://[^/\s]+(/compte/mot-de-passe/\S+)", str(mail.outbox[0].body)
    )
    response = client.get(reset_links[0], follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "nouveau-mot-de-passe", "new_password2": "nouveau-mot-de-passe"}
    )
    assert response.status_code == 302
    assert client.login(email="paula@example.test", password="nouveau-mot-de-passe")


@pytest.mark.parametrize(
    ("given", "landing"), [("/appels/eco/", "/appels/eco/"), ("http://evil.test/", None)]
)
def test_the_page_one_signed_up_from_is_where_activation_leads(
    client, given, landing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:signup"),
            {
                "email": "nina@example.test",
                "full_name": "Nina",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "next": given,
            },
        )
    response = client.post(_link(mail.outbox[0]), {"password": PASSWORD})
    assert response.url == (landing or reverse("organisations:create"))


def test_repeated_sign_ups_with_a_known_address_send_one_warning(
    client, django_capture_on_commit_callbacks
):
    make_user("paula@example.test")
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            response = _sign_up(client, "paula@example.test")
        assert response.redirect_chain == [(reverse("accounts:signup_sent"), 302)]
    assert len(mail.outbox) == 1
