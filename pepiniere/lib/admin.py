"""The Django admin, for platform administrators: French headings, and querysets scoped per funder.

A staff account that is not a superuser (for instance a funder's own administrator, given model
permissions in the admin) sees and picks only its funders' objects."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

# The site itself is PepiniereAdminSite (below), installed by PepiniereAdminConfig in settings.


def admin_funder_ids(user: Any) -> set[int] | None:
    """The funders a staff account acts for; None for a superuser (everything)."""
    if user.is_superuser:
        return None
    ids: set[int] = set(
        user.role_grants.filter(funder__isnull=False).values_list("funder_id", flat=True)
    )
    return ids


class FunderScopedAdminMixin:
    """Set ``funder_lookup`` to the path from the model to its funder (``"funder"``,
    ``"call__funder"``..., several separated by ``|``: any of them); foreign keys listed in ``funder_scoped_fields`` (field name → path from
    the related model to its funder, ``""`` when it is the funder itself) only offer the account's
    funders' objects."""

    funder_lookup: str = "funder"
    funder_scoped_fields: dict[str, str] = {}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        ids = admin_funder_ids(request.user)
        if ids is None:
            return queryset
        condition = Q()
        for lookup in self.funder_lookup.split("|"):  # "call__funder|axis__programme__funder"
            condition |= Q(**{f"{lookup}__in": ids})
        return queryset.filter(condition).distinct()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        return _scope_formfield(self, db_field, request, formfield)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]
        return _scope_formfield(self, db_field, request, formfield)


def _scope_formfield(admin_: Any, db_field: Any, request: HttpRequest, formfield: Any) -> Any:
    path = admin_.funder_scoped_fields.get(db_field.name)
    ids = admin_funder_ids(request.user)
    if formfield is None or path is None or ids is None:
        return formfield
    lookup = f"{path}__in" if path else "pk__in"
    formfield.queryset = formfield.queryset.filter(**{lookup: ids})
    return formfield


class FrenchTitlesAdminMixin:
    """Django's French admin says « Ajout de appel à projets » (no elision, no article): titles
    that read correctly whatever the model's gender and first letter."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        name = capfirst(str(self.opts.verbose_name))  # type: ignore[attr-defined]
        if object_id is None:
            title = _("%(name)s — ajout") % {"name": name}
        elif self.has_change_permission(request):  # type: ignore[attr-defined]
            title = _("%(name)s — modification") % {"name": name}
        else:
            title = _("%(name)s — consultation") % {"name": name}
        context = {"title": title, **(extra_context or {})}
        return super().changeform_view(request, object_id, form_url, context)  # type: ignore[misc]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        title = capfirst(str(self.opts.verbose_name_plural))  # type: ignore[attr-defined]
        context = {"title": title, **(extra_context or {})}
        return super().changelist_view(request, context)  # type: ignore[misc]


class PepiniereAdminSite(admin.AdminSite):
    site_header = _("Administration de Pépinière")
    site_title = _("Administration de Pépinière")
    index_title = _("Administration de la plateforme")
    empty_value_display = "—"

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, FrenchTitlesAdminMixin):
            base = type(
                base.__name__, (FrenchTitlesAdminMixin, base), {"__module__": base.__module__}
            )
        super().register(model_or_iterable, base, **options)
