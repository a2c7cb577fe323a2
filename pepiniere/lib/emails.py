"""E-mail addresses typed by people: one validation everywhere an address is typed (sign-up,
expert and member invitations): Django's EmailValidator, at most 254 characters (RFC 5321's
limit on a path), trimmed and lower-cased, with a French message."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

MAX_EMAIL_LENGTH = 254
INVALID_MESSAGE = _(
    "Cette adresse électronique n'est pas valide : elle doit ressembler à nom@exemple.fr."
)
TOO_LONG_MESSAGE = _("Une adresse électronique compte au plus %(max)d caractères (ici %(n)d).")
_validator = EmailValidator(message=INVALID_MESSAGE)


def clean_email_address(value: Any) -> str:
    """The address as stored (trimmed, lower case); ValidationError with a French message."""
    email = str(value or "").strip().lower()
    if len(email) > MAX_EMAIL_LENGTH:
        raise ValidationError(
            TOO_LONG_MESSAGE, code="max_length", params={"max": MAX_EMAIL_LENGTH, "n": len(email)}
        )
    _validator(email)
    return email


class EmailAddressField(forms.EmailField):
    """A form field for a typed address, with clean_email_address's rules and messages."""

    default_error_messages = {"invalid": INVALID_MESSAGE}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_EMAIL_LENGTH)
        kwargs.setdefault("label", _("Adresse électronique"))
        super().__init__(**kwargs)
        # The length message says what the limit is, in French.
        self.validators = [v for v in self.validators if getattr(v, "code", "") != "max_length"]

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value) or "").strip().lower()

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value:
            clean_email_address(value)

    def run_validators(self, value: Any) -> None:
        # clean_email_address (in validate) already ran the EmailValidator.
        return None
