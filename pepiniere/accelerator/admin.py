"""The accelerator in the admin: a programme is set up here (funder, partner, intake call,
capacities); cohorts, stays and mentorings are read here and changed only through the pages'
services (the capacity rules and the audit trail live there)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pepiniere.accelerator.models import AcceleratorProgramme, Cohort, Mentor, Stay
from pepiniere.audit.admin_mixins import AuditedAdminMixin
from pepiniere.lib.admin import FunderScopedAdminMixin


@admin.register(AcceleratorProgramme)
class AcceleratorProgrammeAdmin(AuditedAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    funder_lookup = "funder"
    funder_scoped_fields = {"funder": "", "call": "funder"}
    list_display = ["name", "funder", "partner", "call", "yearly_capacity", "max_concurrent"]
    list_select_related = ["funder", "partner", "call"]
    autocomplete_fields = ["partner"]


class _ReadOnly(FunderScopedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Cohort)
class CohortAdmin(_ReadOnly):
    funder_lookup = "programme__funder"
    list_display = ["programme", "year", "formed_at", "formed_by"]
    list_select_related = ["programme", "formed_by"]


@admin.register(Stay)
class StayAdmin(_ReadOnly):
    funder_lookup = "cohort__programme__funder"
    list_display = ["organisation", "cohort", "start_date", "planned_end", "status", "ended_on"]
    list_filter = ["status", "cohort__year"]
    list_select_related = ["organisation", "cohort__programme"]


@admin.register(Mentor)
class MentorAdmin(_ReadOnly):
    funder_lookup = "programme__funder"
    list_display = ["user", "programme", "capacity", "languages", "active"]
    list_select_related = ["user", "programme"]
