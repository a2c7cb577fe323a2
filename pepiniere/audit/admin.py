from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pepiniere.audit.labels import action_label, state_label
from pepiniere.audit.models import AuditEntry


class ActionFilter(admin.SimpleListFilter):
    """Filter by action, listed by their French labels rather than their codes."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        used = AuditEntry.objects.values_list("action", flat=True).distinct()
        return sorted(((code, action_label(code)) for code in used), key=lambda pair: pair[1])

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[AuditEntry]
    ) -> QuerySet[AuditEntry]:
        value = self.value()
        return queryset.filter(action=value) if value else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action_shown", "object_repr", "from_shown", "to_shown"]
    list_filter = [ActionFilter]
    search_fields = ["object_repr", "reason"]
    list_select_related = ["actor"]

    @admin.display(description=_("action"), ordering="action")
    def action_shown(self, entry: AuditEntry) -> str:
        return action_label(entry.action)

    @admin.display(description=_("état de départ"))
    def from_shown(self, entry: AuditEntry) -> str:
        return state_label(entry.from_state)

    @admin.display(description=_("état d'arrivée"))
    def to_shown(self, entry: AuditEntry) -> str:
        return state_label(entry.to_state)

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False
