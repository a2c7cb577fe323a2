"""« Mon compte »: the person's own account (second factor, their data, closing the account)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pepiniere.accounts import mfa
from pepiniere.accounts.models import User


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    has_device = mfa.has_device(user)
    recovery_left = 0
    if has_device:
        from django_otp.plugins.otp_static.models import StaticToken

        recovery_left = StaticToken.objects.filter(device__user=user).count()
    return render(
        request,
        "accounts/account.html",
        {
            "has_device": has_device,
            "mfa_required": mfa.is_required(user),
            "may_turn_off": mfa.may_turn_off(user),
            "recovery_left": recovery_left,
        },
    )
