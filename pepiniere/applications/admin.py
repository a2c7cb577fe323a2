from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from pepiniere.applications.models import (
    Application,
    ApplicationVersion,
    Attachment,
    InformationRequest,
)
from pepiniere.lib.admin import FunderScopedAdminMixin

_VERSION_FIELDS = ("number", "title", "requested_amount", "submitted_at", "submitted_by")


class VersionInline(admin.TabularInline):
    model = ApplicationVersion
    extra = 0
    fields = _VERSION_FIELDS
    readonly_fields = _VERSION_FIELDS
    can_delete = False


@admin.register(Application)
class ApplicationAdmin(FunderScopedAdminMixin, admin.ModelAdmin):
    """Read-only: statuses change only through the workflow services, never by hand."""

    funder_lookup = "call__funder"

    list_display = [
        "reference",
        "title",
        "organisation",
        "call",
        "status",
        "requested_amount",
        "submitted_at",
    ]
    list_filter = ["status", "call"]
    search_fields = ["reference", "title", "organisation__name"]
    list_select_related = ["organisation", "call"]
    readonly_fields = [f.name for f in Application._meta.fields]
    inlines = [VersionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Application | None = None) -> bool:
        return False


class ApplicationPartAdmin(FunderScopedAdminMixin, admin.ModelAdmin):
    funder_lookup = "application__call__funder"


admin.site.register(InformationRequest, ApplicationPartAdmin)
admin.site.register(Attachment, ApplicationPartAdmin)
