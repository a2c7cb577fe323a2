from __future__ import annotations

from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Registered by pytest-xdist, but the suite must also run with ``-p no:xdist`` (strict markers).
    config.addinivalue_line("markers", "xdist_group(name): run the group's tests on one worker")
    config.pluginmanager.register(_LoadGroupSuffix(), "pepiniere-loadgroup")


class _LoadGroupSuffix:
    """pytest-xdist 3.8 groups a test by appending "@<group>" to ``item._nodeid``, which pytest 9
    no longer reads (the id now lives in ``item._id``): the group is silently ignored and its tests
    spread over every worker (each browser test starting its own Chromium, each demo test building
    the demo again). Put the suffix where pytest 9 reads it, named as xdist names it. Does nothing
    when xdist already did it, or without ``--dist loadgroup``."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[Any]) -> None:
        if not getattr(config.option, "loadgroup", False):
            return
        try:
            from _pytest.nodeid import NodeId
        except ImportError:  # older pytest: xdist's own suffix works
            return
        for item in items:
            names = sorted(
                {
                    str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                    for m in item.iter_markers("xdist_group")
                }
            )
            if names and "@" not in item.nodeid.rsplit("]", 1)[-1]:
                item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(names)}")


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
