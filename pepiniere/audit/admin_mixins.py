"""Changes made through the Django admin leave the same audit rows as the services' changes.

Issue 10: money, budgets, aid records, letters and roles edited in the admin must be traceable.
One mixin, applied to those admins across the apps: it records who created, changed (with the
fields changed, old → new) or deleted what, including the rows of inlines (roles of a user, axes of
a programme)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from pepiniere.audit.services import record

MAX_VALUE = 80


def _shown(value: Any) -> str:
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def describe_changes(form: forms.BaseForm) -> str:
    """'enveloppe : 550000.00 → 600000.00 ; publié : False → True' for the fields the form changed."""
    parts = []
    for name in form.changed_data:
        field = form.fields.get(name)
        label = str(field.label) if field is not None and field.label else name
        after = form.cleaned_data.get(name)
        if isinstance(after, (models.QuerySet, list, tuple, set)):
            parts.append(f"{label} : {_shown(', '.join(str(x) for x in after))}")
            continue
        before = form.initial.get(name)
        if (
            isinstance(field, forms.ModelChoiceField)
            and field.queryset is not None
            and before is not None
        ):
            before = field.queryset.filter(pk=before).first() or before
        parts.append(f"{label} : {_shown(before)} → {_shown(after)}")
    return " ; ".join(parts)


class AuditedAdminMixin:
    """Mix into a ModelAdmin (first in the bases) so that every save and delete is audited."""

    audit_public = False  # admin actions are internal: never shown to applicants

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        if change and not form.changed_data:
            return
        record(
            actor=request.user,
            obj=obj,
            action="admin_change" if change else "admin_create",
            reason=describe_changes(form) if change else "",
            public=self.audit_public,
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record(actor=request.user, obj=obj, action="admin_delete", public=self.audit_public)
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            record(actor=request.user, obj=obj, action="admin_delete", public=self.audit_public)
        super().delete_queryset(request, queryset)  # type: ignore[misc]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Inline rows (a user's roles, a programme's axes): one audit row per row changed."""
        deleted = [f.instance for f in getattr(formset, "deleted_forms", []) if f.instance.pk]
        for obj in deleted:
            record(actor=request.user, obj=obj, action="admin_delete", public=self.audit_public)
        changed = [
            (f, f.instance.pk is not None)
            for f in formset.forms
            if f not in getattr(formset, "deleted_forms", []) and f.has_changed()
        ]
        super().save_formset(request, form, formset, change)  # type: ignore[misc]
        for inline_form, existed in changed:
            if inline_form.instance.pk is None:
                continue
            record(
                actor=request.user,
                obj=inline_form.instance,
                action="admin_change" if existed else "admin_create",
                reason=describe_changes(inline_form) if existed else "",
                public=self.audit_public,
            )


class AuditedModelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    pass
