from django.contrib import admin

from pepiniere.calls.models import Call, CallDocument, Criterion, FormField, Sector


class FormFieldInline(admin.TabularInline):
    model = FormField
    extra = 0
    fields = [
        "position",
        "key",
        "label",
        "kind",
        "required",
        "group",
        "word_limit",
        "choices",
        "help_text",
    ]


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


class CallDocumentInline(admin.TabularInline):
    model = CallDocument
    extra = 0


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
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
        (
            None,
            {
                "fields": [
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
            },
        ),
        (
            "Éligibilité",
            {
                "fields": [
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
            },
        ),
        (
            "Évaluation",
            {
                "fields": [
                    "reviews_per_application",
                    "blind_review",
                    "reviewer_max_load",
                    "allow_half_marks",
                    "overall_threshold",
                ]
            },
        ),
    ]


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["code", "label_fr", "label_en"]
