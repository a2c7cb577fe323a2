from django.contrib import admin

from pepiniere.audit.admin_mixins import AuditedAdminMixin, AuditedModelAdmin
from pepiniere.grants.models import (
    AidRecord,
    Award,
    AwardShare,
    BudgetLine,
    CallPolicy,
    DecisionLetter,
    LinkedUndertaking,
)


class AwardShareInline(admin.TabularInline):
    model = AwardShare
    extra = 0
    readonly_fields = ["funder", "amount"]
    can_delete = False


@admin.register(Award)
class AwardAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Read only: awards are made (and budgets committed) by the award service, never by hand."""

    list_display = ["application", "amount", "decision_reference", "decision_date"]
    list_select_related = ["application"]
    inlines = [AwardShareInline]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(BudgetLine)
class BudgetLineAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "scope", "envelope", "committed", "paid"]
    list_filter = ["scope"]
    readonly_fields = ["committed", "paid"]


@admin.register(AidRecord)
class AidRecordAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["organisation", "funder_name", "amount", "granted_on", "source"]
    list_filter = ["source"]
    search_fields = ["organisation__name", "funder_name", "reference"]
    list_select_related = ["organisation"]


# Letters, their policy and de minimis links: every admin change is audited (issue 10).
admin.site.register(CallPolicy, AuditedModelAdmin)
admin.site.register(LinkedUndertaking, AuditedModelAdmin)
admin.site.register(DecisionLetter, AuditedModelAdmin)
