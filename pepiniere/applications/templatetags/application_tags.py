from django import template

from pepiniere.applications.models import Status

register = template.Library()
_LABELS = dict(Status.choices)


@register.filter
def status_label(value: str) -> str:
    return str(_LABELS.get(value, value or "—"))
