from __future__ import annotations

from django import template

from pepiniere.organisations.models import OrganisationKind

register = template.Library()


@register.filter
def kind_label(value: str) -> str:
    """'association' → « association »: the organisation kind's French label."""
    return str(dict(OrganisationKind.choices).get(value, value))
