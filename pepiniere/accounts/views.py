from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pepiniere.accounts import mfa
from pepiniere.accounts.forms import ActivationForm, EmailAuthenticationForm, SignupForm
from pepiniere.accounts.models import User
from pepiniere.accounts.services import activate_account, sign_up, user_from_link
from pepiniere.accounts.throttle import unlock_account


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("applications:mine")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        sign_up(
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            password=form.cleaned_data["password1"],
            language=(get_language() or "fr")[:2],
            next_url=_safe_next(request, ""),
        )
        # The same page whether or not the address already had an account.
        return redirect("accounts:signup_sent")
    return render(
        request, "registration/signup.html", {"form": form, "next": _safe_next(request, "")}
    )


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/signup_sent.html")


def activate(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link from the sign-up e-mail. Asking for the password chosen at sign-up means that a
    person who never signed up cannot be made to activate an account someone else prepared."""
    user = user_from_link(uidb64, token)
    if user is None or user.is_active:
        return render(request, "registration/activate.html", {"invalid": True}, status=400)
    form = ActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if user.check_password(form.cleaned_data["password"]):
            user = activate_account(user=user)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, _("Bienvenue ! Déclarez maintenant votre structure pour candidater.")
            )
            return redirect(_safe_next(request, reverse("organisations:create")))
        form.add_error(
            "password",
            _(
                "Ce n'est pas le mot de passe choisi à l'inscription. Si vous l'avez oublié, "
                "inscrivez-vous de nouveau avec la même adresse : vous recevrez un lien pour en "
                "choisir un autre."
            ),
        )
    return render(request, "registration/activate.html", {"form": form})


class LoginView(auth_views.LoginView):
    """The password step. When the account needs a second factor, nothing is logged in yet: the
    session holds a pending login and the next page asks for the code (or sets up the app)."""

    authentication_form = EmailAuthenticationForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["demo_mode"] = settings.DEMO_MODE
        return context

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        assert isinstance(user, User)
        if not mfa.is_required(user):
            return super().form_valid(form)
        mfa.begin_pending_login(self.request, user=user, next_url=self.get_success_url())
        if mfa.has_device(user):
            return redirect("accounts:mfa_second_step")
        return redirect("accounts:mfa_enrol")


login_view = LoginView.as_view()


class LogoutView(auth_views.LogoutView):
    """Django's logout; the response also asks the browser to forget this site's local storage
    (the local copies of drafts, see static/js/pepiniere.js)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"storage"'
        return response


logout_view = LogoutView.as_view()
password_reset = auth_views.PasswordResetView.as_view(
    success_url=reverse_lazy("accounts:password_reset_done"),
    email_template_name="registration/password_reset_email.txt",
)
password_reset_done = auth_views.PasswordResetDoneView.as_view()


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view; a new password also lifts a login lockout on the account (the person proved
    they own the mailbox, so the failed attempts were not theirs or no longer matter)."""

    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        unlock_account(email=form.user.email)
        # The link reached the mailbox: an account never activated is now (the link from a
        # second sign-up with the same address leads here).
        activate_account(user=form.user)
        return response


password_reset_confirm = PasswordResetConfirmView.as_view()
password_reset_complete = auth_views.PasswordResetCompleteView.as_view()
