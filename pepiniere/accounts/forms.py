from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm
from django.utils.translation import gettext_lazy as _

from pepiniere.accounts.models import User
from pepiniere.lib.emails import EmailAddressField


class SignupForm(BaseUserCreationForm):
    email = EmailAddressField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    class Meta:
        model = User
        fields = ("email", "full_name")

    def clean_email(self) -> str:
        # Never says whether the address has an account (the sign-up service e-mails its owner).
        email: str = self.cleaned_data["email"]
        return email.strip().lower()

    def validate_unique(self) -> None:
        # The model's unique e-mail would say "already exists": the service handles that case.
        pass


class InvitedSignupForm(BaseUserCreationForm):
    """Account creation from an invitation link: the address is the invited one (the link proves
    it), so only the name and the password are asked."""

    class Meta:
        model = User
        fields = ("full_name",)


class ActivationForm(forms.Form):
    password = forms.CharField(
        label=_("Mot de passe choisi à l'inscription"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Adresse électronique"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        return username.strip().lower()
