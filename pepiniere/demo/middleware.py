"""The demo runs with DEBUG on (developers read tracebacks in the console), but a person trying it
reads the site's French error pages, not Django's technical ones (URL patterns, settings)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views import defaults

# Django's technical 404 and 500 pages (and only they) carry this robots meta tag.
_TECHNICAL_PAGE_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'


class DemoErrorPagesMiddleware:
    """Replace Django's technical 404/500 pages by the site's own (installed in demo mode only)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code not in (404, 500) or response.streaming:
            return response
        if _TECHNICAL_PAGE_MARK not in response.content:
            return response
        if response.status_code == 404:
            return defaults.page_not_found(request, exception=None)
        return defaults.server_error(request)
