"""Match-funding in the admin: a rule is set up here (the match-funding call whose envelope is the
pool, the project type, ratio, cap, investment only, threshold, the decision that adopted it); the
officer who saves a new rule is the one the scheduled close acts for. Campaigns, pledges and
imports are read here and change only through the pages' services (the lifecycle, the pool's
guarantee and the audit trail live there)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pepiniere.audit.admin_mixins import AuditedAdminMixin
from pepiniere.crowdfunding.models import Campaign, MatchRule, Pledge
from pepiniere.lib.admin import FunderScopedAdminMixin


@admin.register(MatchRule)
class MatchRuleAdmin(AuditedAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    funder_lookup = "call__funder"
    funder_scoped_fields = {"call": "funder"}
    list_display = [
        "call",
        "project_type",
        "ratio_region",
        "ratio_raised",
        "cap",
        "investment_only",
        "threshold_percent",
        "officer",
    ]
    list_select_related = ["call", "officer"]
    list_filter = ["project_type"]
    exclude = ["officer"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.officer = request.user
        super().save_model(request, obj, form, change)


class _ReadOnly(FunderScopedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(_ReadOnly):
    funder_lookup = "call__funder"
    list_display = ["title", "organisation", "call", "project_type", "status", "ends_at"]
    list_filter = ["status", "project_type"]
    list_select_related = ["organisation", "call"]


@admin.register(Pledge)
class PledgeAdmin(_ReadOnly):
    funder_lookup = "campaign__call__funder"
    list_display = ["campaign", "pledged_at", "reference", "status", "source"]
    list_filter = ["status", "source"]
    list_select_related = ["campaign"]
