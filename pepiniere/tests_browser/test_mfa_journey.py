"""A staff member sets up the second factor at the first login, then logs in with a code; the
pages pass axe-core (no serious or critical violation)."""

from __future__ import annotations

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from pepiniere.accounts.models import Role
from pepiniere.lib.testing.factories import make_funder, make_user
from pepiniere.tests_browser.conftest import db
from pepiniere.tests_browser.test_accessibility import _violations

PASSWORD = "secret-pass-123"


def _current_code(email: str) -> str:
    with db():
        device = TOTPDevice.objects.filter(user__email=email).order_by("-pk").first()
        assert device is not None
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def _password_step(page, live_server, email: str, lands_on: str) -> None:
    page.goto(f"{live_server.url}/compte/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"**{lands_on}")


def test_enrolment_then_a_login_with_a_code(page, live_server):
    officer = make_user(
        "olivier@example.test",
        role=Role.OFFICER,
        funder=make_funder(),
        password=PASSWORD,
        mfa_required=True,
    )
    problems: list[str] = []
    _password_step(page, live_server, officer.email, "/compte/double-facteur/activer/")
    assert page.get_by_role("img", name="QR code").is_visible()
    problems += _violations(page, "enrolment")
    page.get_by_role("textbox", name="Code").fill(_current_code(officer.email))
    page.get_by_role("button", name="Activer").click()
    page.wait_for_url("**/codes-de-secours/")
    assert page.locator(".recovery-codes li").count() == 10
    problems += _violations(page, "recovery codes")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/")

    _password_step(page, live_server, officer.email, "/compte/connexion/code/")
    problems += _violations(page, "second step")
    # The code of the next period: the one used for enrolment cannot be used twice.
    time.sleep(max(0.0, 30 - time.time() % 30) + 0.5)
    page.get_by_role("textbox", name="Code").fill(_current_code(officer.email))
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url(lambda url: "/compte/" not in url)
    page.goto("/compte/")
    problems += _violations(page, "account page")
    assert problems == []
