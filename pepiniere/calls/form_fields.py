"""Form fields for a call's list settings: nobody types JSON, neither in the builder nor in the admin.

The model keeps plain lists (JSONField); these fields show them as one item per line, or as
checkboxes, and turn what was typed back into exactly the list the applicant's form reads."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

COMMUNE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


class LinesField(forms.CharField):
    """A list of strings typed one per line (blank lines and surrounding spaces dropped, each item
    kept once, in the order typed)."""

    widget = forms.Textarea(attrs={"rows": 5})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, (list, tuple)):
            lines = [str(item) for item in value]
        else:
            lines = str(value or "").splitlines()
        seen: dict[str, None] = {}
        for line in lines:
            item = " ".join(line.split())
            if item:
                seen.setdefault(item, None)
        return list(seen)

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value: Any) -> None:
        for item in value or []:
            super().run_validators(item)


class ChoicesLinesField(LinesField):
    """The options of a choice question, one per line."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        for item in value:
            if len(item) > 200:
                raise forms.ValidationError(
                    _("« %(item)s… » : 200 caractères au plus par option."),
                    params={"item": item[:40]},
                )


class CommunesField(LinesField):
    """INSEE commune codes (5 characters: 33063, 2A004), separated by lines, spaces or commas."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, (list, tuple)):
            value = "\n".join(str(item) for item in value)
        return super().to_python(re.sub(r"[\s,;]+", "\n", str(value or "")).upper())

    def validate(self, value: Any) -> None:
        super().validate(value)
        wrong = [code for code in value if not COMMUNE_RE.match(code)]
        if wrong:
            raise forms.ValidationError(
                _(
                    "Ces codes ne sont pas des codes commune INSEE (5 caractères, ex. 33063 "
                    "pour Bordeaux) : %(codes)s."
                ),
                params={"codes": ", ".join(wrong[:10])},
            )


class ListMultipleChoiceField(forms.TypedMultipleChoiceField):
    """Checkboxes stored as a plain list of codes."""

    widget = forms.CheckboxSelectMultiple

    def prepare_value(self, value: Any) -> Any:
        return list(value or [])
