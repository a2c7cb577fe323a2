from __future__ import annotations

from django import template

from pepiniere.lib.money import from_cents
from pepiniere.lib.templatetags.money import eur

register = template.Library()


@register.filter
def cents_eur(value: int | str | None, mode: str = "") -> str:
    """Integer cents (the engine's unit) shown as euros: 5500000 → '55 000,00 €'."""
    if value is None or value == "":
        return "—"
    return eur(from_cents(int(value)), mode)
