from django.contrib import admin

from pepiniere.audit.admin_mixins import AuditedAdminMixin
from pepiniere.lib.admin import FunderScopedAdminMixin
from pepiniere.selection.models import Scenario


@admin.register(Scenario)
class ScenarioAdmin(AuditedAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    funder_lookup = "call__funder"
    list_display = ["name", "call", "rule", "budget", "sent_to_jury_at", "ran_at"]
    list_filter = ["rule"]
    list_select_related = ["call"]
    readonly_fields = ["result", "ranking_digest", "ran_at", "sent_to_jury_at", "sent_to_jury_by"]
