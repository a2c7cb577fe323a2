from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from pepiniere.audit.admin_mixins import AuditedAdminMixin
from pepiniere.calls.form_fields import ChoicesLinesField, CommunesField, ListMultipleChoiceField
from pepiniere.calls.models import Call, CallDocument, Criterion, FormField, Sector
from pepiniere.lib.admin import FunderScopedAdminMixin
from pepiniere.organisations.models import OrganisationKind


class FormFieldAdminForm(forms.ModelForm):
    choices = ChoicesLinesField(
        label=_("choix possibles"),
        required=False,
        help_text=_("Un choix par ligne (questions à choix unique ou multiple)."),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 30}),
    )

    class Meta:
        model = FormField
        fields = [
            "position",
            "key",
            "kind",
            "required",
            "label",
            "help_text",
            "group",
            "word_limit",
            "min_value",
            "max_value",
            "max_rows",
            "choices",
            "allowed_extensions",
            "max_file_mb",
        ]


class FormFieldInline(admin.StackedInline):
    model = FormField
    form = FormFieldAdminForm
    extra = 0
    fk_name = "call"
    fields = [
        ("position", "key", "kind", "required"),
        "label",
        "help_text",
        "group",
        ("word_limit", "min_value", "max_value", "max_rows"),
        "choices",
        ("allowed_extensions", "max_file_mb"),
    ]


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


class CallDocumentInline(admin.TabularInline):
    model = CallDocument
    extra = 0


GENERAL_FIELDS = [
    "funder",
    "co_funders",
    "programme",
    "axis",
    "sectors",
    "code",
    "slug",
    "title",
    "summary",
    "description",
    "envelope",
    "opens_at",
    "closes_at",
    "is_published",
    "contact_email",
]
ELIGIBILITY_FIELDS = [
    "eligible_departements",
    "eligible_communes",
    "eligible_kinds",
    "eligible_legal_forms",
    "eligible_size_bands",
    "min_age_years",
    "max_age_years",
    "max_requested_amount",
    "max_aid_rate",
]
REVIEW_FIELDS = [
    "reviews_per_application",
    "blind_review",
    "blind_hides_commune",
    "show_other_reviews",
    "reviewer_max_load",
    "review_deadline",
    "allow_half_marks",
    "overall_threshold",
    "tie_break",
]


class CallAdminForm(forms.ModelForm):
    eligible_kinds = ListMultipleChoiceField(
        label=_("types de structure éligibles"),
        choices=OrganisationKind.choices,
        required=False,
        help_text=_("Aucune case cochée : toutes les structures."),
    )
    eligible_communes = CommunesField(
        label=_("communes éligibles (codes INSEE)"),
        required=False,
        help_text=_("Un code par ligne, ex. 33063 ; vide : pas de restriction par commune."),
    )
    tie_break = ChoicesLinesField(
        label=_("départage des ex æquo"),
        required=False,
        help_text=_(
            "Une clé par ligne, dans l'ordre : « criterion:N » (le critère en position N) ou "
            "« submitted_at » (le premier déposé) ; le constructeur d'appels le propose en listes."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = Call
        fields = [  # noqa: RUF012 (Django reads it)
            *GENERAL_FIELDS,
            *ELIGIBILITY_FIELDS,
            *REVIEW_FIELDS,
        ]


@admin.register(Call)
class CallAdmin(AuditedAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    form = CallAdminForm
    funder_lookup = "funder"
    funder_scoped_fields = {"funder": "", "programme": "funder", "axis": "programme__funder"}
    list_display = [
        "title",
        "funder",
        "programme",
        "envelope",
        "opens_at",
        "closes_at",
        "is_published",
    ]
    list_filter = ["funder", "programme", "is_published"]
    search_fields = ["title", "code"]
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = [
        "sectors",
        "co_funders",
        "eligible_departements",
        "eligible_legal_forms",
        "eligible_size_bands",
    ]
    list_select_related = ["funder", "programme"]
    inlines = [FormFieldInline, CriterionInline, CallDocumentInline]
    fieldsets = [
        (None, {"fields": tuple(GENERAL_FIELDS)}),
        (_("Éligibilité"), {"fields": tuple(ELIGIBILITY_FIELDS)}),
        (_("Évaluation"), {"fields": tuple(REVIEW_FIELDS)}),
    ]


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["code", "label_fr", "label_en"]
