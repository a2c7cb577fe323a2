import time

import pytest
from axes.models import AccessFailureLog
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pepiniere.accounts.models import Role
from pepiniere.lib.testing.factories import make_funder, make_user, page_text

pytestmark = pytest.mark.django_db

PASSWORD = "le-bon-mot-de-passe"


@pytest.fixture
def enforced(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True
    return settings


def code_for(device, *, offset=0):
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset
    return f"{totp.token():06d}"


def officer(email="olivier@example.test", **extra):
    return make_user(email, role=Role.OFFICER, funder=make_funder(), password=PASSWORD, **extra)


def with_app(user):
    device = TOTPDevice.objects.create(user=user, name="application", confirmed=True)
    codes = StaticDevice.objects.create(user=user, name="codes de secours", confirmed=True)
    StaticToken.objects.create(device=codes, token="secours1")
    return device


def password_step(client, email, next_url=""):
    data = {"username": email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("accounts:login"), data)


def logged_in(client):
    return "_auth_user_id" in client.session


def test_enforced_staff_without_a_device_is_led_to_enrolment_then_sees_codes_once(client, enforced):
    user = officer()
    response = password_step(client, user.email, next_url=reverse("backoffice:home"))
    assert response.url == reverse("accounts:mfa_enrol")
    assert not logged_in(client)

    page = client.get(reverse("accounts:mfa_enrol"))
    text = page_text(page)
    assert "Activer le double facteur" in text
    assert "<svg" in text and "QR code" in text
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    # Reloading the page keeps the same QR code (the person may have scanned it already).
    client.get(reverse("accounts:mfa_enrol"))
    assert TOTPDevice.objects.filter(user=user).get() == device

    refused = client.post(reverse("accounts:mfa_enrol"), {"code": "000000"})
    assert refused.status_code == 400
    assert not logged_in(client)
    # (A person types the next code more than the one-second delay after a mistake.)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)

    done = client.post(reverse("accounts:mfa_enrol"), {"code": code_for(device)})
    assert done.url == reverse("accounts:mfa_recovery_codes")
    assert logged_in(client)
    codes_page = page_text(client.get(done.url))
    codes = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(codes) == 10 and all(code in codes_page for code in codes)
    assert reverse("backoffice:home") in codes_page  # « continuer » goes where the person was going
    again = client.get(done.url)
    assert again.url == reverse("accounts:account")


def test_with_a_device_the_code_is_required_after_the_password(client, enforced):
    user = officer()
    device = with_app(user)
    response = password_step(client, user.email, next_url=reverse("backoffice:home"))
    assert response.url == reverse("accounts:mfa_second_step")
    assert not logged_in(client)
    # The password alone opens nothing.
    assert client.get(reverse("backoffice:home")).status_code == 302

    response = client.post(reverse("accounts:mfa_second_step"), {"code": code_for(device)})
    assert response.url == reverse("backoffice:home")
    assert logged_in(client)


def test_a_wrong_code_is_refused_throttled_and_ends_the_attempt_after_five(client, enforced):
    user = officer()
    device = with_app(user)
    password_step(client, user.email)
    wrong = client.post(reverse("accounts:mfa_second_step"), {"code": "123456"})
    assert wrong.status_code == 400
    assert "Ce code n'est pas le bon" in page_text(wrong)
    # Right after a mistake, even the right code waits (django-otp's growing delay).
    throttled = client.post(reverse("accounts:mfa_second_step"), {"code": code_for(device)})
    assert "Trop d'essais rapprochés" in page_text(throttled)
    assert not logged_in(client)
    for _ in range(3):
        client.post(reverse("accounts:mfa_second_step"), {"code": "123456"})
    assert AccessFailureLog.objects.filter(username=user.email).count() == 5
    response = client.get(reverse("accounts:mfa_second_step"))
    assert response.url == reverse("accounts:login")
    assert not logged_in(client)


def test_a_recovery_code_works_once(client, enforced):
    user = officer()
    with_app(user)
    password_step(client, user.email)
    response = client.post(reverse("accounts:mfa_second_step"), {"code": "SECOURS1"})
    assert response.status_code == 302 and logged_in(client)
    client.post(reverse("accounts:logout"))

    password_step(client, user.email)
    response = client.post(reverse("accounts:mfa_second_step"), {"code": "secours1"})
    assert response.status_code == 400
    assert not logged_in(client)


def test_the_pending_login_expires(client, enforced, monkeypatch):
    user = officer()
    with_app(user)
    password_step(client, user.email)
    later = time.time() + 6 * 60
    monkeypatch.setattr("pepiniere.accounts.mfa.time.time", lambda: later)
    response = client.get(reverse("accounts:mfa_second_step"))
    assert response.url == reverse("accounts:login")


def test_the_admin_needs_the_second_factor(client, enforced):
    admin = make_user(
        "root@example.test", role=Role.ADMIN, password=PASSWORD, is_staff=True, is_superuser=True
    )
    device = with_app(admin)
    client.force_login(admin)  # a session that skipped the second factor
    assert client.get(reverse("admin:index")).status_code == 302
    client.logout()

    response = client.post(
        reverse("admin:login"),
        {"username": admin.email, "password": PASSWORD, "next": reverse("admin:index")},
    )
    assert response.url == reverse("accounts:mfa_second_step")
    assert client.get(reverse("admin:index")).status_code == 302
    response = client.post(reverse("accounts:mfa_second_step"), {"code": code_for(device)})
    assert response.url == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_login_page_is_the_site_login_in_french(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert "Se connecter" in page_text(response)
    make_user("root@example.test", password=PASSWORD, is_staff=True, is_superuser=True)
    response = client.post(
        reverse("admin:login"), {"username": "root@example.test", "password": PASSWORD}
    )
    assert response.url == reverse("admin:index")


def test_enforcement_off_lets_staff_in_with_the_password(client, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False
    user = officer()
    response = password_step(client, user.email)
    assert response.status_code == 302 and logged_in(client)


def test_an_applicant_logs_in_with_the_password_and_may_opt_in(client, enforced):
    applicant = make_user("paula@example.test", password=PASSWORD)
    assert password_step(client, applicant.email).status_code == 302 and logged_in(client)

    page = page_text(client.get(reverse("accounts:account")))
    assert "Activer le double facteur" in page
    client.get(reverse("accounts:mfa_enrol"))
    device = TOTPDevice.objects.get(user=applicant)
    response = client.post(reverse("accounts:mfa_enrol"), {"code": code_for(device)})
    assert response.url == reverse("accounts:mfa_recovery_codes")
    client.get(response.url)
    client.post(reverse("accounts:logout"))

    response = password_step(client, applicant.email)
    assert response.url == reverse("accounts:mfa_second_step")
    assert not logged_in(client)

    # An applicant who opted in may opt out again; staff may not.
    client.force_login(applicant)
    client.post(reverse("accounts:mfa_turn_off"))
    assert not TOTPDevice.objects.filter(user=applicant).exists()


def test_enforced_staff_may_not_turn_the_second_factor_off(client, enforced):
    user = officer()
    with_app(user)
    client.force_login(user)
    response = client.post(reverse("accounts:mfa_turn_off"), follow=True)
    assert "obligatoire" in page_text(response)
    assert TOTPDevice.objects.filter(user=user).exists()


def test_new_recovery_codes_replace_the_old_ones(client):
    user = make_user(password=PASSWORD)
    with_app(user)
    client.force_login(user)
    response = client.post(reverse("accounts:mfa_regenerate_codes"))
    assert response.url == reverse("accounts:mfa_recovery_codes")
    tokens = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(tokens) == 10 and "secours1" not in tokens


def test_the_demo_page_exists_only_in_the_demo(client, settings):
    settings.DEMO_MODE = False
    assert client.get(reverse("accounts:mfa_demo")).status_code == 404
    assert "Essayer le double facteur" not in page_text(client.get(reverse("accounts:login")))
    settings.DEMO_MODE = True
    assert "Démonstration du double facteur" in page_text(client.get(reverse("accounts:mfa_demo")))
    assert "Essayer le double facteur" in page_text(client.get(reverse("accounts:login")))


def test_the_demo_shows_a_second_factor_login_and_an_enrolment(client, settings):
    from django.contrib.auth.hashers import make_password

    from pepiniere.demo.mfa_scenario import DEMO_RECOVERY_CODES, build_mfa_accounts

    settings.MFA_REQUIRED_FOR_STAFF = False  # as in the demo
    settings.DEMO_MODE = True
    build_mfa_accounts(password_hash=make_password("demo"), funder=make_funder())
    demo_page = page_text(client.get(reverse("accounts:mfa_demo")))
    device = TOTPDevice.objects.get(user__email="mfa@pepiniere.test")
    assert code_for(device) in demo_page

    login = {"username": "mfa@pepiniere.test", "password": "demo"}
    assert client.post(reverse("accounts:login"), login).url == reverse("accounts:mfa_second_step")
    client.post(reverse("accounts:mfa_second_step"), {"code": DEMO_RECOVERY_CODES[0]})
    assert logged_in(client)
    client.post(reverse("accounts:logout"))

    login = {"username": "mfa-nouveau@pepiniere.test", "password": "demo"}
    assert client.post(reverse("accounts:login"), login).url == reverse("accounts:mfa_enrol")


def test_the_admin_lists_devices_and_failed_logins_and_can_require_a_second_factor(client):
    root = make_user("root@example.test", is_staff=True, is_superuser=True)
    user = make_user("paula@example.test")
    with_app(user)
    client.force_login(root)
    for url in (
        reverse("admin:otp_totp_totpdevice_changelist"),
        reverse("admin:otp_static_staticdevice_changelist"),
        reverse("admin:axes_accessfailurelog_changelist"),
    ):
        assert client.get(url).status_code == 200, url
    page = page_text(client.get(reverse("admin:accounts_user_change", args=[user.pk])))
    assert "double facteur obligatoire" in page.lower()
