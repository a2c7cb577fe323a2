from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import get_language

from pepiniere.lib.money import format_eur

register = template.Library()


@register.filter
def eur(value: Decimal | int | None, mode: str = "") -> str:
    """550000 → '550 000,00 €' (French) or '€550,000.00' (English); mode 'whole' drops cents."""
    if value is None or value == "":
        return "—"
    locale = "en_GB" if (get_language() or "fr").startswith("en") else "fr_FR"
    return format_eur(Decimal(value), locale=locale, cents=mode != "whole")


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None
