"""Browser tests: a live Django server, Debian's Chromium driven by Playwright (sync API).

Every test here is marked ``browser`` and put in the ``browser`` xdist group, so that the whole
package runs on one worker (one Chromium) under ``pytest -n auto --dist loadgroup``.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Playwright's sync API runs an asyncio loop in this thread; Django's ORM refuses to run while a
# loop is running unless told that this is safe. It is here: the loop only drives the browser.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("PEPINIERE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULTS_DIR = HERE.parent.parent / "test-results"
# Generous: under ``pytest -n auto`` on two cores the browser shares the CPU with other workers.
DEFAULT_TIMEOUT_MS = 15_000


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return (
            f"Chromium not found at {CHROMIUM} (install Debian's chromium package or set "
            "PEPINIERE_CHROMIUM); browser tests never download a browser"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright (python) is not installed"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # tryfirst: the marks must be there before pytest-xdist reads xdist_group in its own hook.
    ours = [item for item in items if HERE in Path(item.path).parents]
    reason = _skip_reason() if ours else None
    for item in ours:
        item.add_marker(pytest.mark.browser)
        item.add_marker(pytest.mark.xdist_group("browser"))
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if HERE in Path(item.path).parents:
        setattr(item, f"_report_{report.when}", report)
    return report


# --- The live server ----------------------------------------------------------------------------

# With SQLite in memory, the test and every request thread of the live server share ONE database
# connection (Django's LiveServerThread passes it along). Two requests at once on one connection
# mix their transactions, which says nothing about the application. So requests are handled one
# at a time, the test takes the same lock around its own queries (see ``db``), and between tests
# (while the database is flushed and reloaded) the server answers 503 to any straggling request
# from the closed browser context. With PostgreSQL each thread has its own connection and
# requests run concurrently.
SERVER_LOCK = threading.RLock()


class _OneRequestAtATime:
    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.open = False

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with SERVER_LOCK:
            if not self.open:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"between tests"]
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


def _serialised_app(live_server: Any) -> _OneRequestAtATime | None:
    app = live_server.thread.httpd.get_app()
    return app if isinstance(app, _OneRequestAtATime) else None


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """pytest-django's live server on 127.0.0.1, serialised when the database is shared."""
    from pytest_django.live_server_helper import LiveServer

    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "127.0.0.1"
    )
    # Import every view now (the URLconf pulls in fpdf, slow to import) rather than during the
    # first page load of the first test, where it would eat into that test's timeouts.
    from django.urls import get_resolver

    _ = get_resolver().url_patterns
    server = LiveServer(addr)
    if server.thread.connections_override:
        httpd = server.thread.httpd
        app = httpd.get_app()
        assert app is not None  # LiveServerThread set the WSGI handler when it started
        httpd.set_app(_OneRequestAtATime(app))
    yield server
    server.stop()


def _migrated_state_back() -> None:
    """A transactional test that ran earlier on this worker (a concurrency test, with its
    serialized rollback) flushed the database when it ended: the départements, sectors and legal
    forms the migrations load were gone, and a browser test after it failed (« Departement
    matching query does not exist »), depending on which worker xdist gave it. Put back what the
    migrations left, from the copy Django serialised when it made the test database."""
    from django.core.management import call_command
    from django.db import connection

    from pepiniere.territories.models import Departement

    if Departement.objects.exists():
        return
    contents = getattr(connection, "_test_serialized_contents", None)
    if not contents:
        pytest.fail(
            "the database was flushed before the browser tests and Django kept no serialised "
            "copy of the migrated state to put back"
        )
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    connection.creation.deserialize_db_from_string(contents)


def _snapshot_reference_data() -> list[tuple[Any, list[Any]]]:
    from django.apps import apps

    snapshot = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            rows = list(model._base_manager.order_by("pk"))
            if rows:
                snapshot.append((model, rows))
    return snapshot


def _rows(model: Any) -> list[tuple[Any, ...]]:
    fields = [field.attname for field in model._meta.concrete_fields]
    return list(model._base_manager.order_by("pk").values_list(*fields))


