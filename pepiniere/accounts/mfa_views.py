"""Pages of the second factor: the code after the password, enrolment, recovery codes, demo."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from pepiniere.accounts import mfa
from pepiniere.accounts.models import User


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=64,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


def _expired(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("Votre connexion a expiré : saisissez à nouveau votre mot de passe."))
    return redirect("accounts:login")


def second_step(request: HttpRequest) -> HttpResponse:
    """After the password: the code from the authenticator app, or a recovery code."""
    pending = mfa.pending_login(request)
    if pending is None:
        return _expired(request)
    if not mfa.has_device(pending.user):
        return redirect("accounts:mfa_enrol")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        check = mfa.check_code(pending.user, form.cleaned_data["code"])
        if check.device is not None:
            mfa.complete_login(request, pending, check.device)
            if check.device.__class__.__name__ == "StaticDevice":
                remaining = check.device.token_set.count()
                messages.warning(
                    request,
                    _(
                        "Code de secours utilisé : il ne servira plus. Il vous en reste %(n)s ; "
                        "vous pouvez en générer de nouveaux depuis « Mon compte »."
                    )
                    % {"n": remaining},
                )
            return redirect(pending.next_url)
        dropped = mfa.note_wrong_code(request, pending)
        if dropped:
            messages.error(
                request,
                _("Trop de codes erronés : saisissez à nouveau votre mot de passe."),
            )
            return redirect("accounts:login")
        status = 400
        if check.throttled:
            form.add_error(
                "code",
                _("Trop d'essais rapprochés : attendez quelques secondes puis réessayez."),
            )
        else:
            form.add_error("code", _("Ce code n'est pas le bon (ou il a expiré). Réessayez."))
    return render(
        request,
        "registration/mfa_second_step.html",
        {"form": form, "pending_user": pending.user},
        status=status,
    )


def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: during a pending login (staff without a device) or from the
    account page (anyone who opts in)."""
    pending = mfa.pending_login(request)
    if pending is not None:
        user = pending.user
    elif request.user.is_authenticated:
        assert isinstance(request.user, User)
        user = request.user
    else:
        return _expired(request)
    device = mfa.enrolment_device(request, user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        codes = mfa.confirm_enrolment(device=device, code=form.cleaned_data["code"])
        if codes is not None:
            request.session.pop(mfa.ENROL_KEY, None)
            if pending is not None:
                next_url = pending.next_url
                mfa.complete_login(request, pending, device)
            else:
                next_url = reverse("accounts:account")
                otp_login(request, device)
            request.session[mfa.CODES_KEY] = {"codes": codes, "next": next_url}
            return redirect("accounts:mfa_recovery_codes")
        status = 400
        form.add_error(
            "code",
            _("Ce code n'est pas le bon : vérifiez l'heure de votre téléphone et réessayez."),
        )
    return render(
        request,
        "registration/mfa_enrol.html",
        {
            "form": form,
            "qr_svg": mfa.qr_svg(device),
            "secret": mfa.secret_groups(device),
            "during_login": pending is not None,
            "enrolling_user": user,
        },
        status=status,
    )


@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once (they are stored only as the device's tokens)."""
    data = request.session.pop(mfa.CODES_KEY, None)
    if not isinstance(data, dict):
        messages.info(
            request,
            _(
                "Les codes de secours ne s'affichent qu'une fois ; générez-en de nouveaux si besoin."
            ),
        )
        return redirect("accounts:account")
    return render(
        request,
        "registration/mfa_recovery_codes.html",
        {"codes": data["codes"], "next_url": data["next"]},
    )


@login_required
@require_POST
def regenerate_recovery_codes(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    if not mfa.has_device(request.user):
        return redirect("accounts:account")
    codes = mfa.new_recovery_codes(request.user)
    request.session[mfa.CODES_KEY] = {"codes": codes, "next": reverse("accounts:account")}
    return redirect("accounts:mfa_recovery_codes")


@login_required
@require_POST
def turn_off(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    if not mfa.may_turn_off(request.user):
        messages.error(request, _("Le double facteur est obligatoire pour votre compte."))
        return redirect("accounts:account")
    mfa.turn_off(user=request.user, actor=request.user)
    messages.success(request, _("Le double facteur est désactivé pour votre compte."))
    return redirect("accounts:account")


def demo(request: HttpRequest) -> HttpResponse:
    """Demo only: how to try the second factor without an authenticator app."""
    if not settings.DEMO_MODE:
        raise Http404
    from pepiniere.demo.mfa_scenario import DEMO_MFA_ACCOUNTS

    accounts = []
    for email, _label in DEMO_MFA_ACCOUNTS:
        # The confirmed device, else the one being set up (enrolment in progress).
        device = TOTPDevice.objects.filter(user__email=email).order_by("-confirmed", "-pk").first()
        accounts.append(
            {
                "email": email,
                "device": device,
                "secret": mfa.secret_groups(device) if device else "",
                "current_code": _current_code(device) if device else "",
            }
        )
    return render(request, "registration/mfa_demo.html", {"accounts": accounts})


def _current_code(device: TOTPDevice) -> str:
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"
