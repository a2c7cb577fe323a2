"""The site's URLs plus views that fail, for the error page tests."""

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from pepiniere.urls import urlpatterns as site_urlpatterns


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("tampered")


urlpatterns = [
    path("test-erreur/500/", boom),
    path("test-erreur/400/", suspicious),
    *site_urlpatterns,
]
