"""« Mon compte »: the person's own account (second factor, their data, closing the account)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pepiniere.accounts import mfa, privacy
from pepiniere.accounts.hooks import account_sections
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
            "sections": [html for section in account_sections if (html := section(request))],
        },
    )


@login_required
def download_data(request: HttpRequest) -> HttpResponse:
    """The person's data as a JSON file (GDPR: access and portability)."""
    user = request.user
    assert isinstance(user, User)
    data = privacy.export_personal_data(user=user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="mes-donnees-pepiniere.json"'
    return response


class CloseAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Votre mot de passe, pour confirmer"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("Je comprends que mon compte sera fermé définitivement."), required=True
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Ce mot de passe n'est pas le bon."))
        return password


@login_required
def close_account(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = CloseAccountForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        privacy.close_account(user=user, actor=user)
        logout(request)
        messages.success(
            request,
            _(
                "Votre compte est fermé et votre identité effacée. Les dossiers déposés restent à "
                "la structure ; leurs chiffres servent aux statistiques, sans votre nom."
            ),
        )
        return redirect("calls:catalogue")
    return render(
        request,
        "accounts/close_account.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )
