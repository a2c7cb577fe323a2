"""The person's API tokens on « Mon compte »: the list (a section of the account page), making one
(the key shown once) and revoking one."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from pepiniere.api import services
from pepiniere.api.models import ApiToken, TokenScope, default_expiry
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.lib.params import MAX_ID


def account_section(request: HttpRequest) -> str:
    """The « Jetons d'API » section of /compte/ (registered in ApiConfig.ready)."""
    if not request.user.is_authenticated:
        return ""
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id")
    return render_to_string("api/account_tokens.html", {"tokens": list(tokens)}, request=request)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Nom du jeton"),
        max_length=100,
        help_text=gettext_lazy(
            "Ce qui l'utilise, pour le reconnaître : « Export mensuel », « Script du CRM »…"
        ),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Droits"),
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Lecture seule : consulter vos dossiers, aides, conventions, versements et indicateurs. "
            "Lecture et écriture : aussi remplir les brouillons de dossiers et les rapports "
            "d'indicateurs."
        ),
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expire le"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Le jeton marche jusqu'à ce jour inclus ; un an au plus."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["expires_on"].initial = default_expiry(today)
        self.fields["expires_on"].widget.attrs.update(
            {
                "min": (today + datetime.timedelta(days=1)).isoformat(),
                "max": services.latest_expiry(today).isoformat(),
            }
        )


@login_required
@never_cache
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, key = services.create_token(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_on=form.cleaned_data["expires_on"],
            )
        except services.TokenError as error:
            form.add_error(error.field or None, error.message)
        else:
            # The key is on this page only: never in a redirect, a message or the session.
            return render(request, "api/token_created.html", {"token": token, "key": key})
    return render(
        request,
        "api/token_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=pk, user=request.user).first() if pk <= MAX_ID else None
    if token is None:  # another person's token is as absent as no token
        raise Http404(_("Ce jeton n'existe pas."))
    services.revoke_token(token=token, actor=request.user)
    messages.success(
        request,
        _("Le jeton « %(name)s » est révoqué : il ne donne plus accès à l'API.")
        % {"name": token.name},
    )
    return redirect(reverse("accounts:account") + "#jetons-api")
