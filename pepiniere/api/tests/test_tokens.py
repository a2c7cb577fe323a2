"""API tokens on « Mon compte »: made, named, scoped and dated by their owner, the key shown once,
revoked at once; expired and revoked tokens get 401; a rate limit per token."""

import datetime
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from pepiniere.api.models import ApiToken, hash_key
from pepiniere.audit.labels import action_label
from pepiniere.audit.services import trail_for
from pepiniere.lib.testing.factories import make_user

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _create(client, **data):
    payload = {
        "name": "Script du tableur",
        "scope": "read",
        "expires_on": (TODAY() + datetime.timedelta(days=30)).isoformat(),
        **data,
    }
    return client.post("/compte/jetons-api/nouveau/", payload)


def _key(response):
    found = re.search(r'value="(pep_[^"]+)"', response.content.decode())
    assert found, response.content.decode()[:2000]
    return found.group(1)


def test_a_person_makes_a_token_sees_its_key_once_and_uses_it(client):
    alice = make_user()
    client.force_login(alice)
    form = client.get("/compte/jetons-api/nouveau/")
    default = (TODAY() + datetime.timedelta(days=90)).isoformat()
    assert f'value="{default}"' in form.content.decode()  # 90 days unless chosen otherwise

    response = _create(client, name="Export mensuel")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    key = _key(response)
    token = ApiToken.objects.get(user=alice)
    assert token.key_hash == hash_key(key) and key not in str(token.__dict__)
    assert token.scope == "read" and token.expires_on == TODAY() + datetime.timedelta(days=30)

    page = client.get("/compte/").content.decode()
    assert "Export mensuel" in page and key not in page
    assert token.prefix + "…" in page
    assert "lecture seule" in page and "actif" in page and "jamais" in page

    api = client.__class__()
    assert (
        api.get("/api/v1/applications", headers={"Authorization": f"Bearer {key}"}).json()["items"]
        == []
    )
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert "jamais" not in client.get("/compte/").content.decode()

    entry = trail_for(token).get()
    assert entry.action == "create_api_token" and entry.actor == alice
    assert action_label(entry.action) == "jeton d'API créé"
    assert "Export mensuel" in entry.reason and "lecture seule" in entry.reason


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "  "}, "Ce champ est obligatoire"),
        ({"scope": "admin"}, "Sélectionnez un choix valide"),
        (
            {"expires_on": "2015-06-08"},
            "La date d&#x27;expiration doit être après aujourd&#x27;hui",
        ),
        ({"expires_on": "31/02/2027"}, "Saisissez une date valide"),
        ({"expires_on": "9999-12-31"}, "Un jeton vaut un an au plus"),
    ],
)
def test_a_bad_form_is_refused_with_a_french_message_and_makes_no_token(client, data, message):
    alice = make_user()
    client.force_login(alice)
    response = _create(client, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_token_lives_one_year_at_most():
    from pepiniere.api import services

    alice = make_user()
    services.create_token(
        user=alice, name="ok", scope="read_write", expires_on=TODAY() + datetime.timedelta(365)
    )
    with pytest.raises(services.TokenError, match="un an au plus"):
        services.create_token(
            user=alice, name="no", scope="read", expires_on=TODAY() + datetime.timedelta(366)
        )


def test_revoking_stops_the_token_at_once_and_is_audited(client):
    alice = make_user()
    client.force_login(alice)
    key = _key(_create(client))
    token = ApiToken.objects.get()
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/applications", headers=headers).status_code == 200

    response = client.post(f"/compte/jetons-api/{token.pk}/revoquer/", follow=True)
    assert "ne donne plus accès" in response.content.decode()
    assert "révoqué" in response.content.decode()
    anonymous = client.__class__()
    refused = anonymous.get("/api/v1/applications", headers=headers)
    assert refused.status_code == 401
    assert refused.json() == {"detail": "Jeton absent, inconnu, expiré ou révoqué."}
    # A second click changes nothing and writes no second row.
    client.post(f"/compte/jetons-api/{token.pk}/revoquer/")
    actions = [e.action for e in trail_for(token)]
    assert actions == ["create_api_token", "revoke_api_token"]


def test_nobody_revokes_or_sees_another_persons_token(client):
    alice, bob = make_user(), make_user()
    token, _key = ApiToken.issue(user=alice, name="Script d'Alice")
    client.force_login(bob)
    assert client.post(f"/compte/jetons-api/{token.pk}/revoquer/").status_code == 404
    assert "Script d&#x27;Alice" not in client.get("/compte/").content.decode()
    token.refresh_from_db()
    assert token.status() == "active"


def test_an_expired_token_gets_401_after_its_last_day(client):
    alice = make_user()
    token, key = ApiToken.issue(user=alice, name="ci", expires_on=TODAY())
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/applications", headers=headers).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_on=TODAY() - datetime.timedelta(days=1))
    assert client.get("/api/v1/applications", headers=headers).status_code == 401
    client.force_login(alice)
    assert "expiré" in client.get("/compte/").content.decode()


def test_a_closed_account_token_gets_401(client):
    alice = make_user()
    _token, key = ApiToken.issue(user=alice, name="ci")
    alice.is_active = False
    alice.save()
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/applications", headers=headers).status_code == 401


@override_settings(API_RATE_LIMIT_PER_MINUTE=3)
def test_each_token_has_its_own_rate_limit_with_retry_after(client):
    alice = make_user()
    _t1, first = ApiToken.issue(user=alice, name="un")
    _t2, second = ApiToken.issue(user=alice, name="deux")
    headers = {"Authorization": f"Bearer {first}"}
    statuses = [client.get("/api/v1/applications", headers=headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/applications", headers=headers)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith("Trop de requêtes pour ce jeton")
    other = {"Authorization": f"Bearer {second}"}
    assert client.get("/api/v1/applications", headers=other).status_code == 200


def test_the_schema_declares_429_with_its_retry_after_header(client):
    schema = client.get("/api/v1/openapi.json").json()
    limited = schema["paths"]["/api/v1/applications"]["get"]["responses"]["429"]
    assert "Retry-After" in limited["headers"]
    assert "/compte/" in schema["info"]["description"]


def test_the_operator_command_makes_a_dated_scoped_token():
    alice = make_user(email="alice@example.test")
    out = StringIO()
    call_command(
        "create_api_token",
        "alice@example.test",
        "Import",
        "--scope",
        "read_write",
        "--days",
        "10",
        stdout=out,
    )
    token = ApiToken.objects.get(user=alice)
    assert token.key_hash == hash_key(out.getvalue().strip())
    assert token.scope == "read_write"
    assert token.expires_on == TODAY() + datetime.timedelta(days=10)
