"""``{% call_tabs call as tabs %}``: the tabs of a call's back-office pages the person may open."""

from __future__ import annotations

from typing import Any

from django import template

from pepiniere.calls.models import Call
from pepiniere.home.menu import Tab, call_tabs

register = template.Library()


@register.simple_tag(takes_context=True, name="call_tabs")
def call_tabs_tag(context: dict[str, Any], call: Call) -> list[Tab]:
    request = context.get("request")
    if request is None:
        return []
    return call_tabs(request.user, call)
