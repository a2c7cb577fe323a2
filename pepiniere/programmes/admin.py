from django.contrib import admin

from pepiniere.audit.admin_mixins import AuditedAdminMixin
from pepiniere.lib.admin import FunderScopedAdminMixin
from pepiniere.programmes.models import Axis, Funder, Programme


class AxisInline(admin.TabularInline):
    model = Axis
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(AuditedAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    """Programmes and their axes carry budgets: every change is audited (issue 10)."""

    funder_lookup = "funder"
    funder_scoped_fields = {"funder": ""}
    list_display = ["title", "funder", "start_date", "end_date"]
    list_select_related = ["funder"]
    prepopulated_fields = {"slug": ("title",)}
    inlines = [AxisInline]


@admin.register(Funder)
class FunderAdmin(AuditedAdminMixin, FunderScopedAdminMixin, admin.ModelAdmin):
    funder_lookup = "pk"
    list_display = ["name", "kind"]
    prepopulated_fields = {"slug": ("name",)}
