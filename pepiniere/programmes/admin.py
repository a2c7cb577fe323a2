from django.contrib import admin
from django.utils.translation import gettext_lazy as _

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
    list_display = ["name", "kind", "siret", "iban"]
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "website"]}),
        (
            _("Paiements"),
            {
                "fields": ["siret", "iban", "bic"],
                "description": _(
                    "Le SIRET figure dans le fichier de mandatement ; l'IBAN et le BIC du compte "
                    "payeur dans le virement SEPA. Le BIC est déduit de l'IBAN quand la banque "
                    "est connue."
                ),
            },
        ),
    ]
