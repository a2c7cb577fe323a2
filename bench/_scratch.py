"""A scratch database for an in-process benchmark: a PostgreSQL database created for the run
(dropped after) or a SQLite file in a temporary folder, the process's environment pointed at it
and Django set up; everything put back when the run ends, whatever happened."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _webbench as wb  # noqa: E402


@contextlib.contextmanager
def database(
    *, postgres: bool, name: str, prefix: str, keep: bool = False, **extra_env: str
) -> Iterator[tuple[dict[str, str], Path]]:
    """Yields the benchmark's environment (for child processes) and its temporary folder.
    ``keep`` (PostgreSQL only): a database of that name left by an earlier run is used as it is,
    and this one is left for the next run (the benchmark decides whether its rows will do)."""
    server_url = wb.server_url_from(os.environ.get("DATABASE_URL", ""))
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    saved_env = dict(os.environ)
    created = False
    try:
        if postgres:
            if not (keep and wb.database_exists(server_url, name)):
                wb.create_database(server_url, name)
            created = not keep
            url = wb.database_url(server_url, name)
        else:
            url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        env = wb.bench_env(url, workdir, **extra_env)
        os.environ.clear()
        os.environ.update(env)
        import django

        django.setup()
        yield env, workdir
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        os.environ.clear()
        os.environ.update(saved_env)
        if created:
            wb.drop_database(server_url, name)
        shutil.rmtree(workdir, ignore_errors=True)


def wants_postgres(flag: bool) -> bool:
    """--postgres, or a DATABASE_URL that names PostgreSQL."""
    return flag or os.environ.get("DATABASE_URL", "").startswith("postgres")
