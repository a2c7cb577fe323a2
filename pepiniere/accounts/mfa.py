"""Second factor (django-otp): who needs one, the login in two steps, enrolment, recovery codes.

A login with a second factor is never a half-logged-in session: after the password, the session
only holds a *pending* login (the user id, for five minutes); Django's login() runs once the code
is right. Codes are TOTP (RFC 6238, any authenticator app) or single-use recovery codes
(django-otp's static tokens). Wrong codes are throttled by the device itself (django-otp's
exponential delay, stored on the device) and count as failed logins for django-axes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth import login, user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pepiniere.accounts.models import Role, User
from pepiniere.audit.services import record

PENDING_KEY = "pepiniere_mfa_pending"
ENROL_KEY = "pepiniere_mfa_enrol_device"
CODES_KEY = "pepiniere_mfa_new_codes"
PENDING_SECONDS = 5 * 60
MAX_CODE_FAILURES = 5
RECOVERY_CODE_COUNT = 10

# Roles that must use a second factor when MFA_REQUIRED_FOR_STAFF is on.
STAFF_ROLES = {Role.OFFICER.value, Role.FINANCE.value, Role.JURY.value, Role.ADMIN.value}


def is_mfa_staff(user: User) -> bool:
    return user.is_staff or user.is_superuser or bool(user.role_set & STAFF_ROLES)


def has_device(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def is_required(user: User) -> bool:
    """A second factor is asked of staff (when the setting is on), of an account an administrator
    marked, and of anyone who set one up."""
    if user.mfa_required or has_device(user):
        return True
    return bool(settings.MFA_REQUIRED_FOR_STAFF) and is_mfa_staff(user)


def may_turn_off(user: User) -> bool:
    """Applicants who opted in may turn the second factor off; staff and marked accounts may not."""
    if user.mfa_required:
        return False
    return not (settings.MFA_REQUIRED_FOR_STAFF and is_mfa_staff(user))


def is_satisfied(request: HttpRequest) -> bool:
    """The logged-in user passed the second factor, or needs none (used by the admin site)."""
    user = request.user
    if not user.is_authenticated:
        return False
    verified = getattr(user, "is_verified", None)
    if verified is not None and verified():
        return True
    assert isinstance(user, User)
    return not is_required(user)


# --- the pending login ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    user: User
    backend: str
    next_url: str


def begin_pending_login(request: HttpRequest, *, user: User, next_url: str) -> None:
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": getattr(user, "backend", "django.contrib.auth.backends.ModelBackend"),
        "next": next_url,
        "started": time.time(),
        "failures": 0,
    }


def pending_login(request: HttpRequest) -> Pending | None:
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict) or time.time() - float(data.get("started", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user = User.objects.filter(pk=int(data.get("user") or 0), is_active=True).first()
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return None
    return Pending(user=user, backend=str(data["backend"]), next_url=str(data["next"]))


def drop_pending_login(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)
    request.session.pop(ENROL_KEY, None)


def note_wrong_code(request: HttpRequest, pending: Pending) -> bool:
    """Count a wrong code; True when the pending login is dropped (too many wrong codes)."""
    data = request.session[PENDING_KEY]
    data["failures"] = int(data.get("failures", 0)) + 1
    request.session[PENDING_KEY] = data
    user_login_failed.send(
        sender=__name__,
        credentials={"username": pending.user.email, "second_factor": True},
        request=request,
    )
    if data["failures"] >= MAX_CODE_FAILURES:
        drop_pending_login(request)
        return True
    return False


def complete_login(request: HttpRequest, pending: Pending, device: Any) -> None:
    user = pending.user
    drop_pending_login(request)
    # django-otp's user_logged_in receiver stores the verified device in the session.
    user.otp_device = device  # type: ignore[attr-defined]
    login(request, user, backend=pending.backend)


# --- codes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeCheck:
    device: Any = None  # the device that accepted the code
    throttled: bool = False


def check_code(user: User, code: str) -> CodeCheck:
    """A 6-digit code is checked against the user's TOTP devices, anything else against the
    recovery codes (each works once: django-otp deletes it when it matches)."""
    code = "".join(code.split()).lower()
    devices: list[Any]
    if len(code) == 6 and code.isascii() and code.isdigit():
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    else:
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
    throttled = False
    for device in devices:
        allowed, _info = device.verify_is_allowed()
        if not allowed:
            throttled = True
            continue
        if device.verify_token(code):
            return CodeCheck(device=device)
    return CodeCheck(throttled=throttled)


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODE_COUNT new ones (shown once)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="codes de secours", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


# --- enrolment -----------------------------------------------------------------------------------


def enrolment_device(request: HttpRequest, user: User) -> TOTPDevice:
    """The unconfirmed TOTP device being set up in this session (one per session, so that
    reloading the page keeps the QR code the person may already have scanned)."""
    device_id = request.session.get(ENROL_KEY)
    device = TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="application", confirmed=False)
        request.session[ENROL_KEY] = device.pk
    return device


@transaction.atomic
def confirm_enrolment(*, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the device if the code is right; returns the new recovery codes (None if wrong)."""
    code = "".join(code.split())
    if not device.verify_token(code):
        return None
    user = device.user
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = new_recovery_codes(user)
    record(actor=user, obj=user, action="mfa_enabled")
    return codes


@transaction.atomic
def turn_off(*, user: User, actor: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    record(actor=actor, obj=user, action="mfa_disabled")


def otpauth_uri(device: TOTPDevice) -> str:
    return str(device.config_url)


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG QR code (segno, no network, no image file)."""
    qr = segno.make(otpauth_uri(device), error="m")
    svg: str = qr.svg_inline(scale=5, border=4, title="QR code")
    # An image to assistive technologies, named; the key is also given as text next to it.
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code" ', 1)


def secret_groups(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing it into an app by hand."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
