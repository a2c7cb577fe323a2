from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from pepiniere.audit.admin_mixins import AuditedAdminMixin
from pepiniere.grants import letter_templates
from pepiniere.grants.models import (
    AidRecord,
    Award,
    AwardShare,
    BudgetLine,
    CallPolicy,
    DecisionLetter,
    LetterTemplate,
    LinkedUndertaking,
)
from pepiniere.lib.admin import FunderScopedAdminMixin


class AwardShareInline(admin.TabularInline):
    model = AwardShare
    extra = 0
    readonly_fields = ["funder", "amount"]
    can_delete = False


@admin.register(Award)
class AwardAdmin(AuditedAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    """Read only: awards are made (and budgets committed) by the award service, never by hand."""

    funder_lookup = "application__call__funder"

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
class BudgetLineAdmin(AuditedAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    funder_lookup = "funder|call__funder|axis__programme__funder|programme__funder"
    list_display = ["__str__", "scope", "envelope", "committed", "paid"]
    list_filter = ["scope"]
    readonly_fields = ["committed", "paid"]


@admin.register(AidRecord)
class AidRecordAdmin(AuditedAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    funder_lookup = "award__application__call__funder"  # declared aid: superusers only
    list_display = ["organisation", "funder_name", "amount", "granted_on", "source"]
    list_filter = ["source"]
    search_fields = ["organisation__name", "funder_name", "reference"]
    list_select_related = ["organisation"]
    # Thousands of awards and organisations: a search box, not a <select> of every one (whose
    # labels each cost a query).
    autocomplete_fields = ["organisation"]
    raw_id_fields = ["award", "recorded_by"]


# Letters, their policy and de minimis links: every admin change is audited (issue 10).
class CallScopedAdmin(AuditedAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    funder_lookup = "call__funder"


class ApplicationScopedAdmin(AuditedAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    funder_lookup = "application__call__funder"
    raw_id_fields = ["application", "sent_by"]


class OrganisationScopedAdmin(AuditedAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    funder_lookup = "organisation__applications__call__funder"
    autocomplete_fields = ["organisation", "linked_organisation"]


admin.site.register(CallPolicy, CallScopedAdmin)
admin.site.register(LinkedUndertaking, OrganisationScopedAdmin)
admin.site.register(DecisionLetter, ApplicationScopedAdmin)


class LetterTemplateAdminForm(forms.ModelForm):
    """The admin checks a template as the officers' page does (see letter_templates)."""

    class Meta:
        model = LetterTemplate
        fields = ["call", "outcome", "subject", "body", "updated_by", "updated_at"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        outcome = data.get("outcome") or ""
        for name, label in (("subject", _("Objet")), ("body", _("Corps du courrier"))):
            if data.get(name) and outcome:
                try:
                    letter_templates.check_template(data[name], label=str(label), outcome=outcome)
                except letter_templates.TemplateRefused as refused:
                    self.add_error(name, refused.message)
        return data


@admin.register(LetterTemplate)
class LetterTemplateAdmin(CallScopedAdmin):
    form = LetterTemplateAdminForm
    list_display = ["call", "outcome", "updated_at"]
