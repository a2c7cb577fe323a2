"""KPI figures on a page: French numbers (« 12,5 », « 1 200 »), FTE with one decimal, money in
euros, « — » for none (portfolio.figures.display)."""

from __future__ import annotations

from typing import Any

from django import template

from pepiniere.portfolio.figures import display

register = template.Library()


@register.filter
def figure(value: Any, kind: str = "") -> str:
    """``{{ report.fte|figure:"fte" }}``; kinds: "fte", "money", "percent", "" (a count)."""
    return display(value, kind)


@register.filter
def action(code: str) -> str:
    from pepiniere.audit.labels import action_label

    return action_label(code)
