"""Money: Decimal euros in the database, integer cents in the engine, French formatting on screen."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_currency
from django.db import models

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


def parse_amount(text: str) -> Decimal:
    """Parse an amount typed by a French or English speaker: '550 000,50', '550000.50', '1 200 €'."""
    cleaned = (
        str(text)
        .replace("\u202f", "")
        .replace("\xa0", "")
        .replace(" ", "")
        .replace("€", "")
        .strip()
    )
    if "," in cleaned and "." in cleaned:
        # The last separator is the decimal one: '1.200,50' or '1,200.50'.
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


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
