"""The demo runs with DEBUG on, but its visitors read the site's French error pages (issue 9)."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.views import debug

from pepiniere.demo.middleware import DemoErrorPagesMiddleware

DEMO_MIDDLEWARE = "pepiniere.demo.middleware.DemoErrorPagesMiddleware"


def test_an_unknown_address_in_the_demo_shows_the_sites_french_404(client, settings, db):
    settings.DEBUG = True
    settings.MIDDLEWARE = [DEMO_MIDDLEWARE, *settings.MIDDLEWARE]
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Using the URLconf" not in page
    assert "Django tried these URL patterns" not in page
    assert "<html" in page and 'lang="fr"' in page


def test_without_the_demo_middleware_debug_shows_djangos_page(client, settings, db):
    # The guard above can fail: this is what a visitor of the demo read before.
    settings.DEBUG = True
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != DEMO_MIDDLEWARE]
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert "Using the URLconf" in response.content.decode()


def test_a_crash_in_the_demo_shows_the_sites_french_500_not_the_traceback(db):
    request = RequestFactory().get("/")

    def crashing_view(request):
        try:
            raise RuntimeError("secret detail")
        except RuntimeError:
            exc_type, exc_value, tb = sys.exc_info()
            return debug.technical_500_response(request, exc_type, exc_value, tb)

    response = DemoErrorPagesMiddleware(crashing_view)(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert "secret detail" not in page and "Traceback" not in page
    assert "Une erreur s'est produite" in page


def test_the_sites_own_404_responses_pass_through_unchanged(db):
    request = RequestFactory().get("/")
    own = HttpResponse("Dossier introuvable.", status=404)
    assert DemoErrorPagesMiddleware(lambda r: own)(request) is own


def test_the_demo_command_installs_the_middleware():
    # pepiniere/manage.py sets PEPINIERE_DEMO=1 for `pepiniere demo`; settings then install it.
    code = "import django; django.setup(); from django.conf import settings; print(settings.MIDDLEWARE[0])"
    env_demo = {"PEPINIERE_DEMO": "1", "DJANGO_SETTINGS_MODULE": "pepiniere.settings"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, **env_demo},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.strip() == DEMO_MIDDLEWARE, out.stderr
    assert settings.MIDDLEWARE[0] != DEMO_MIDDLEWARE  # not installed outside the demo