def _restore_reference_data(snapshot: list[tuple[Any, list[Any]]]) -> None:
    """Put back exactly what the migrations left, primary keys included.

    The flush after a live-server test runs ``post_migrate`` again, which re-creates the content
    types and permissions under new primary keys. Keeping those would break the next test of this
    worker that uses ``serialized_rollback``: Django reloads the serialized content types by
    primary key, so (app_label, model) would then exist twice (IntegrityError in set-up). So a
    table whose rows differ from the snapshot is emptied and refilled from it."""
    from django.db import transaction

    with transaction.atomic():  # foreign keys are checked at commit: the order does not matter
        for model, rows in snapshot:
            manager = model._base_manager
            if not manager.exists():
                manager.bulk_create(rows)
                continue
            fields = [field.attname for field in model._meta.concrete_fields]
            wanted = [tuple(getattr(row, name) for name in fields) for row in rows]
            if _rows(model) != wanted:
                manager.all()._raw_delete(manager.db)
                manager.bulk_create(rows)


@pytest.fixture(scope="package")
def _reference_snapshot(django_db_setup: None, django_db_blocker: Any) -> Iterator[list[Any]]:
    """What the migrations put in the database (départements, sectors, legal forms, content
    types...), read before the first browser test, put back after the last one so that the next
    tests of this worker find it."""
    with django_db_blocker.unblock():
        _migrated_state_back()
        snapshot = _snapshot_reference_data()
    yield snapshot
    with django_db_blocker.unblock():
        _restore_reference_data(snapshot)


@pytest.fixture(autouse=True)
def _reference_data(transactional_db: None, _reference_snapshot: list[Any]) -> None:
    """Live-server tests are transactional: the database is flushed after each of them, reference
    data included. Put it back (Django's serialized rollback does the same, 30 times slower)."""
    _restore_reference_data(_reference_snapshot)


@contextmanager
def db() -> Iterator[None]:
    """Query the database from the test while no request is being handled."""
    with SERVER_LOCK:
        yield


def wait_for[T](check: Callable[[], T | None], *, timeout: float = 10.0, message: str = "") -> T:
    """Poll ``check`` (run under ``db()``) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        with db():
            value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or f"timed out after {timeout} s waiting for {check}")
        time.sleep(0.1)


# --- The browser --------------------------------------------------------------------------------


# Package scope, not session: while Playwright runs, its event loop counts as running in this
# thread, which would break any later test on the same xdist worker that uses async_to_sync or
# asyncio.run. The package is one xdist group, so this is still one browser for all its tests.
@pytest.fixture(scope="package")
def _playwright() -> Iterator[Any]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from django.db import connections
    from playwright.sync_api import expect, sync_playwright

    # Django keeps database connections in a thread-local, except when an event loop runs in the
    # thread: then it keeps them in a context variable, i.e. somewhere else. Without this, the
    # test body would open a second connection, not the one pytest-django set up (and flushes)
    # nor the one the live server shares: keep using the same one.
    before = {alias: connections[alias] for alias in connections}
    manager = sync_playwright().start()
    for alias, connection in before.items():
        connections[alias] = connection
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    yield manager
    manager.stop()


@pytest.fixture(scope="package")
def browser(_playwright: Any) -> Iterator[Any]:
    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(
        locale="fr-FR",
        timezone_id="Europe/Paris",
        viewport={"width": 1280, "height": 900},
        base_url=live_server.url,
        accept_downloads=True,
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    app = _serialised_app(live_server)
    if app is not None:
        with SERVER_LOCK:
            app.open = True
    yield context
    context.close()
    if app is not None:
        with SERVER_LOCK:  # waits for a request being handled, then shuts the door
            app.open = False


@pytest.fixture
def page(context: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page. Fails the test on an uncaught script error or a server error (5xx)."""
    page = context.new_page()
    problems: list[str] = []
    context.on("weberror", lambda error: problems.append(f"script error: {error.error}"))
    context.on(
        "response",
        lambda response: (
            problems.append(f"HTTP {response.status} on {response.url}")
            if response.status >= 500
            else None
        ),
    )
    yield page
    failed = any(
        getattr(getattr(request.node, f"_report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    if failed:
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        for number, open_page in enumerate(context.pages):
            # A screenshot must never hide the real failure.
            with contextlib.suppress(Exception):
                open_page.screenshot(path=RESULTS_DIR / f"{name}-{number}.png", full_page=True)
    if problems and not failed:
        pytest.fail("The browser met errors:\n" + "\n".join(problems))


def login(page: Any, live_server: Any, email: str, password: str) -> None:
    """Log in through the login page, as a person would."""
    page.goto(f"{live_server.url}/compte/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    # The header has its own submit button (language switch): take the one in the page's content.
    page.locator("main button[type=submit]").click()
    page.wait_for_url(lambda url: "/compte/connexion/" not in url)
