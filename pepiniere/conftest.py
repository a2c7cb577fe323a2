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
