from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from pepiniere.applications.models import (
    Application,
    ApplicationVersion,
    Attachment,
    InformationRequest,
)

_VERSION_FIELDS = ("number", "title", "requested_amount", "submitted_at", "submitted_by")


class VersionInline(admin.TabularInline):
    model = ApplicationVersion
    extra = 0
    fields = _VERSION_FIELDS
    readonly_fields = _VERSION_FIELDS
    can_delete = False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Read-only: statuses change only through the workflow services, never by hand."""

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


admin.site.register(InformationRequest)
admin.site.register(Attachment)
