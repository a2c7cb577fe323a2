from typing import Any

from django import template

from pepiniere.applications.display import answer_text
from pepiniere.applications.models import Status
from pepiniere.applications.workflow import ACTION_LABELS
from pepiniere.audit.labels import action_label as audit_action_label
from pepiniere.calls.models import FormField

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


@register.simple_tag
def answer(field: FormField, answers: Any, columns: Any = None) -> str:
    """``{% answer f version.answers children as shown %}``: the answer to ``f`` as French text
    (see applications.display); ``columns`` maps a group's id to its columns."""
    value = answers.get(field.key) if isinstance(answers, dict) else None
    group_columns = columns.get(field.pk, []) if isinstance(columns, dict) else []
    return answer_text(field, value, group_columns)
