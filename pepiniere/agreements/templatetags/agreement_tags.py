from django import template

from pepiniere.audit.labels import action_label, state_label

register = template.Library()


@register.filter(name="audit_action")
def audit_action(value: str) -> str:
    return action_label(value)


@register.filter(name="audit_state")
def audit_state(value: str) -> str:
    return state_label(value)
