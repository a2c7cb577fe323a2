from __future__ import annotations

import datetime

from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlencode, urlsafe_base64_decode, urlsafe_base64_encode

from pepiniere.accounts.models import Role, RoleGrant, User
from pepiniere.audit.services import record, trail_for
from pepiniere.lib.mail import mail_on_commit

SIGN_UP_WARNING_INTERVAL = datetime.timedelta(minutes=15)


@transaction.atomic
def register_applicant(
    *, email: str, full_name: str, password: str, language: str = "fr", active: bool = True
) -> User:
    user = User.objects.create_user(
        email=email, password=password, full_name=full_name, language=language, is_active=active
    )
    RoleGrant.objects.create(user=user, role=Role.APPLICANT)
    record(actor=user, obj=user, action="sign_up")
    return user


@transaction.atomic
def sign_up(
    *, email: str, full_name: str, password: str, language: str = "fr", next_url: str = ""
) -> None:
    """The same outcome for the person signing up whether or not the address has an account:
    a new address gets an inactive account and an activation link; an address that already has
    one gets a message to its owner ("someone tried to sign up with your address")."""
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        make_password(password)  # the same hashing time as a new account: no timing tell
        recent = (
            trail_for(existing)
            .filter(action="sign_up_attempt", at__gte=timezone.now() - SIGN_UP_WARNING_INTERVAL)
            .exists()
        )
        record(actor=None, obj=existing, action="sign_up_attempt", public=False)
        if recent:
            return  # one warning per interval: sign-up is no way to flood someone's mailbox
        mail_on_commit(
            template="registration/email/signup_existing.txt",
            to=existing.email,
            language=existing.language,
            context={
                "name": existing.get_short_name(),
                "login": reverse("accounts:login"),
                "reset": reverse(
                    "accounts:password_reset_confirm",
                    args=[
                        urlsafe_base64_encode(force_bytes(existing.pk)),
                        default_token_generator.make_token(existing),
                    ],
                ),
            },
        )
        return
    user = register_applicant(
        email=email, full_name=full_name, password=password, language=language, active=False
    )
    mail_on_commit(
        template="registration/email/signup_activate.txt",
        to=user.email,
        language=language,
        context={
            "name": user.get_short_name(),
            "link": reverse(
                "accounts:activate",
                args=[
                    urlsafe_base64_encode(force_bytes(user.pk)),
                    default_token_generator.make_token(user),
                ],
            )
            + (f"?{urlencode({'next': next_url})}" if next_url else ""),
        },
    )


def user_from_link(uidb64: str, token: str) -> User | None:
    """The account an activation or reset link is for, if the link is genuine and still valid."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, UnicodeDecodeError, OverflowError):
        return None
    user = User.objects.filter(pk=pk).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


@transaction.atomic
def activate_account(*, user: User) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        record(actor=user, obj=user, action="activate")
    return user
