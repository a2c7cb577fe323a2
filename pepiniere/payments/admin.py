from typing import Any

from django.contrib import admin

from pepiniere.audit.admin_mixins import AuditedAdminMixin
from pepiniere.lib.admin import FunderScopedAdminMixin
from pepiniere.payments.models import (
    FinancialYearEnd,
    GrantAccount,
    Instalment,
    PaymentOrder,
    PaymentRun,
    Recovery,
)


class ReadOnlyAdmin(AuditedAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    """Read only: every change goes through the payments services (audited, four-eyes)."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Instalment)
class InstalmentAdmin(ReadOnlyAdmin):
    funder_lookup = "award__application__call__funder"
    list_display = ["award", "position", "label", "amount", "status"]
    list_filter = ["status", "trigger"]
    list_select_related = ["award__application"]


@admin.register(GrantAccount)
class GrantAccountAdmin(ReadOnlyAdmin):
    funder_lookup = "award__application__call__funder"
    list_display = ["award", "ceiling", "paid", "recovered", "closed_at"]
    list_select_related = ["award__application"]


@admin.register(PaymentRun)
class PaymentRunAdmin(ReadOnlyAdmin):
    funder_lookup = "funder"
    list_display = ["reference", "funder", "created_at", "status"]
    list_filter = ["status"]


@admin.register(PaymentOrder)
class PaymentOrderAdmin(ReadOnlyAdmin):
    funder_lookup = "run__funder"
    list_display = ["run", "instalment", "amount", "status", "paid_at"]
    list_select_related = ["run", "instalment__award__application"]


@admin.register(Recovery)
class RecoveryAdmin(ReadOnlyAdmin):
    funder_lookup = "award__application__call__funder"
    list_display = ["award", "amount", "status", "raised_at"]
    list_filter = ["status"]
    list_select_related = ["award__application"]


@admin.register(FinancialYearEnd)
class FinancialYearEndAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["organisation", "day", "month"]
    autocomplete_fields = ["organisation"]
