from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pepiniere.agreements.models import Trigger
from pepiniere.agreements.schedule import StepSpec, parse_percent
from pepiniere.lib.forms import AmountField, DateField

SCHEDULE_ROWS = 6
EARLIEST = datetime.date(2000, 1, 1)


class ScheduleForm(forms.Form):
    """Up to six instalments (a row left without a share is ignored)."""

    def __init__(self, *args: Any, steps: list[StepSpec] | None = None, **kwargs: Any) -> None:
        initial = kwargs.setdefault("initial", {})
        for index, step in enumerate(steps or []):
            initial.setdefault(
                f"percent_{index}", f"{step.percent.normalize():f}".replace(".", ",")
            )
            initial.setdefault(f"trigger_{index}", step.trigger)
            initial.setdefault(f"label_{index}", step.label)
        super().__init__(*args, **kwargs)
        for index in range(SCHEDULE_ROWS):
            self.fields[f"percent_{index}"] = forms.CharField(
                label=_("Part (%%) de la tranche %(n)d") % {"n": index + 1},
                required=False,
                max_length=10,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
            )
            self.fields[f"trigger_{index}"] = forms.ChoiceField(
                label=_("Déclencheur de la tranche %(n)d") % {"n": index + 1},
                choices=[("", "—"), *Trigger.choices],
                required=False,
            )
            self.fields[f"label_{index}"] = forms.CharField(
                label=_("Libellé de la tranche %(n)d") % {"n": index + 1},
                required=False,
                max_length=200,
            )

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"percent_{i}"], self[f"trigger_{i}"], self[f"label_{i}"])
            for i in range(SCHEDULE_ROWS)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        steps: list[StepSpec] = []
        for index in range(SCHEDULE_ROWS):
            text = (data.get(f"percent_{index}") or "").strip()
            trigger = data.get(f"trigger_{index}") or ""
            if not text and not trigger:
                continue
            percent = parse_percent(text)
            if percent is None:
                self.add_error(f"percent_{index}", _("Indiquez une part en %, ex. 50 ou 33,33."))
                continue
            if not trigger:
                self.add_error(f"trigger_{index}", _("Choisissez ce qui déclenche cette tranche."))
                continue
            steps.append(StepSpec(percent, trigger, data.get(f"label_{index}") or ""))
        data["steps"] = steps
        return data


class TermsForm(forms.Form):
    amount = AmountField(label=_("Montant de l'aide (€)"))
    aid_rate = forms.CharField(
        label=_("Taux d'aide (%)"),
        max_length=10,
        help_text=_("Part du budget éligible que l'aide couvre, ex. 70 ou 66,67."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    eligible_budget = AmountField(label=_("Budget des dépenses éligibles (€)"))
    start_date = DateField(label=_("Début du projet"), earliest=EARLIEST)
    end_date = DateField(
        label=_("Fin du projet"),
        earliest=EARLIEST,
        help_text=_("Les dépenses doivent être faites entre ces deux dates."),
    )
    purpose = forms.CharField(
        label=_("Objet de l'avenant"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    def __init__(self, *args: Any, amendment: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.amendment = amendment
        if not amendment:
            # The initial agreement carries the award's amount: an amendment changes it.
            del self.fields["amount"]
            del self.fields["purpose"]
        else:
            self.fields["purpose"].required = True

    def clean_aid_rate(self) -> Decimal:
        value = parse_percent(self.cleaned_data.get("aid_rate") or "")
        if value is None:
            raise forms.ValidationError(_("Indiquez un taux en %, ex. 70 ou 66,67."))
        return value


class SignatureForm(forms.Form):
    name = forms.CharField(label=_("Vos prénom et nom"), max_length=200)
    title = forms.CharField(
        label=_("Votre qualité"),
        max_length=200,
        help_text=_("Ex. Présidente, Gérant, Président de l'association."),
    )
    consent = forms.BooleanField(required=False)
    shown_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)


class TerminationForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de la résiliation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class TemplateForm(forms.Form):
    body = forms.CharField(
        label=_("Texte de la convention (HTML avec les champs de l'aide)"),
        widget=forms.Textarea(attrs={"rows": 30, "class": "code", "spellcheck": "false"}),
        max_length=60_000,
        strip=False,
    )
    funder_address = forms.CharField(
        label=_("Adresse du financeur"),
        max_length=300,
        required=False,
        help_text=_(
            "Imprimée dans les parties, ex. « 14 rue François de Sourdis, 33077 Bordeaux Cedex »."
        ),
    )
