"""Agreements in the admin: read only (they change through the services: sending, signing,
amending and terminating are audited workflows); the call's schedule and template are editable."""

from django.contrib import admin

from pepiniere.agreements.models import (
    Agreement,
    AgreementTemplate,
    AgreementVersion,
    CallScheduleStep,
    ScheduleStep,
    Signature,
)
from pepiniere.audit.admin_mixins import AuditedAdminMixin
from pepiniere.lib.admin import FunderScopedAdminMixin


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class VersionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AgreementVersion
    extra = 0
    fields = (
        "number",
        "amount",
        "aid_rate",
        "start_date",
        "end_date",
        "sent_at",
        "signed_at",
    )
    readonly_fields = (
        "number",
        "amount",
        "aid_rate",
        "start_date",
        "end_date",
        "sent_at",
        "signed_at",
    )


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    funder_lookup = "award__application__call__funder"
    list_display = ["reference", "status", "award"]
    list_filter = ["status"]
    search_fields = ["reference", "award__application__organisation__name"]
    list_select_related = ["award__application"]
    inlines = [VersionInline]


class ScheduleInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ScheduleStep
    extra = 0


class SignatureInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Signature
    extra = 0
    fields = (
        "side",
        "signer_name",
        "signer_title",
        "signed_at",
        "ip_address",
        "sha256",
        "method",
    )
    readonly_fields = (
        "side",
        "signer_name",
        "signer_title",
        "signed_at",
        "ip_address",
        "sha256",
        "method",
    )


@admin.register(AgreementVersion)
class AgreementVersionAdmin(ReadOnlyAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    funder_lookup = "agreement__award__application__call__funder"
    list_display = ["__str__", "amount", "sent_at", "signed_at"]
    list_select_related = ["agreement"]
    inlines = [ScheduleInline, SignatureInline]


@admin.register(CallScheduleStep)
class CallScheduleStepAdmin(AuditedAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    funder_lookup = "call__funder"
    list_display = ["call", "position", "percent", "trigger"]
    list_select_related = ["call"]


@admin.register(AgreementTemplate)
class AgreementTemplateAdmin(ReadOnlyAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    """Edited on the officers' page, which checks the template (never a broken one)."""

    funder_lookup = "call__funder"
    list_display = ["call", "updated_at"]
