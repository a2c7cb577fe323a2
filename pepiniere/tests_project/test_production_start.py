"""With DEBUG=0 a bad configuration stops the start instead of serving errors (issue 10, 14)."""

import os
import subprocess
import sys

import pytest

from pepiniere.lib.env import secret_key_weakness

STRONG = "x" * 20 + "a-long-random-production-secret-value-1234567890"


def _python(code, **env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    full_env.update(
        {
            "DJANGO_SETTINGS_MODULE": "pepiniere.settings",
            "DATABASE_URL": "sqlite:///:memory:",
            "ALLOWED_HOSTS": "example.org",
        }
    )
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=180
    )


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("court", "5 characters, at least 50 needed"),
        ("django-insecure-" + "k3y" * 20, "starts with 'django-insecure-'"),
        ("abcd" * 20, "4 distinct characters"),
    ],
)
def test_a_weak_secret_key_stops_a_production_start(key, reason):
    assert reason in secret_key_weakness(key)
    result = _python("import django; django.setup()", DEBUG="0", SECRET_KEY=key)
    assert result.returncode != 0
    assert "SECRET_KEY is too weak for production" in result.stderr
    assert reason in result.stderr


def test_a_strong_secret_key_is_accepted():
    assert secret_key_weakness(STRONG) == ""
    result = _python("import django; django.setup()", DEBUG="0", SECRET_KEY=STRONG)
    assert result.returncode == 0, result.stderr


def test_the_wsgi_app_refuses_to_start_without_collected_static_files(tmp_path):
    static_root = tmp_path / "static"
    env = {"DEBUG": "0", "SECRET_KEY": STRONG, "STATIC_ROOT": str(static_root)}
    result = _python("import pepiniere.wsgi", **env)
    assert result.returncode != 0
    assert "Static files are not collected" in result.stderr
    assert "pepiniere collectstatic" in result.stderr

    collect = _python(
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('collectstatic', interactive=False, verbosity=0)",
        **env,
    )
    assert collect.returncode == 0, collect.stderr
    started = _python(
        "import pepiniere.wsgi; from django.test import Client; "
        "r = Client(SERVER_NAME='example.org').get('/compte/connexion/', secure=True); print(r.status_code)",
        **env,
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip().endswith("200")


@pytest.mark.django_db
def test_with_debug_off_errors_use_the_sites_french_pages(client, settings):
    settings.DEBUG = False
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    assert 'lang="fr"' in response.content.decode()


def test_starting_a_process_loads_no_numerical_library_a_request_does_not_need():
    # Every web worker, task worker and operator command pays for what django.setup() imports:
    # the engine's libraries (scipy, statsmodels, OR-Tools, HiGHS) load when a computation
    # runs, never at start-up through an app's ready() (impact once cost 2 s and 70 MB so).
    heavy = ("scipy", "statsmodels", "ortools", "highspy", "weasyprint", "pyfixest")
    code = (
        "import sys, django; django.setup(); "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
