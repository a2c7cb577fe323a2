"""The expert's own profile form: what they know, how much they can take, when, and who they are
linked to (conflicts of interest are detected from those SIRENs)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pepiniere.calls.models import Sector
from pepiniere.lib.forms import DateField
from pepiniere.organisations.identifiers import clean_siren
from pepiniere.reviews.models import ReviewerProfile


class ReviewerProfileForm(forms.ModelForm[ReviewerProfile]):
    sectors = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Filières"),
        queryset=Sector.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    max_load = forms.IntegerField(
        label=gettext_lazy("Nombre maximal de dossiers par appel"),
        min_value=0,
        max_value=100,
        error_messages={"invalid": gettext_lazy("Indiquez un nombre entier de dossiers.")},
    )

    class Meta:
        model = ReviewerProfile
        fields = [
            "expertise",
            "keywords",
            "sectors",
            "languages",
            "max_load",
            "available_from",
            "available_until",
            "related_sirens",
        ]
        labels = {
            "related_sirens": gettext_lazy(
                "SIREN de vos employeurs et des structures auxquelles vous êtes lié·e"
            ),
        }
        help_texts = {
            "related_sirens": gettext_lazy(
                "Séparés par des virgules ou des espaces : les conflits d'intérêts sont détectés "
                "automatiquement."
            ),
        }
        # One date parser for the platform (lib.dates): dd/mm/yyyy or the date input's ISO form.
        field_classes = {"available_from": DateField, "available_until": DateField}
        widgets = {
            "expertise": forms.Textarea(attrs={"rows": 5}),
        }

    def clean_related_sirens(self) -> str:
        """Each SIREN checked (length, Luhn) with the rule it breaks; stored normalised, one space
        apart. Separators: commas, semicolons, new lines or spaces; a SIREN typed in groups of
        digits ("732 829 320") is read as one."""
        sirens, problems = [], []
        for token in _siren_tokens(self.cleaned_data.get("related_sirens") or ""):
            try:
                sirens.append(clean_siren(token))
            except ValidationError as error:
                problems.extend(error.messages)
        if problems:
            raise ValidationError(problems)
        return " ".join(dict.fromkeys(sirens))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("available_from"), cleaned.get("available_until")
        if start and end and end < start:
            self.add_error("available_until", _("La fin de disponibilité précède son début."))
        return cleaned


def _siren_tokens(raw: str) -> list[str]:
    """Split what was typed into SIREN candidates: space-separated groups are joined until they
    make 9 digits, so "732 829 320 552100554" gives two; a group that does not add up is left
    as typed for clean_siren to explain."""
    tokens: list[str] = []
    for chunk in re.split(r"[,;\n]+", raw):
        buffer = ""
        for part in chunk.split():
            buffer = f"{buffer} {part}".strip()
            if len(re.sub(r"\D", "", buffer)) >= 9:
                tokens.append(buffer)
                buffer = ""
        if buffer:
            tokens.append(buffer)
    return tokens
