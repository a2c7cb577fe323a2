from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_media(request, tmp_path):
    """Uploaded files go to a throw-away folder, never into var/ (Django tests only: the engine's
    tests also run without pytest-django, with `-p no:django`)."""
    if not request.config.pluginmanager.hasplugin("django"):
        return
    settings = request.getfixturevalue("settings")
    settings.MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True, scope="session")
def _session_seal_certificate(request, tmp_path_factory):
    """The self-signed sealing key and certificate, made once per test session (per xdist worker)
    in a throw-away folder: never the demo's under var/signing/, never one per test."""
    if not request.config.pluginmanager.hasplugin("django"):
        yield
        return
    from django.test import override_settings

    from pepiniere.agreements import signing

    override = override_settings(
        SIGNING_P12="", SIGNING_SELF_SIGNED_DIR=tmp_path_factory.mktemp("signing")
    )
    override.enable()
    signing._pdf_signer.cache_clear()
    try:
        yield
    finally:
        signing._pdf_signer.cache_clear()
        override.disable()
