"""Request types for view signatures: what the middleware and login_required add to HttpRequest.

Annotations only, for mypy: Django still passes a plain HttpRequest at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from pepiniere.accounts.models import User


class HtmxHttpRequest(HttpRequest):
    """Any request: django-htmx's middleware (in MIDDLEWARE) sets ``request.htmx`` on each one."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A request in a view behind login_required: ``request.user`` is an account, never
    AnonymousUser."""

    user: User
