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


# --- bank details (schwifty) -----------------------------------------------------------------

_BBAN_PARTS = re.compile(r"(\d+)!([nace])")


def _country_name(code: str) -> str:
    from babel import Locale

    return str(Locale("fr").territories.get(code, code))


def _bban_format(spec: str) -> str:
    """« 5!n5!n11!c2!n » → « 5 chiffres, 5 chiffres, 11 lettres ou chiffres, 2 chiffres »."""
    kinds = {
        "n": _("chiffres"),
        "a": _("lettres majuscules"),
        "c": _("lettres ou chiffres"),
        "e": _("espaces"),
    }
    return ", ".join(f"{count} {kinds[kind]}" for count, kind in _BBAN_PARTS.findall(spec))


def clean_iban(value: str) -> str:
    """The IBAN, compact and in capitals, or a ValidationError saying what is wrong: characters,
    country, length, format, check digits (mod 97) or, where schwifty knows the national
    algorithm (France: the clé RIB), the national key."""
    import warnings

    from schwifty import IBAN
    from schwifty import exceptions as iban_errors

    number = "".join((value or "").split()).upper()
    if not number:
        raise ValidationError(_("Indiquez l'IBAN."), code="required")
    wrong = sorted({c for c in number if not (c.isascii() and c.isalnum())})
    if wrong:
        raise ValidationError(
            _(
                "Un IBAN ne contient que des lettres et des chiffres (les espaces sont acceptés) : "
                "retirez %(chars)s."
            )
            % {"chars": " ".join(f"« {c} »" for c in wrong)},
            code="characters",
        )
    if len(number) < 5 or not number[:2].isalpha() or not number[2:4].isdigit():
        raise ValidationError(
            _(
                "Un IBAN commence par le code du pays en deux lettres puis deux chiffres de "
                "contrôle (ex. FR76 3000 6000 0112 3456 7890 189)."
            ),
            code="format",
        )
    iban = IBAN(number, allow_invalid=True)
    try:
        spec = iban.spec
    except iban_errors.InvalidCountryCode:
        raise ValidationError(
            _("« %(code)s » n'est pas le code d'un pays qui utilise l'IBAN.")
            % {"code": number[:2]},
            code="country",
        ) from None
    country = {"country": _country_name(number[:2]), "code": number[:2]}
    if not spec.in_sepa_zone:
        raise ValidationError(
            _(
                "Les aides sont versées par virement SEPA : un compte dont l'IBAN commence par "
                "%(code)s (%(country)s), hors de la zone SEPA, ne peut pas les recevoir."
            )
            % country,
            code="sepa",
        )
    if len(number) != spec.iban_length:
        raise ValidationError(
            _(
                "Un IBAN de %(country)s (%(code)s) compte %(expected)d caractères ; celui-ci en "
                "compte %(length)d. Vérifiez qu'il n'en manque pas ou qu'il n'y en a pas en trop."
            )
            % {**country, "expected": spec.iban_length, "length": len(number)},
            code="length",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NationalChecksumNotVerified: nothing to check there
            iban.validate(validate_bban=True)
    except iban_errors.InvalidStructure:
        raise ValidationError(
            _(
                "Un IBAN de %(country)s s'écrit %(code)s, deux chiffres de contrôle, puis "
                "%(format)s : ce n'est pas le cas de celui-ci."
            )
            % {**country, "format": _bban_format(spec.bban_spec)},
            code="structure",
        ) from None
    except iban_errors.InvalidChecksumDigits:
        raise ValidationError(
            _(
                "Les chiffres de contrôle de l'IBAN (« %(digits)s », après %(code)s) ne "
                "correspondent pas au reste du numéro : un caractère est sans doute mal recopié. "
                "Vérifiez-le sur le RIB."
            )
            % {"digits": number[2:4], "code": number[:2]},
            code="checksum",
        ) from None
    except iban_errors.InvalidBBANChecksum:
        raise ValidationError(
            _(
                "La clé nationale du compte (pour la France, la clé RIB : les deux derniers "
                "chiffres) ne correspond pas au code banque, au guichet et au numéro de compte. "
                "Vérifiez-les sur le RIB."
            ),
            code="national_checksum",
        ) from None
    except iban_errors.SchwiftyException as error:
        raise ValidationError(
            _("Cet IBAN n'est pas valide (%(error)s).") % {"error": error}, code="invalid"
        ) from None
    return str(iban.compact)


def bank_of_iban(iban: str) -> tuple[str, str]:
    """(BIC, bank name) from schwifty's bank registry for a valid IBAN; ("", "") when unknown."""
    from schwifty import IBAN

    parsed = IBAN(iban, allow_invalid=True)
    try:
        bic = parsed.bic
        name = parsed.bank_name or ""
    except Exception:  # noqa: BLE001 - an unknown bank code is not an error, just no BIC
        return "", ""
    return (str(bic.compact) if bic is not None else ""), name


def clean_bic(value: str) -> str:
    """The BIC (8 or 11 characters), compact and in capitals, or a ValidationError saying why."""
    from schwifty import BIC
    from schwifty import exceptions as bic_errors

    code = "".join((value or "").split()).upper()
    if not code:
        raise ValidationError(_("Indiquez le BIC (il figure sur le RIB)."), code="required")
    if len(code) not in (8, 11):
        raise ValidationError(
            _("Un BIC compte 8 ou 11 caractères (%(n)d saisis).") % {"n": len(code)},
            code="length",
        )
    try:
        bic = BIC(code)
    except bic_errors.InvalidCountryCode:
        raise ValidationError(
            _(
                "Les 5e et 6e caractères d'un BIC sont le code du pays de la banque : « %(code)s » "
                "n'en est pas un."
            )
            % {"code": code[4:6]},
            code="country",
        ) from None
    except bic_errors.SchwiftyException:
        raise ValidationError(
            _(
                "Un BIC s'écrit 4 lettres (la banque), 2 lettres (le pays), 2 lettres ou chiffres "
                "(la ville), et éventuellement 3 lettres ou chiffres (l'agence)."
            ),
            code="structure",
        ) from None
    return str(bic.compact)


def grouped_iban(iban: str) -> str:
    """« FR7630006000011234567890189 » → « FR76 3000 6000 0112 3456 7890 189 »."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def masked_iban(iban: str) -> str:
    """Every character but the last four hidden: « •••• •••• •••• •••• •••• •••0 189 »."""
    return grouped_iban("•" * max(0, len(iban) - 4) + iban[-4:])
