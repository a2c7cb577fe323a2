from django import template

from pepiniere.applications.models import Status
from pepiniere.applications.workflow import ACTION_LABELS
from pepiniere.audit.labels import action_label as audit_action_label

register = template.Library()
_LABELS = dict(Status.choices)


@register.filter
def status_label(value: str) -> str:
    return str(_LABELS.get(value, value or "—"))


@register.filter
def action_label(value: str) -> str:
    """The application's own wording for its transitions, else the audit trail's label (a
    decision letter, a review…): never the raw code."""
    label = ACTION_LABELS.get(value)
    return str(label) if label is not None else audit_action_label(value)
