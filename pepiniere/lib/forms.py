"""Typed access to a bound form's fields."""

from __future__ import annotations

from django import forms


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's own copy of the ChoiceField ``name``, to set its choices in ``__init__``
    (``form.fields`` holds plain Fields as far as the type checker knows)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField), f"{name} is not a ChoiceField"
    return field
