"""The tests that read the demo scenario and change nothing lasting: the crawl of every role, the
French of every page, the security policy of every page, the demo's places and its selection.

The demo is built once for the whole package (one build costs about 25 s of a worker), inside one
transaction rolled back after the package's last test; each test runs in its own savepoint on top
of it (``pytest.mark.django_db``), so what a test writes (a login, a scenario) is gone before the
next. Every module of the package is in the xdist group « demo »: the package runs on one worker,
its tests one after the other, and no other test ever sees the demo's rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

DEMO = [pytest.mark.django_db, pytest.mark.xdist_group("demo")]


@pytest.fixture(scope="package")
def demo_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo") / "private"


@pytest.fixture(autouse=True)
def _private_media(settings: Any, demo_media: Path) -> None:
    """The demo's files (attachments, letters) stay where the package's demo put them."""
    settings.MEDIA_ROOT = demo_media


@pytest.fixture(scope="package")
def demo(
    django_db_setup: None, django_db_blocker: Any, demo_media: Path
) -> Iterator[dict[str, Any]]:
    """The demo's facts (``pepiniere.demo.scenario.build``'s answer), built once for the package."""
    from pepiniere.demo.scenario import build

    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=demo_media),
        transaction.atomic(),
    ):
        facts = build()
        yield facts
        transaction.set_rollback(True)
