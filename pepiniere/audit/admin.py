from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from pepiniere.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_repr", "from_state", "to_state"]
    list_filter = ["action"]
    search_fields = ["object_repr", "reason"]
    list_select_related = ["actor"]

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False
