import logging
import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from pepiniere.accounts.throttle import client_ip
from pepiniere.lib.testing.factories import make_user, page_text, plain

pytestmark = pytest.mark.django_db

RIGHT = "le-bon-mot-de-passe"


def _login(client, email, password, *, ip="203.0.113.7", url=None):
    return client.post(
        url or reverse("accounts:login"),
        {"username": email, "password": password},
        REMOTE_ADDR=ip,
    )


def test_fifty_wrong_passwords_then_the_right_one_is_refused_with_a_french_page(client):
    make_user("bob@example.test", password=RIGHT)
    for _ in range(50):
        _login(client, "bob@example.test", "devine")
    response = _login(client, "bob@example.test", RIGHT)
    assert response.status_code == 429
    text = plain(page_text(response))
    assert "Connexion momentanément bloquée" in text
    assert re.search(r"réessayer le \d{1,2} \w+ \d{4} à partir de \d{1,2} h \d\d", text)
    assert reverse("accounts:password_reset") in text
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_five_mistakes_lock_the_pair_but_four_do_not(client):
    make_user("bob@example.test", password=RIGHT)
    for _ in range(4):
        assert _login(client, "BOB@example.test ", "devine").status_code == 200
    assert _login(client, "bob@example.test", RIGHT).status_code == 302


def test_the_admin_login_is_throttled_too(client):
    make_user("root@example.test", password=RIGHT, is_staff=True, is_superuser=True)
    admin_login = reverse("admin:login")
    for _ in range(5):
        _login(client, "root@example.test", "devine", url=admin_login)
    response = _login(client, "root@example.test", RIGHT, url=admin_login)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_shared_office_is_not_locked_out_by_its_colleagues_typos(client):
    office = "198.51.100.20"
    colleagues = [make_user(f"c{n}@example.test", password=RIGHT) for n in range(30)]
    for colleague in colleagues:
        for _ in range(3):
            _login(client, colleague.email, "faute-de-frappe", ip=office)
    assert _login(client, colleagues[0].email, RIGHT, ip=office).status_code == 302


def test_one_address_trying_many_accounts_is_stopped(client, settings):
    settings.LOGIN_LIMIT_PER_ADDRESS = 30
    make_user("victim@example.test", password=RIGHT)
    for n in range(30):
        _login(client, f"guess{n}@example.test", "123456", ip="192.0.2.66")
    assert _login(client, "victim@example.test", RIGHT, ip="192.0.2.66").status_code == 429
    # Elsewhere, the account is fine.
    assert _login(client, "victim@example.test", RIGHT, ip="192.0.2.1").status_code == 302


def test_a_guesser_spread_over_many_addresses_locks_the_account_until_a_password_reset(client):
    make_user("carol@example.test", password=RIGHT)
    for n in range(20):
        _login(client, "carol@example.test", "devine", ip=f"10.0.{n}.1")
    assert _login(client, "carol@example.test", RIGHT, ip="10.9.9.9").status_code == 429

    client.post(reverse("accounts:password_reset"), {"email": "carol@example.test"})
    match = re.search(r"https?://[^/]+(/\S+)", str(mail.outbox[0].body))
    assert match is not None
    link = match.group(1)
    response = client.get(link, follow=True)
    client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "nouveau-secret-2026", "new_password2": "nouveau-secret-2026"},
    )
    assert _login(client, "carol@example.test", "nouveau-secret-2026").status_code == 302


def test_failed_logins_are_logged_and_stored(client, caplog):
    make_user("dan@example.test", password=RIGHT)
    with caplog.at_level(logging.WARNING, logger="pepiniere.accounts.login"):
        _login(client, "dan@example.test", "devine")
    assert "Failed login for 'dan@example.test' from 203.0.113.7" in caplog.text
    failure = AccessFailureLog.objects.get()
    assert (failure.username, failure.ip_address) == ("dan@example.test", "203.0.113.7")
    assert "devine" not in AccessAttempt.objects.get().post_data


def test_a_successful_login_does_not_reset_the_address_count(client, settings):
    settings.LOGIN_LIMIT_PER_ADDRESS = 10
    make_user("eve@example.test", password=RIGHT)
    for n in range(9):
        _login(client, f"other{n}@example.test", "x", ip="192.0.2.9")
    assert _login(client, "eve@example.test", RIGHT, ip="192.0.2.9").status_code == 302
    client.logout()
    _login(client, "other99@example.test", "x", ip="192.0.2.9")
    assert _login(client, "eve@example.test", RIGHT, ip="192.0.2.9").status_code == 429


def test_client_address_behind_trusted_proxies(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5"
    )
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.5"  # the spoofed 6.6.6.6 is ignored
    settings.TRUSTED_PROXY_COUNT = 3
    assert client_ip(request) == "10.0.0.2"
