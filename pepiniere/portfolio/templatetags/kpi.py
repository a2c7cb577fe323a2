"""KPI figures on a page: French numbers (« 12,5 », « 1 200 »), money in euros, « — » for none."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from django import template
from django.utils.translation import get_language

from pepiniere.lib.money import format_eur

register = template.Library()


def _locale() -> str:
    return "en_GB" if (get_language() or "fr").startswith("en") else "fr_FR"


@register.filter
def figure(value: Any, kind: str = "") -> str:
    if value is None or value == "":
        return "—"
    if kind == "money":
        return format_eur(Decimal(value), locale=_locale(), cents=False)
    text = format_decimal(Decimal(value), format="#,##0.##", locale=_locale())
    return f"{text}\u00a0%" if kind == "percent" else text


@register.filter
def action(code: str) -> str:
    from pepiniere.audit.labels import action_label

    return action_label(code)
