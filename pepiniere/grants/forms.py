from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pepiniere.grants.models import LinkRelation
from pepiniere.lib.forms import AmountField, DateField, choice_field
from pepiniere.lib.params import InvalidParameter


class AwardForm(forms.Form):
    amount = AmountField(label=_("Montant de l'aide (€)"))
    decision_reference = forms.CharField(
        label=_("Référence de la décision"),
        max_length=100,
        help_text=_("Délibération ou arrêté, par exemple « CP n° 15.1234 »."),
    )
    decision_date = DateField(
        label=_("Date de la décision"),
        earliest=datetime.date(2000, 1, 1),
        help_text=_(
            "Date à laquelle le droit à l'aide est accordé : elle compte pour le plafond de minimis."
        ),
    )

    def __init__(self, *args: Any, funders: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.funders = funders
        # With one funder its share is the whole award: no field to fill.
        for funder in funders if len(funders) > 1 else []:
            self.fields[f"share_{funder.pk}"] = AmountField(
                label=_("Part de %(f)s (€)") % {"f": funder.name}, required=False
            )

    def shares(self) -> dict[int, Decimal]:
        return {f.pk: self.cleaned_data.get(f"share_{f.pk}") or Decimal("0") for f in self.funders}


class PolicyForm(forms.Form):
    letters_show_scores = forms.BooleanField(
        label=_("Les courriers indiquent les notes moyennes par critère"), required=False
    )
    letters_show_comments = forms.BooleanField(
        label=_("Les courriers citent les avis des expert·es (sans leur nom)"), required=False
    )
    de_minimis = forms.BooleanField(
        label=_("Aides accordées au titre du règlement de minimis (UE) 2023/2831"), required=False
    )
    signatory = forms.CharField(label=_("Signataire des courriers"), max_length=200, required=False)
    signatory_title = forms.CharField(
        label=_("Qualité du signataire"),
        max_length=200,
        required=False,
        help_text=_("Par exemple « Le Président du Conseil régional »."),
    )
    letter_place = forms.CharField(
        label=_("Lieu d'émission (« Bordeaux, le … »)"), max_length=100, required=False
    )
    letter_contact = forms.CharField(
        label=_("Affaire suivie par"),
        max_length=200,
        required=False,
        help_text=_("Nom et téléphone ou adresse électronique, imprimés dans les références."),
    )


class LetterTemplateForm(forms.Form):
    subject = forms.CharField(label=_("Objet"), max_length=300)
    body = forms.CharField(
        label=_("Corps du courrier (HTML)"),
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
        max_length=20_000,
    )


class CoFundingForm(forms.Form):
    funder = forms.TypedChoiceField(label=_("Cofinanceur"), coerce=int)
    amount = AmountField(label=_("Apport à l'enveloppe de l'appel (€)"))

    def __init__(self, *args: Any, co_funders: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "funder").choices = [(f.pk, f.name) for f in co_funders]


class AidDeclarationForm(forms.Form):
    funder_name = forms.CharField(label=_("Financeur qui a accordé l'aide"), max_length=200)
    amount = AmountField(
        label=_("Montant (€)"),
        help_text=_(
            "Montant de l'aide de minimis indiqué dans la décision (équivalent-subvention brut)."
        ),
    )
    granted_on = DateField(
        label=_("Date d'octroi"),
        earliest=datetime.date(2000, 1, 1),
        not_in_future=True,
        help_text=_("Date de la décision qui vous accorde l'aide, pas celle du versement."),
    )
    beneficiary_name = forms.ChoiceField(label=_("Bénéficiaire"), required=False)
    reference = forms.CharField(label=_("Référence (facultatif)"), max_length=100, required=False)

    def __init__(self, *args: Any, organisation: Any, links: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "beneficiary_name").choices = [("", organisation.name)] + [
            (link.name, link.name) for link in links
        ]


class LinkForm(forms.Form):
    name = forms.CharField(label=_("Raison sociale de l'entreprise liée"), max_length=200)
    siren = forms.CharField(label=_("SIREN (facultatif)"), max_length=11, required=False)
    relation = forms.ChoiceField(label=_("Nature du lien"), choices=LinkRelation.choices)


def link_decision(value: object) -> bool:
    """« confirm » or « contest » (the two buttons); anything else is a request we cannot mean."""
    if value == "confirm":
        return True
    if value == "contest":
        return False
    raise InvalidParameter(str(_("Décision sur le lien : « confirmer » ou « contester ».")))
