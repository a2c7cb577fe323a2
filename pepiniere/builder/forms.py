"""The builder's forms: ordinary controls, French messages, nothing typed as JSON."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from pepiniere.builder.starting_points import STARTING_POINTS
from pepiniere.calls.form_fields import (
    ChoicesLinesField,
    CommunesField,
    ListMultipleChoiceField,
)
from pepiniere.calls.models import Call, FieldKind, Sector
from pepiniere.lib.forms import AmountField, typed_amount
from pepiniere.lib.params import MAX_ID
from pepiniere.lib.uploads import sanitise_filename, structure_error
from pepiniere.organisations.models import LegalForm, OrganisationKind, SizeBand
from pepiniere.programmes.models import Axis, Funder, Label, Programme
from pepiniere.territories.models import Departement, Region

PARIS_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M"]

# Former regions (before 2016) whose départements calls still name: "whole region" shortcuts next to
# the current regions of the reference data.
FORMER_REGIONS = {
    "ex-aquitaine": (
        _("ancienne région Aquitaine (24, 33, 40, 47, 64)"),
        ["24", "33", "40", "47", "64"],
    ),
    "ex-limousin": (_("ancien Limousin (19, 23, 87)"), ["19", "23", "87"]),
    "ex-poitou-charentes": (
        _("ancien Poitou-Charentes (16, 17, 79, 86)"),
        ["16", "17", "79", "86"],
    ),
}


def _bad_id(model: Any, value: Any) -> bool:
    """An integer primary key the database could not even compare (« 999…9 », « ١٢ », « 1e3 »)."""
    if not isinstance(model._meta.pk, (models.AutoField, models.BigAutoField, models.IntegerField)):
        return False
    text = str(value)
    return not (text.isascii() and text.isdigit() and int(text) <= MAX_ID)


class SafeModelChoiceField(forms.ModelChoiceField):
    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and _bad_id(self.queryset.model, value):  # type: ignore[union-attr]
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class SafeModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> Any:
        for item in value:
            if _bad_id(self.queryset.model, item):  # type: ignore[union-attr]
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": item},
                )
        return super()._check_values(value)  # type: ignore[misc]


def paris_datetime(label: Any, required: bool = True, help_text: Any = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=PARIS_DATETIME,
        input_formats=DATETIME_FORMATS,
        help_text=help_text or _("Heure de Paris."),
    )


class StartForm(forms.Form):
    """The first page: what to start from, and what a copy asks anew."""

    start = forms.ChoiceField(label=_("Point de départ"), widget=forms.RadioSelect, initial="blank")
    source = SafeModelChoiceField(
        label=_("Appel à copier"),
        queryset=Call.objects.none(),
        required=False,
        help_text=_(
            "Formulaire, grille, éligibilité, documents, réglages d'évaluation et courriers sont copiés."
        ),
    )
    title = forms.CharField(label=_("Titre de l'appel"), max_length=200)
    funder = SafeModelChoiceField(label=_("Financeur"), queryset=Funder.objects.none())
    programme = SafeModelChoiceField(label=_("Programme"), queryset=Programme.objects.none())
    axis = SafeModelChoiceField(
        label=_("Axe prioritaire"), queryset=Axis.objects.none(), required=False
    )
    envelope = AmountField(label=_("Enveloppe (€)"), help_text=_("Exemple : 550 000"))
    opens_at = paris_datetime(_("Ouverture des dépôts"))
    closes_at = paris_datetime(_("Date limite de dépôt"))

    def __init__(self, *args: Any, funders: Any, calls: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("blank", _("Un appel vierge"))]
        choices += [(code, point.title) for code, point in STARTING_POINTS.items()]
        choices.append(("copy", _("La copie d'un appel précédent")))
        self.fields["start"].choices = choices  # type: ignore[attr-defined]
        self.fields["funder"].queryset = funders  # type: ignore[attr-defined]
        self.fields["programme"].queryset = Programme.objects.filter(  # type: ignore[attr-defined]
            funder__in=funders
        ).select_related("funder")
        self.fields["axis"].queryset = Axis.objects.filter(  # type: ignore[attr-defined]
            programme__funder__in=funders
        ).select_related("programme")
        self.fields["source"].queryset = calls  # type: ignore[attr-defined]
        if len(funders) == 1:
            self.fields["funder"].initial = funders.first()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") == "copy" and not data.get("source"):
            self.add_error("source", _("Choisissez l'appel à copier."))
        programme, funder, axis = data.get("programme"), data.get("funder"), data.get("axis")
        if programme and funder and programme.funder_id != funder.pk:
            self.add_error("programme", _("Ce programme n'appartient pas à ce financeur."))
        if axis and programme and axis.programme_id != programme.pk:
            self.add_error("axis", _("Cet axe n'appartient pas à ce programme."))
        _check_dates(self, data.get("opens_at"), data.get("closes_at"))
        envelope = data.get("envelope")
        if envelope is not None and envelope <= 0:
            self.add_error("envelope", _("L'enveloppe doit être positive."))
        return data


def _check_dates(form: forms.BaseForm, opens_at: Any, closes_at: Any) -> None:
    if opens_at and closes_at and closes_at <= opens_at:
        form.add_error("closes_at", _("La date limite de dépôt doit suivre la date d'ouverture."))


class GeneralForm(forms.ModelForm):
    envelope = AmountField(label=_("Enveloppe (€)"))
    opens_at = paris_datetime(_("Ouverture des dépôts"))
    closes_at = paris_datetime(_("Date limite de dépôt"))

    class Meta:
        model = Call
        fields = [
            "title",
            "summary",
            "description",
            "programme",
            "axis",
            "sectors",
            "co_funders",
            "envelope",
            "opens_at",
            "closes_at",
            "contact_email",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "sectors": forms.CheckboxSelectMultiple,
            "co_funders": forms.CheckboxSelectMultiple,
        }
        labels = {"co_funders": _("Cofinanceurs")}
        field_classes = {
            "programme": SafeModelChoiceField,
            "axis": SafeModelChoiceField,
            "sectors": SafeModelMultipleChoiceField,
            "co_funders": SafeModelMultipleChoiceField,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        call = self.instance
        self.fields["programme"].queryset = Programme.objects.filter(funder=call.funder_id)  # type: ignore[attr-defined]
        self.fields["axis"].queryset = Axis.objects.filter(programme__funder=call.funder_id)  # type: ignore[attr-defined]
        self.fields["co_funders"].queryset = Funder.objects.exclude(pk=call.funder_id)  # type: ignore[attr-defined]
        self.fields["sectors"].queryset = Sector.objects.all()  # type: ignore[attr-defined]
        # Saved as the officer goes; the publication checklist asks for them before publishing.
        self.fields["summary"].required = False
        self.fields["description"].required = False
        if not self.is_bound and call.envelope is not None:
            self.initial["envelope"] = typed_amount(call.envelope)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_dates(self, data.get("opens_at"), data.get("closes_at"))
        axis, programme = data.get("axis"), data.get("programme")
        if axis and programme and axis.programme_id != programme.pk:
            self.add_error("axis", _("Cet axe n'appartient pas à ce programme."))
        envelope = data.get("envelope")
        if envelope is not None and envelope <= 0:
            self.add_error("envelope", _("L'enveloppe doit être positive."))
        return data


def _label_choice(label: Label) -> str:
    return _("%(name)s (décerné par %(body)s)") % {"name": label.name, "body": label.awarded_by}


class EligibilityForm(forms.ModelForm):
    regions = forms.MultipleChoiceField(
        label=_("Raccourcis : régions entières"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Cochez une région pour ajouter tous ses départements à la liste ci-dessous."),
    )
    eligible_kinds = ListMultipleChoiceField(
        label=_("Types de structure éligibles"),
        choices=OrganisationKind.choices,
        required=False,
        help_text=_("Aucune case cochée : toutes les structures."),
    )
    eligible_communes = CommunesField(
        label=_("Communes éligibles (codes INSEE)"),
        required=False,
        help_text=_(
            "Un code par ligne ou séparés par des virgules, ex. 33063 ; vide : pas de restriction par commune."
        ),
    )
    max_requested_amount = AmountField(label=_("Montant maximal demandé (€)"), required=False)

    class Meta:
        model = Call
        fields = [
            "eligible_departements",
            "eligible_communes",
            "eligible_kinds",
            "eligible_legal_forms",
            "eligible_size_bands",
            "min_age_years",
            "max_age_years",
            "required_labels",
            "max_requested_amount",
            "max_aid_rate",
        ]
        widgets = {
            "eligible_departements": forms.CheckboxSelectMultiple,
            "required_labels": forms.CheckboxSelectMultiple,
            "eligible_legal_forms": forms.SelectMultiple(attrs={"size": 8}),
            "eligible_size_bands": forms.CheckboxSelectMultiple,
        }
        labels = {
            "eligible_departements": _("Départements éligibles"),
            "eligible_legal_forms": _("Formes juridiques éligibles"),
            "eligible_size_bands": _("Tranches d'effectifs éligibles"),
            "required_labels": _("Labels exigés"),
            "min_age_years": _("Ancienneté minimale (années)"),
            "max_age_years": _("Ancienneté maximale (années)"),
            "max_aid_rate": _("Taux d'aide maximal (% du budget du projet)"),
        }
        help_texts = {
            "eligible_departements": _("Aucun coché : tout le territoire."),
            "eligible_legal_forms": _(
                "Aucune choisie : toutes. Ctrl ou Cmd + clic pour en choisir plusieurs."
            ),
            "eligible_size_bands": _("Aucune cochée : toutes les tailles."),
            "required_labels": _(
                "Aucun coché : pas de label exigé. Plusieurs cochés : l'un d'eux suffit, détenu "
                "par la structure ou par son territoire à la date du dépôt."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.max_requested_amount is not None:
            self.initial["max_requested_amount"] = typed_amount(self.instance.max_requested_amount)
        regions: list[tuple[str, Any]] = [
            (f"region-{r.code}", f"{r.name} ({r.code})") for r in Region.objects.all()
        ]
        regions += [(code, label) for code, (label, _codes) in FORMER_REGIONS.items()]
        self.fields["regions"].choices = regions  # type: ignore[attr-defined]
        departements = self.fields["eligible_departements"]
        departements.queryset = Departement.objects.all()  # type: ignore[attr-defined]
        departements.label_from_instance = lambda d: f"{d.code} — {d.name}"  # type: ignore[attr-defined]
        legal = self.fields["eligible_legal_forms"]
        legal.queryset = LegalForm.objects.all()  # type: ignore[attr-defined]
        legal.label_from_instance = lambda f: f"{f.label} ({f.code})"  # type: ignore[attr-defined]
        bands = self.fields["eligible_size_bands"]
        bands.queryset = SizeBand.objects.all()  # type: ignore[attr-defined]
        bands.label_from_instance = lambda b: b.label  # type: ignore[attr-defined]
        labels = self.fields["required_labels"]
        labels.queryset = Label.objects.select_related("awarding_funder")  # type: ignore[attr-defined]
        labels.label_from_instance = _label_choice  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = list(data.get("eligible_departements") or [])
        codes: set[str] = set()
        for shortcut in data.get("regions") or []:
            if shortcut.startswith("region-"):
                codes.update(
                    Departement.objects.filter(region_id=shortcut[7:]).values_list(
                        "code", flat=True
                    )
                )
            elif shortcut in FORMER_REGIONS:
                codes.update(FORMER_REGIONS[shortcut][1])
        if codes:
            extra = Departement.objects.filter(code__in=codes)
            data["eligible_departements"] = list({d.pk: d for d in [*chosen, *extra]}.values())
        low, high = data.get("min_age_years"), data.get("max_age_years")
        if low is not None and high is not None and low > high:
            self.add_error("max_age_years", _("L'ancienneté maximale doit dépasser la minimale."))
        amount = data.get("max_requested_amount")
        if amount is not None and amount <= 0:
            self.add_error("max_requested_amount", _("Le montant doit être positif."))
        return data


KINDS = [(value, capfirst(label)) for value, label in FieldKind.choices]


class NewQuestionForm(forms.Form):
    label = forms.CharField(label=_("Intitulé de la question"), max_length=300)
    kind = forms.ChoiceField(label=_("Type de réponse"), choices=KINDS)


class NewColumnForm(forms.Form):
    label = forms.CharField(label=_("Intitulé de la colonne"), max_length=300)
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=[
            (k.value, capfirst(k.label))
            for k in (FieldKind.SHORT_TEXT, FieldKind.NUMBER, FieldKind.AMOUNT, FieldKind.DATE)
        ],
    )


EXTENSIONS = [
    ("pdf", "PDF"),
    ("odt", "ODT (texte)"),
    ("docx", "DOCX (Word)"),
    ("ods", "ODS (tableur)"),
    ("xlsx", "XLSX (Excel)"),
    ("jpg", "JPG"),
    ("jpeg", "JPEG"),
    ("png", "PNG"),
]


class QuestionForm(forms.Form):
    """Every setting of a question; the page shows those of its kind."""

    label = forms.CharField(label=_("Intitulé"), max_length=300)
    help_text = forms.CharField(
        label=_("Aide affichée sous la question"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    kind = forms.ChoiceField(label=_("Type de réponse"), choices=KINDS)
    required = forms.BooleanField(label=_("Réponse obligatoire"), required=False)
    word_limit = forms.IntegerField(
        label=_("Nombre de mots maximal"), required=False, min_value=1, max_value=100000
    )
    min_value = forms.DecimalField(
        label=_("Valeur minimale"), required=False, max_digits=14, decimal_places=2
    )
    max_value = forms.DecimalField(
        label=_("Valeur maximale"), required=False, max_digits=14, decimal_places=2
    )
    choices = ChoicesLinesField(
        label=_("Options proposées"), required=False, help_text=_("Une option par ligne.")
    )
    max_rows = forms.IntegerField(
        label=_("Nombre de lignes maximal"), required=False, min_value=1, max_value=500
    )
    allowed_extensions = forms.MultipleChoiceField(
        label=_("Formats de fichier acceptés"),
        choices=EXTENSIONS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    max_file_mb = forms.IntegerField(
        label=_("Taille maximale (Mo)"), required=False, min_value=1, max_value=100
    )

    def __init__(self, *args: Any, columns: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if columns:
            self.fields["kind"].choices = NewColumnForm.base_fields["kind"].choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        low, high = data.get("min_value"), data.get("max_value")
        if low is not None and high is not None and low > high:
            self.add_error("max_value", _("Le maximum doit dépasser le minimum."))
        if (
            kind in (FieldKind.CHOICE, FieldKind.MULTI_CHOICE)
            and len(data.get("choices") or []) < 2
        ):
            self.add_error("choices", _("Proposez au moins deux options, une par ligne."))
        if kind == FieldKind.FILE:
            if not data.get("allowed_extensions"):
                self.add_error("allowed_extensions", _("Cochez au moins un format."))
            if not data.get("max_file_mb"):
                self.add_error("max_file_mb", _("Indiquez la taille maximale."))
        return data

    def values(self) -> dict[str, Any]:
        """The settings as the model stores them; those of other kinds are cleared."""
        data = self.cleaned_data
        kind = data["kind"]
        values: dict[str, Any] = {
            "label": data["label"],
            "help_text": data["help_text"],
            "kind": kind,
            "required": data["required"],
            "word_limit": data["word_limit"] if kind == FieldKind.LONG_TEXT else None,
            "min_value": data["min_value"]
            if kind in (FieldKind.NUMBER, FieldKind.AMOUNT)
            else None,
            "max_value": data["max_value"]
            if kind in (FieldKind.NUMBER, FieldKind.AMOUNT)
            else None,
            "choices": data["choices"]
            if kind in (FieldKind.CHOICE, FieldKind.MULTI_CHOICE)
            else [],
            "max_rows": data["max_rows"] if kind == FieldKind.GROUP else None,
        }
        if kind == FieldKind.FILE:
            values["allowed_extensions"] = ",".join(data["allowed_extensions"])
            values["max_file_mb"] = data["max_file_mb"]
        return values


def question_initial(field: Any) -> dict[str, Any]:
    return {
        "label": field.label,
        "help_text": field.help_text,
        "kind": field.kind,
        "required": field.required,
        "word_limit": field.word_limit,
        "min_value": field.min_value,
        "max_value": field.max_value,
        "choices": field.choices,
        "max_rows": field.max_rows,
        "allowed_extensions": field.extensions,
        "max_file_mb": field.max_file_mb,
    }


SCORE: dict[str, Any] = {"max_digits": 5, "decimal_places": 2}


class CriterionForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(label=_("Critère"), max_length=200)
    description = forms.CharField(
        label=_("Ce que les expert·es évaluent"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    scale_min = forms.DecimalField(label=_("Note minimale"), initial=Decimal("0"), **SCORE)
    scale_max = forms.DecimalField(label=_("Note maximale"), initial=Decimal("5"), **SCORE)
    weight = forms.DecimalField(label=_("Pondération"), initial=Decimal("1"), min_value=0, **SCORE)
    threshold = forms.DecimalField(label=_("Seuil (facultatif)"), required=False, **SCORE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high, threshold = data.get("scale_min"), data.get("scale_max"), data.get("threshold")
        if low is not None and high is not None and high <= low:
            self.add_error("scale_max", _("La note maximale doit dépasser la note minimale."))
        elif (
            threshold is not None
            and low is not None
            and high is not None
            and not (low <= threshold <= high)
        ):
            self.add_error("threshold", _("Le seuil doit être compris dans l'échelle."))
        return data


class BaseCriterionFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.has_changed() or f.cleaned_data.get("id")]
        kept = [f for f in kept if not f.cleaned_data.get("DELETE")]
        if not kept:
            raise forms.ValidationError(_("La grille a besoin d'au moins un critère."))


CriterionFormSet = forms.formset_factory(
    CriterionForm,
    formset=BaseCriterionFormSet,
    extra=1,
    can_delete=True,
    max_num=30,
    absolute_max=30,
)


class GridSettingsForm(forms.Form):
    allow_half_marks = forms.BooleanField(
        label=_("Demi-points autorisés (ex. 3,5)"), required=False
    )
    overall_threshold = forms.DecimalField(
        label=_("Seuil global (somme des notes, facultatif)"), required=False, min_value=0, **SCORE
    )


class ReviewSettingsForm(forms.ModelForm):
    review_deadline = paris_datetime(_("Date limite des évaluations"), required=False)
    tie_1 = forms.ChoiceField(label=_("Premier critère de départage"), required=False)
    tie_2 = forms.ChoiceField(label=_("Deuxième critère de départage"), required=False)
    tie_3 = forms.ChoiceField(label=_("Troisième critère de départage"), required=False)

    class Meta:
        model = Call
        fields = [
            "reviews_per_application",
            "reviewer_max_load",
            "blind_review",
            "blind_hides_commune",
            "show_other_reviews",
            "review_deadline",
        ]
        labels = {
            "reviews_per_application": _("Évaluations par dossier"),
            "reviewer_max_load": _("Charge maximale par expert·e (dossiers)"),
            "blind_review": _(
                "Évaluation en aveugle : les expert·es ne voient pas l'identité du porteur"
            ),
            "blind_hides_commune": _(
                "En aveugle, masquer aussi la commune du porteur (le département reste affiché)"
            ),
            "show_other_reviews": _(
                "Les expert·es voient les autres évaluations après avoir remis la leur"
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [
            ("", _("— Aucun —")),
            ("submitted_at", _("Le dossier déposé le premier")),
        ]
        choices += [
            (
                f"criterion:{c.position}",
                _("La meilleure note au critère « %(title)s »") % {"title": c.title},
            )
            for c in self.instance.criteria.all()
        ]
        keys = list(self.instance.tie_break or [])
        for index in (1, 2, 3):
            field = self.fields[f"tie_{index}"]
            field.choices = choices  # type: ignore[attr-defined]
            field.initial = keys[index - 1] if len(keys) >= index else ""
        self.fields["reviews_per_application"].min_value = 1  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        keys = [data.get(f"tie_{i}") for i in (1, 2, 3)]
        keys = [k for k in keys if k]
        if len(keys) != len(set(keys)):
            self.add_error("tie_2", _("Chaque critère de départage ne sert qu'une fois."))
        data["tie_break"] = keys
        if (data.get("reviews_per_application") or 0) < 1:
            self.add_error("reviews_per_application", _("Au moins une évaluation par dossier."))
        return data


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Titre du document"), max_length=200)
    file = forms.FileField(label=_("Fichier (PDF, ODT, DOCX, ODS, XLSX ; 20 Mo au plus)"))

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        extension = file.name.rsplit(".", 1)[-1].lower() if "." in file.name else ""
        if extension not in {"pdf", "odt", "docx", "ods", "xlsx"}:
            raise forms.ValidationError(_("Formats acceptés : PDF, ODT, DOCX, ODS, XLSX."))
        if file.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("20 Mo au plus."))
        problem = structure_error(extension, file)
        file.seek(0)
        if problem:
            raise forms.ValidationError(problem)
        file.name = sanitise_filename(file.name)
        return file


class LetterPolicyForm(forms.Form):
    letters_show_scores = forms.BooleanField(
        label=_("Les courriers de décision indiquent les notes par critère"), required=False
    )
    letters_show_comments = forms.BooleanField(
        label=_("Les courriers de décision citent les avis des expert·es (anonymes)"),
        required=False,
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
        label=_("Lieu d'émission des courriers"),
        max_length=100,
        required=False,
        help_text=_("Par exemple « Bordeaux » : « Bordeaux, le 3 décembre 2026 »."),
    )
    letter_contact = forms.CharField(
        label=_("Affaire suivie par"),
        max_length=200,
        required=False,
        help_text=_("Nom et coordonnées de la personne à contacter, imprimés dans les références."),
    )
