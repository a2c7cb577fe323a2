"""Expert invitations and sign-up validate typed addresses (issue 10, item 15)."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from pepiniere.accounts.models import Role, User
from pepiniere.lib.emails import clean_email_address
from pepiniere.lib.testing.factories import make_call, make_user, page_text
from pepiniere.reviews import services
from pepiniere.reviews.models import Invitation

pytestmark = pytest.mark.django_db

BAD = ["<script>@x", "a" * 390 + "@exemple.fr", "sans-arobase", "deux@@exemple.fr", "x@y"]


@pytest.mark.parametrize("address", BAD)
def test_an_expert_invitation_to_a_malformed_address_is_refused_with_the_text_kept(client, address):
    call = make_call()
    client.force_login(make_user(role=Role.OFFICER, funder=call.funder))
    response = client.post(reverse("reviews:pool", args=[call.slug]), {"email": address})
    assert response.status_code == 400
    text = page_text(response)
    assert "adresse électronique" in text and ("n'est pas valide" in text or "au plus 254" in text)
    assert not Invitation.objects.exists()
    assert not mail.outbox
    assert 'value="' + address[:50] in text


def test_a_valid_expert_invitation_is_sent_once_trimmed_and_lower_cased(client):
    call = make_call()
    client.force_login(make_user(role=Role.OFFICER, funder=call.funder))
    response = client.post(
        reverse("reviews:pool", args=[call.slug]), {"email": "  Emma.Experte@Exemple.FR "}
    )
    assert response.status_code == 302
    assert Invitation.objects.get().email == "emma.experte@exemple.fr"


def test_the_service_refuses_a_malformed_address_too():
    call = make_call()
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    with pytest.raises(ValidationError):
        services.invite_reviewer(call=call, email="<script>@x", actor=officer)


@pytest.mark.parametrize("address", BAD)
def test_sign_up_refuses_a_malformed_address_in_french(client, address):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": address,
            "full_name": "Paula",
            "password1": "un-mot-de-passe-solide",
            "password2": "un-mot-de-passe-solide",
        },
    )
    assert response.status_code == 200
    text = page_text(response)
    assert "n'est pas valide" in text or "au plus 254 caractères" in text
    assert not User.objects.exists()


def test_the_shared_rule_accepts_an_ordinary_address_and_says_the_limit():
    assert clean_email_address(" Paula@Exemple.fr") == "paula@exemple.fr"
    with pytest.raises(ValidationError) as refused:
        clean_email_address("a" * 250 + "@x.fr")
    assert "au plus 254 caractères (ici 255)" in refused.value.messages[0]
