from django.contrib import admin

from pepiniere.organisations.models import LegalForm, Membership, Organisation, SizeBand


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "siret", "rna", "departement"]
    list_filter = ["kind", "departement"]
    search_fields = ["name", "siren", "siret", "rna"]
    list_select_related = ["departement"]
    inlines = [MembershipInline]


@admin.register(LegalForm)
class LegalFormAdmin(admin.ModelAdmin):
    list_display = ["code", "label"]
    search_fields = ["code", "label"]


@admin.register(SizeBand)
class SizeBandAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "min_employees", "max_employees"]
