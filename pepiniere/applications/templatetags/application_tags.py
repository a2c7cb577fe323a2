from django import template

from pepiniere.applications.models import Status
from pepiniere.applications.workflow import ACTION_LABELS

register = template.Library()
_LABELS = dict(Status.choices)


@register.filter
def status_label(value: str) -> str:
    return str(_LABELS.get(value, value or "—"))


@register.filter
def action_label(value: str) -> str:
    return str(ACTION_LABELS.get(value, value))
