from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pepiniere.organisations.models import (
    BankAccount,
    JoinRequest,
    LegalForm,
    MemberInvitation,
    Membership,
    Organisation,
    SizeBand,
)


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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown for support, never changed here: decisions go through the services (audited)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(JoinRequest)
class JoinRequestAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "user", "identifier", "status", "created_at", "decided_by"]
    list_filter = ["status"]
    search_fields = ["organisation__name", "user__email", "identifier"]
    list_select_related = ["organisation", "user", "decided_by"]


@admin.register(MemberInvitation)
class MemberInvitationAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "email", "created_at", "expires_at", "accepted_at"]
    search_fields = ["organisation__name", "email"]
    list_select_related = ["organisation"]
    exclude = ["token"]


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdmin):
    """Validated or rejected on the officers' page (four-eyes, audited), never here."""

    list_display = ["organisation", "holder", "masked_iban", "status", "submitted_at", "decided_by"]
    list_filter = ["status"]
    search_fields = ["organisation__name", "holder"]
    list_select_related = ["organisation", "decided_by"]
    exclude = ["token", "iban"]
    readonly_fields = ["masked_iban"]
