"""Money: Decimal euros in the database, integer cents in the engine, French formatting on screen."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import format_currency
from django.db import models
from django.utils.translation import gettext as _

CENT = Decimal("0.01")


class MoneyField(models.DecimalField):
    """Euros with cents, up to 999 999 999 999,99 €."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


class AmountError(ValueError):
    """A typed amount or number that is refused; ``message`` says why, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# What a French user types: ASCII digits, spaces (plain, no-break or narrow no-break) between
# groups of three digits, one comma or point before the decimals, an optional euro sign.
GROUP_SPACES = " \xa0\u202f"
_NUMBER = re.compile(r"(?P<int>\d{1,3}(?:[ \xa0\u202f]\d{3})+|\d+)(?:[.,](?P<dec>\d+))?")
MAX_AMOUNT = Decimal("999999999999.99")  # MoneyField: 14 digits, 2 decimals


def parse_decimal(
    text: str,
    *,
    max_decimals: int | None = None,
    allow_negative: bool = True,
    currency: bool = False,
    maximum: Decimal | None = None,
) -> Decimal:
    """Parse a number typed by a French user ('550 000,50', '550000.50', '1 200 €' when
    ``currency``). Anything else raises AmountError with the reason: other digits than 0–9
    (Arabic-Indic, full-width…), underscores, exponents, 'NaN'/'Infinity', two separators
    ('1.200,50' is ambiguous), too many decimals, spaces that do not group thousands."""
    raw = str(text)
    shown = raw.strip()[:40]
    body = raw.strip(" \t\n\r" + GROUP_SPACES)
    if currency and body.endswith("€"):
        body = body[:-1].rstrip(" " + GROUP_SPACES)
    if not body:
        raise AmountError(_("Indiquez un montant.") if currency else _("Indiquez un nombre."))
    negative = body.startswith("-")
    if negative:
        body = body[1:]
    if any(ch.isdigit() and not ch.isascii() for ch in body) or any(
        unicodedata.category(ch) == "Nd" and not ch.isascii() for ch in body
    ):
        raise AmountError(
            _("« %(text)s » : écrivez les chiffres de 0 à 9 (d'autres chiffres ont été tapés).")
            % {"text": shown}
        )
    match = _NUMBER.fullmatch(body)
    if match is None:
        separators = sum(body.count(c) for c in ",.")
        strange = next((ch for ch in body if not (ch.isdigit() or ch in ",." + GROUP_SPACES)), None)
        if strange is not None:
            reason = _("le caractère « %(ch)s » n'est pas admis") % {"ch": strange}
        elif separators > 1:
            reason = _(
                "une seule virgule (ou un seul point) avant les décimales ; "
                "séparez les milliers par des espaces"
            )
        else:
            reason = _("les espaces séparent les milliers, par groupes de trois chiffres")
        raise AmountError(
            (
                _("« %(text)s » n'est pas un montant : %(reason)s (exemple : 40 000,50).")
                if currency
                else _("« %(text)s » n'est pas un nombre : %(reason)s (exemple : 1 200,5).")
            )
            % {"text": shown, "reason": reason}
        )
    decimals = match.group("dec") or ""
    if max_decimals is not None and len(decimals) > max_decimals:
        raise AmountError(
            _("« %(text)s » : au plus %(n)d chiffres après la virgule (les centimes).")
            % {"text": shown, "n": max_decimals}
        )
    if negative and not allow_negative:
        raise AmountError(
            _("« %(text)s » : le montant ne peut pas être négatif.") % {"text": shown}
        )
    digits = match.group("int")
    for space in GROUP_SPACES:
        digits = digits.replace(space, "")
    value = Decimal(f"{'-' if negative else ''}{digits}.{decimals or '0'}")
    if maximum is not None and abs(value) > maximum:
        raise AmountError(_("« %(text)s » : ce montant est trop élevé.") % {"text": shown})
    return value


def parse_amount(text: str) -> Decimal:
    """An amount in euros as a French user types it: at most two decimals, not negative, at
    most 999 999 999 999,99 €, optional '€'. Raises AmountError (a ValueError) with the reason."""
    value = parse_decimal(
        text, max_decimals=2, allow_negative=False, currency=True, maximum=MAX_AMOUNT
    )
    return value.quantize(CENT)


def format_eur_cents(cents: int) -> str:
    """12345678 → « 123 456,78 € », exactly what `format_eur(from_cents(cents))` writes in French
    (narrow no-break spaces between thousands, a no-break space before €), without Babel's
    pattern machinery: a payment run writes one per order, 10 000 in a run."""
    units, rest = divmod(abs(cents), 100)
    grouped = f"{units:,}".replace(",", "\u202f")
    return f"{'-' if cents < 0 else ''}{grouped},{rest:02d}\xa0€"


def format_eur(amount: Decimal | int | None, *, locale: str = "fr_FR", cents: bool = True) -> str:
    if amount is None:
        return ""
    text = format_currency(
        Decimal(amount),
        "EUR",
        locale=locale,
        format=None if cents else ("#,##0\xa0¤" if locale.startswith("fr") else "¤#,##0"),
        currency_digits=cents,
    )
    return text
