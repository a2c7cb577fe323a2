"""Checks that stop a production start instead of answering every request with an error."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def require_collected_static() -> None:
    """With DEBUG=0, WhiteNoise's manifest storage needs `pepiniere collectstatic`: without its
    manifest every page that links a static file would answer 500. Refuse to start instead."""
    backend = settings.STORAGES["staticfiles"]["BACKEND"]
    if "Manifest" not in backend:
        return
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.is_file():
        raise ImproperlyConfigured(
            f"Static files are not collected: {manifest} is missing. "
            "Run `pepiniere collectstatic --noinput` (once per release) before starting the app."
        )
