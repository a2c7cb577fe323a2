from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pepiniere.lib.forms import DateField
from pepiniere.organisations import identifiers
from pepiniere.organisations.models import Organisation, OrganisationKind
from pepiniere.territories.codes import departement_of_commune


class OrganisationForm(forms.ModelForm):
    # Wider than the stored value: people type spaces and dots; clean_* normalises.
    siret = forms.CharField(label=_("SIRET du siège"), max_length=30, required=False)
    rna = forms.CharField(label=_("numéro RNA"), max_length=20, required=False)
    naf_code = forms.CharField(label=_("code NAF/APE"), max_length=10, required=False)
    postal_code = forms.CharField(label=_("code postal"), max_length=10, required=False)
    creation_date = DateField(label=_("date de création"), required=False, not_in_future=True)

    class Meta:
        model = Organisation
        fields = [
            "name",
            "kind",
            "siret",
            "rna",
            "legal_form",
            "naf_code",
            "street_address",
            "postal_code",
            "commune_code",
            "commune_name",
            "departement",
            "creation_date",
            "size_band",
            "website",
            "representative_name",
            "representative_title",
        ]
        help_texts = {
            "siret": _(
                "14 chiffres, ceux du siège (sur l'avis de situation Insee ou l'extrait Kbis)."
            ),
            "rna": _("Pour une association : W suivi de 9 chiffres (récépissé de déclaration)."),
            "naf_code": _("Ex. 62.01Z."),
            "street_address": _("Celle du siège, imprimée dans les conventions."),
            "commune_code": _(
                "Code INSEE à 5 caractères (pas le code postal), ex. 33063 pour Bordeaux."
            ),
        }

    def _get_validation_exclusions(self) -> set[str]:
        # The unique SIREN/RNA constraints are the services' business: a second claim becomes a
        # request to join, not a form error.
        exclusions: set[str] = super()._get_validation_exclusions()  # type: ignore[misc]
        return exclusions | {"siren", "rna"}

    def clean_siret(self) -> str:
        value = self.cleaned_data.get("siret", "")
        return identifiers.clean_siret(value) if value.strip() else ""

    def clean_rna(self) -> str:
        value = self.cleaned_data.get("rna", "")
        return identifiers.clean_rna(value) if value.strip() else ""

    def clean_naf_code(self) -> str:
        value = self.cleaned_data.get("naf_code", "")
        return identifiers.clean_naf(value) if value.strip() else ""

    def clean_postal_code(self) -> str:
        value = "".join(self.cleaned_data.get("postal_code", "").split())
        if value and not (len(value) == 5 and value.isdigit()):
            raise forms.ValidationError(_("Un code postal français a 5 chiffres, ex. 33000."))
        return value

    def clean_commune_code(self) -> str:
        value: str = self.cleaned_data.get("commune_code", "")
        value = value.strip().upper()
        if value:
            departement_of_commune(value)
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what ModelForm.clean() returns
        kind = data.get("kind")
        if kind == OrganisationKind.ASSOCIATION:
            if not data.get("rna") and not data.get("siret") and "rna" not in self.errors:
                self.add_error(
                    "rna", _("Une association indique son numéro RNA (ou, à défaut, son SIRET).")
                )
        elif kind and not data.get("siret") and "siret" not in self.errors:
            self.add_error("siret", _("Indiquez le SIRET de votre structure."))
        commune = data.get("commune_code")
        departement = data.get("departement")
        if commune and departement and departement_of_commune(commune) != departement.code:
            self.add_error(
                "commune_code",
                _("La commune %(code)s n'est pas dans le département %(dep)s.")
                % {"code": commune, "dep": departement},
            )
        return data


class AddMemberForm(forms.Form):
    email = forms.EmailField(
        label=_("Inviter une personne (adresse électronique)"),
        help_text=_("Elle reçoit une invitation et rejoint la structure en l'acceptant."),
    )


class BankDetailsForm(forms.Form):
    """What the member types; the service checks it (IBAN, BIC, RIB) and says what is wrong."""

    holder = forms.CharField(
        label=_("titulaire du compte"),
        max_length=140,
        help_text=_("Tel qu'il figure sur le RIB : en principe, le nom de la structure."),
    )
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        help_text=_("Les espaces sont acceptés, ex. FR76 3000 6000 0112 3456 7890 189."),
    )
    bic = forms.CharField(
        label=_("BIC"),
        max_length=20,
        required=False,
        help_text=_("Déduit de l'IBAN quand la banque est connue ; sinon, recopiez celui du RIB."),
    )
    rib = forms.FileField(
        label=_("RIB (relevé d'identité bancaire)"),
        required=False,
        help_text=_("PDF, PNG ou JPEG, 5 Mo au plus, au nom de la structure."),
    )


class BankDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("validate", _("valider")), ("reject", _("refuser"))],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label=_("motif du refus"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire pour un refus ; la structure le lira."),
    )
