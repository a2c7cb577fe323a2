from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploaded files go to a throw-away folder, never into var/."""
    settings.MEDIA_ROOT = tmp_path / "private"
