"""Demo: two staff accounts that show the second factor (the rest of the demo does without).

mfa@pepiniere.test has an authenticator app set up with a known key (printed by `pepiniere
demo`, and its current code shown on /compte/double-facteur/demo/); mfa-nouveau@pepiniere.test
must set one up at its first login (enrolment).
"""

from __future__ import annotations

import hashlib
from base64 import b32encode

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pepiniere.accounts.models import Role, RoleGrant, User
from pepiniere.programmes.models import Funder

DEMO_MFA_ACCOUNTS = [
    ("mfa@pepiniere.test", "second-factor login (app already set up)"),
    ("mfa-nouveau@pepiniere.test", "second-factor enrolment at first login"),
]
# A fixed key, so that the demo is the same every time and a visitor can add it to an app.
DEMO_TOTP_KEY = hashlib.sha1(b"pepiniere-demo-mfa", usedforsecurity=False).hexdigest()
DEMO_RECOVERY_CODES = ["demo2fa1", "demo2fa2", "demo2fa3"]


def demo_totp_secret() -> str:
    return b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode().rstrip("=")


def build_mfa_accounts(*, password_hash: str, funder: Funder) -> None:
    names = {
        "mfa@pepiniere.test": "Maël Double-Facteur",
        "mfa-nouveau@pepiniere.test": "Nina Nouvelle-Venue",
    }
    for email, _label in DEMO_MFA_ACCOUNTS:
        user = User.objects.create_user(
            email=email, password=None, full_name=names[email], mfa_required=True
        )
        user.password = password_hash
        user.save(update_fields=["password"])
        RoleGrant.objects.create(user=user, role=Role.OFFICER, funder=funder)
    with_app = User.objects.get(email="mfa@pepiniere.test")
    TOTPDevice.objects.create(user=with_app, name="application", key=DEMO_TOTP_KEY, confirmed=True)
    codes = StaticDevice.objects.create(user=with_app, name="codes de secours", confirmed=True)
    StaticToken.objects.bulk_create(
        [StaticToken(device=codes, token=token) for token in DEMO_RECOVERY_CODES]
    )
