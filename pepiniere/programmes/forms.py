"""The labels page's forms: a new label, a holding granted, a holding ended."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pepiniere.lib.forms import DateField
from pepiniere.organisations.models import Organisation
from pepiniere.programmes.models import Funder, Label, LabelKind
from pepiniere.territories.models import Departement


class LabelForm(forms.Form):
    name = forms.CharField(label=_("Nom du label"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Détenu par"), choices=LabelKind.choices, widget=forms.RadioSelect
    )
    awarding_funder = forms.ModelChoiceField(
        label=_("Financeur qui le décerne"),
        queryset=Funder.objects.none(),
        required=False,
        empty_label=_("— un autre organisme —"),
    )
    awarding_body = forms.CharField(
        label=_("Ou : organisme qui le décerne"),
        max_length=200,
        required=False,
        help_text=_("Seulement s'il n'est pas un financeur de la plateforme."),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, funders: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["awarding_funder"].queryset = funders  # type: ignore[attr-defined]


class HoldingForm(forms.Form):
    """One form for both kinds of label; the fields of the other kind are left out."""

    identifier = forms.CharField(
        label=_("SIRET, SIREN ou RNA de la structure"), max_length=20, required=False
    )
    territory_name = forms.CharField(
        label=_("Nom du territoire"),
        max_length=200,
        required=False,
        help_text=_("Par exemple « Bordeaux Métropole »."),
    )
    departement = forms.ModelChoiceField(
        label=_("Département entier"),
        queryset=Departement.objects.all(),
        required=False,
        empty_label=_("— aucun —"),
    )
    communes = forms.CharField(
        label=_("Communes (codes INSEE)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Séparés par des virgules, des espaces ou des retours à la ligne, ex. 33063."),
    )
    start_date = DateField(label=_("Début"))
    end_date = DateField(
        label=_("Fin (facultative)"),
        required=False,
        help_text=_("Le dernier jour où le label est détenu."),
    )
    decision_reference = forms.CharField(
        label=_("Référence de la décision"), max_length=200, required=False
    )

    def __init__(self, *args: Any, label: Label, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = label
        if label.kind == LabelKind.ORGANISATION:
            for name in ("territory_name", "departement", "communes"):
                del self.fields[name]
            self.fields["identifier"].required = True
        else:
            del self.fields["identifier"]
            self.fields["territory_name"].required = True
        departements = self.fields.get("departement")
        if departements is not None:
            departements.label_from_instance = lambda d: f"{d.code} — {d.name}"  # type: ignore[attr-defined]

    def clean_identifier(self) -> Organisation | None:
        raw = self.cleaned_data.get("identifier", "")
        text = re.sub(r"\s", "", raw or "").upper()
        if not text:
            return None
        if re.fullmatch(r"W\d{9}", text):
            found = Organisation.objects.filter(rna=text).first()
        elif re.fullmatch(r"\d{14}", text):
            found = Organisation.objects.filter(siret=text).first()
        elif re.fullmatch(r"\d{9}", text):
            found = Organisation.objects.filter(siren=text).first()
        else:
            raise forms.ValidationError(
                _(
                    "Écrivez un SIRET (14 chiffres), un SIREN (9 chiffres) ou un RNA (W et 9 chiffres)."
                )
            )
        if found is None:
            raise forms.ValidationError(
                _("Aucune structure de la plateforme n'a l'identifiant %(id)s.") % {"id": text}
            )
        return found

    def clean_communes(self) -> list[str]:
        raw = self.cleaned_data.get("communes", "") or ""
        return [part for part in re.split(r"[\s,;]+", raw) if part]


class EndHoldingForm(forms.Form):
    end_date = DateField(label=_("Dernier jour"))
    reason = forms.CharField(label=_("Motif"), max_length=300, required=False)
