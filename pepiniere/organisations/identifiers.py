"""French company and association identifiers, with messages that say which rule failed."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

RNA_RE = re.compile(r"^W\d{9}$", re.ASCII)
NAF_RE = re.compile(r"^\d{2}\.\d{2}[A-Z]$", re.ASCII)


def _digits(value: str) -> str:
    # People paste identifiers with spaces, dots or a trailing apostrophe (seen in published files).
    return re.sub(r"[\s.\-'’]", "", value or "")


def _refuse_other_digits(number: str, name: str) -> None:
    """Arabic-Indic, full-width or other Unicode digits pass str.isdigit() but are no SIREN."""
    if any(c.isdigit() and not c.isascii() for c in number):
        raise ValidationError(
            _("Le %(name)s s'écrit avec les chiffres de 0 à 9 (d'autres chiffres ont été saisis).")
            % {"name": name},
            code="digits",
        )


def clean_siren(value: str) -> str:
    number = _digits(value)
    _refuse_other_digits(number, "SIREN")
    if not (number.isascii() and number.isdigit()):
        raise ValidationError(_("Le SIREN ne doit contenir que des chiffres."), code="format")
    if len(number) != 9:
        raise ValidationError(
            _("Le SIREN doit comporter 9 chiffres (%(n)d saisis).") % {"n": len(number)},
            code="length",
        )
    try:
        return str(stdnum_siren.validate(number))
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(
            _(
                "Le SIREN %(number)s est invalide : sa clé de contrôle (algorithme de Luhn) ne "
                "correspond pas. Vérifiez chaque chiffre."
            )
            % {"number": number},
            code="checksum",
        ) from None


def clean_siret(value: str) -> str:
    number = _digits(value)
    _refuse_other_digits(number, "SIRET")
    if not (number.isascii() and number.isdigit()):
        raise ValidationError(_("Le SIRET ne doit contenir que des chiffres."), code="format")
    if len(number) != 14:
        raise ValidationError(
            _("Le SIRET doit comporter 14 chiffres (%(n)d saisis).") % {"n": len(number)},
            code="length",
        )
    try:
        clean_siren(number[:9])
    except ValidationError as error:
        raise ValidationError(
            _("Les 9 premiers chiffres du SIRET (le SIREN) sont invalides : %(error)s")
            % {"error": error.messages[0]},
            code="siren",
        ) from None
    try:
        return str(stdnum_siret.validate(number))
    except stdnum_errors.InvalidChecksum:
        if number.startswith("356000000"):
            message = _(
                "Le SIRET %(number)s d'un établissement de La Poste est invalide : la somme de ses "
                "chiffres doit être un multiple de 5."
            )
        else:
            message = _(
                "Le SIRET %(number)s est invalide : sa clé de contrôle (algorithme de Luhn sur les "
                "14 chiffres) ne correspond pas. Vérifiez le numéro d'établissement (NIC)."
            )
        raise ValidationError(message % {"number": number}, code="checksum") from None


def clean_rna(value: str) -> str:
    number = re.sub(r"\s", "", value or "").upper()
    _refuse_other_digits(number, "numéro RNA")
    if not number.startswith("W"):
        raise ValidationError(
            _("Le numéro RNA commence par la lettre W (ex. W332001234)."), code="prefix"
        )
    if not RNA_RE.match(number):
        raise ValidationError(
            _("Le numéro RNA est la lettre W suivie de 9 chiffres (%(n)d chiffres saisis).")
            % {"n": sum(c.isdigit() for c in number)},
            code="format",
        )
    return number


def clean_naf(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) == 5 and "." not in code:
        code = f"{code[:2]}.{code[2:]}"
    if not NAF_RE.match(code):
        raise ValidationError(
            _("Le code NAF s'écrit 2 chiffres, un point, 2 chiffres et une lettre (ex. 62.01Z)."),
            code="format",
        )
    return code
