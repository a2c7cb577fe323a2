from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pepiniere.calls.models import CallPhase, Sector
from pepiniere.lib.forms import DateField, choice_field
from pepiniere.programmes.models import Axis, Funder
from pepiniere.territories.models import Departement

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class CatalogueFilterForm(forms.Form):
    phase = forms.ChoiceField(choices=CallPhase.choices, required=False, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Rechercher"), required=False, max_length=100)
    sector = forms.ChoiceField(label=_("Filière"), required=False)
    departement = forms.ChoiceField(label=_("Territoire (département)"), required=False)
    axis = forms.ChoiceField(label=_("Axe prioritaire"), required=False)
    funder = forms.ChoiceField(label=_("Financeur"), required=False)
    deadline_before = DateField(label=_("Date limite avant le"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything: list[tuple[str, StrOrPromise]] = [("", _("Tous"))]
        choice_field(self, "sector").choices = everything + [
            (s.code, s.label) for s in Sector.objects.all()
        ]
        choice_field(self, "departement").choices = everything + [
            (d.code, f"{d.code} — {d.name}") for d in Departement.objects.all()
        ]
        axes = {a.code: a.title for a in Axis.objects.filter(calls__is_published=True).distinct()}
        choice_field(self, "axis").choices = everything + sorted(
            axes.items(), key=lambda item: item[1]
        )
        choice_field(self, "funder").choices = everything + [
            (f.slug, f.name) for f in Funder.objects.filter(calls__is_published=True).distinct()
        ]
