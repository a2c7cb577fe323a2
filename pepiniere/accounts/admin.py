from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from pepiniere.accounts.models import FUNDER_ROLES, Role, RoleGrant, User
from pepiniere.audit.admin_mixins import AuditedAdminMixin
from pepiniere.lib.admin import FunderScopedAdminMixin

# What only a superuser may change: a funder's own staff account must not grant itself more.
SUPERUSER_ONLY = ("is_staff", "is_superuser", "groups", "user_permissions")


class RoleGrantInline(FunderScopedAdminMixin, admin.TabularInline):
    model = RoleGrant
    extra = 0
    funder_lookup = "funder"
    funder_scoped_fields = {"funder": ""}

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [c for c in Role.choices if c[0] in FUNDER_ROLES]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(AuditedAdminMixin, FunderScopedAdminMixin, BaseUserAdmin):
    """Roles are granted in the inline: each grant, change and removal is audited (issue 10). A
    staff account that is not a superuser sees the people of its funders only, and grants only
    funder roles of its funders."""

    funder_lookup = "role_grants__funder"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else fields + SUPERUSER_ONLY

    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    inlines = [RoleGrantInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profil", {"fields": ("full_name", "language")}),
        (
            "Droits",
            {
                "fields": (
                    "is_active",
                    "mfa_required",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )
