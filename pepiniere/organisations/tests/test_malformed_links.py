"""Malformed links and posts on the join-request, invitation and activation pages: never a 500."""

import base64

import pytest
from django.urls import reverse

from pepiniere.lib.testing.factories import make_user

pytestmark = pytest.mark.django_db


def _uid(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "uid", [_uid("99999999999999999999999"), _uid("abc"), "%%%", "____", _uid("-1")]
)
def test_a_malformed_activation_link_is_a_clear_page(client, uid):
    response = client.get(reverse("accounts:activate", args=[uid, "x-y"]))
    assert response.status_code == 400
    assert "Ce lien d'activation n'est pas valide" in response.content.decode()


def test_unknown_or_huge_ids_and_tokens_are_404_and_bad_decisions_a_message(client):
    client.force_login(make_user())
    huge = 99999999999999999999999
    assert client.get(f"/structures/demandes/{huge}/").status_code == 404
    assert client.post(f"/structures/demandes/{huge}/reponse/").status_code == 404
    assert client.get(reverse("organisations:invitation", args=["x" * 500])).status_code == 404
