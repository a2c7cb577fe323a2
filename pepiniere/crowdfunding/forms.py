from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from pepiniere.calls.models import Call
from pepiniere.crowdfunding.models import ProjectType
from pepiniere.lib.forms import AmountField, DateField

PARIS = ZoneInfo("Europe/Paris")


def start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0, 0), PARIS)


def end_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(23, 59, 59), PARIS)


class CampaignForm(forms.Form):
    call = forms.ModelChoiceField(
        label=_("Appel d'abondement"), queryset=Call.objects.none(), empty_label=None
    )
    title = forms.CharField(label=_("Titre de la campagne"), max_length=200)
    description = forms.CharField(
        label=_("Présentation (publique)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    project_type = forms.ChoiceField(label=_("Type de projet"), choices=ProjectType.choices)
    target = AmountField(label=_("Objectif de collecte (€)"))
    investment_expenses = AmountField(
        label=_("Dépenses d'investissement prévues (€)"),
        help_text=_("Équipement, travaux, matériel : seule cette part des dépenses est abondée."),
    )
    starts_on = DateField(label=_("Début de la collecte"))
    ends_on = DateField(
        label=_("Fin de la collecte"), help_text=_("La collecte se termine ce jour-là à minuit.")
    )
    platform_name = forms.CharField(label=_("Plateforme"), max_length=100)
    platform_url = forms.URLField(
        label=_("Adresse de la campagne sur la plateforme"), max_length=300
    )

    def __init__(self, *args: Any, calls: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["call"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = calls

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("La fin de la collecte suit son début."))
        return data


class PledgeForm(forms.Form):
    amount = AmountField(label=_("Montant (€)"))
    pledged_on = DateField(label=_("Date"))
    reference = forms.CharField(
        label=_("Référence"),
        max_length=100,
        help_text=_(
            "Numéro du reçu, du chèque ou de la transaction : une seule fois par campagne."
        ),
    )
    payer_name = forms.CharField(
        label=_("Nom du contributeur (facultatif, jamais publié)"), max_length=200, required=False
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Export CSV de la plateforme"))
