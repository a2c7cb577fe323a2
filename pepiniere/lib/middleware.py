"""Language selection: French first. The language is the one the visitor chose (language cookie,
set by the switcher), else the one in their profile, else French. The browser's Accept-Language is
deliberately ignored: a French public platform speaks French unless asked otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

SUPPORTED = {code for code, _name in settings.LANGUAGES}


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in SUPPORTED:
            user = getattr(request, "user", None)
            language = (
                getattr(user, "language", None)
                if user is not None and user.is_authenticated
                else None
            )
        if language not in SUPPORTED:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class BadRequestMiddleware:
    """A request a view cannot mean (lib.params.InvalidParameter, or any BadRequest) is answered
    with a French 400 page in the site layout that says what was wrong, instead of Django's bare
    page (or a 500 from a value nobody checked)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        # A NUL character is in no text a person types, and PostgreSQL refuses it in text
        # columns: refuse it for every view at once rather than as a DataError in one of them.
        for query in (request.GET, request.POST) if request.method == "POST" else (request.GET,):
            for key, values in query.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return _bad_request(
                        request,
                        _("La demande contient un caractère nul, qu'aucun champ n'accepte."),
                    )
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, BadRequest):
            return None
        message = getattr(exception, "message", "") or _("La demande est mal formée.")
        return _bad_request(request, message)


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    """The French 400 page; for a machine client of the API (/api/), the same message as JSON,
    as the API's own errors."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(message)}, status=400)
    return render(request, "lib/bad_request.html", {"message": message}, status=400)
