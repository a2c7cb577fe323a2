"""The admin site: the same login as the site (password, then the second factor when required)."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from pepiniere.accounts import mfa
from pepiniere.lib.admin import PepiniereAdminSite


class SecureAdminSite(PepiniereAdminSite):
    """Pépinière's admin site (French titles, lib/admin.py) behind the site's login."""

    def has_permission(self, request: HttpRequest) -> bool:
        # Like django-otp's OTPAdminSite, with the same rule as the site's login: a staff session
        # that skipped a required second factor does not open the admin.
        return super().has_permission(request) and mfa.is_satisfied(request)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        from pepiniere.accounts.views import LoginView

        view = LoginView.as_view(
            next_page=reverse("admin:index", current_app=self.name), extra_context=extra_context
        )
        return cast(HttpResponse, view(request))
