"""The officer's campaign form: scope (a programme or a call of the funder), period, due date,
reminder days and extra questions."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pepiniere.calls.models import Call
from pepiniere.portfolio.models import QuestionKind
from pepiniere.programmes.models import Programme


def _days(text: str) -> list[int]:
    try:
        return [int(p) for p in text.replace(";", ",").split(",") if p.strip()]
    except ValueError:
        raise forms.ValidationError(
            _("Des nombres de jours séparés par des virgules, par exemple « 14, 3 ».")
        ) from None


class CampaignForm(forms.Form):
    scope = forms.ChoiceField(label=_("Structures sollicitées"))
    period_year = forms.IntegerField(label=_("Année"), min_value=2000)
    period_semester = forms.TypedChoiceField(
        label=_("Période"),
        choices=[("", _("l'année entière")), ("1", _("1er semestre")), ("2", _("2d semestre"))],
        required=False,
        coerce=int,
        empty_value=None,
    )
    due_date = forms.DateField(
        label=_("Date limite de réponse"), widget=forms.DateInput(attrs={"type": "date"})
    )
    title = forms.CharField(label=_("Intitulé (facultatif)"), max_length=200, required=False)
    reminder_days_before = forms.CharField(
        label=_("Rappels avant l'échéance (jours)"), initial="14, 3", required=False
    )
    reminder_days_after = forms.CharField(
        label=_("Relances après l'échéance (jours)"), initial="7, 30", required=False
    )
    questions = forms.CharField(
        label=_("Questions complémentaires (une par ligne ; « nombre : » ou « oui/non : » devant)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(
        self, *args: Any, programmes: list[Programme], calls: list[Call], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.programmes = {f"programme-{p.pk}": p for p in programmes}
        self.calls = {f"call-{c.pk}": c for c in calls}
        scope = self.fields["scope"]
        assert isinstance(scope, forms.ChoiceField)
        scope.choices = [
            (_("Programmes"), [(k, p.title) for k, p in self.programmes.items()]),
            (_("Appels à projets"), [(k, c.title) for k, c in self.calls.items()]),
        ]
        today = timezone.localdate()
        self.fields["period_year"].initial = today.year - 1
        self.fields["due_date"].initial = today + datetime.timedelta(days=45)

    def clean_reminder_days_before(self) -> list[int]:
        return _days(self.cleaned_data["reminder_days_before"])

    def clean_reminder_days_after(self) -> list[int]:
        return _days(self.cleaned_data["reminder_days_after"])

    def clean_questions(self) -> list[dict[str, str]]:
        questions = []
        for line in self.cleaned_data["questions"].splitlines():
            line = line.strip()
            if not line:
                continue
            kind = QuestionKind.TEXT
            head, sep, rest = line.partition(":")
            if sep and head.strip().lower() in {"nombre", "number"}:
                kind, line = QuestionKind.NUMBER, rest.strip()
            elif sep and head.strip().lower() in {"oui/non", "oui / non", "yes/no"}:
                kind, line = QuestionKind.YES_NO, rest.strip()
            questions.append({"label": line, "kind": kind})
        return questions

    def scope_objects(self) -> dict[str, Any]:
        key = self.cleaned_data["scope"]
        return {"programme": self.programmes.get(key), "call": self.calls.get(key)}
