"""Backup and restore: the database (pg_dump custom format, or a SQLite copy) and the private
files (MEDIA_ROOT), with a manifest of SHA-256 checksums and row counts per table.

A backup folder holds:
    manifest.json    format, date, engine, the database file's checksum, rows per table,
                     the checksum of every private file
    database.dump    PostgreSQL: `pg_dump --format=custom` (or database.sqlite3 for SQLite)
    files/           a copy of MEDIA_ROOT

`restore` checks every checksum before touching anything, restores into an *empty* database
(refuses one that has tables), copies the files back, then compares the row counts and the
files' checksums with the manifest.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

FORMAT = "pepiniere-backup-1"
MANIFEST = "manifest.json"


class BackupError(Exception):
    pass


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_hashes(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): sha256_of(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _is_postgres(database: dict[str, Any]) -> bool:
    return "postgresql" in str(database["ENGINE"])


def _pg_env(database: dict[str, Any]) -> dict[str, str]:
    env = os.environ.copy()
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if database.get(key):
            env[name] = str(database[key])
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not on PATH (install the PostgreSQL client tools).")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def table_counts(database: dict[str, Any]) -> dict[str, int]:
    """Rows per table, read directly (psycopg or sqlite3) so that any database can be counted,
    not only Django's configured connection."""
    if _is_postgres(database):
        import psycopg

        with psycopg.connect(
            dbname=database["NAME"],
            host=database.get("HOST") or None,
            port=database.get("PORT") or None,
            user=database.get("USER") or None,
            password=database.get("PASSWORD") or None,
        ) as conn:
            names = [
                row[0]
                for row in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
                )
            ]
            counts = {}
            for name in names:
                row = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()  # noqa: S608
                counts[name] = int(row[0]) if row else 0
            return counts
    with sqlite3.connect(database["NAME"]) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY 1"
            )
        ]
        return {
            name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])  # noqa: S608
            for name in names
        }


def backup(
    *, out: Path, database: dict[str, Any] | None = None, media_root: Path | None = None
) -> dict[str, Any]:
    database = dict(database or settings.DATABASES["default"])
    media_root = Path(media_root or settings.MEDIA_ROOT)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise BackupError(f"{out} is not empty: a backup goes into a new folder.")
    connections.close_all()
    if _is_postgres(database):
        dump = out / "database.dump"
        _run(
            ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", str(database["NAME"])],
            _pg_env(database),
        )
    else:
        dump = out / "database.sqlite3"
        with sqlite3.connect(database["NAME"]) as source, sqlite3.connect(dump) as target:
            source.backup(target)
    files_dir = out / "files"
    if media_root.exists():
        shutil.copytree(media_root, files_dir)
    else:
        files_dir.mkdir()
    manifest = {
        "format": FORMAT,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "engine": "postgresql" if _is_postgres(database) else "sqlite",
        "database_file": dump.name,
        "database_sha256": sha256_of(dump),
        "tables": table_counts(database),
        "files": file_hashes(files_dir),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def verify(folder: Path) -> dict[str, Any]:
    """The manifest, after checking every checksum in it (BackupError on any difference)."""
    try:
        manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"No readable {MANIFEST} in {folder}: {error}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder} is not a Pépinière backup ({manifest.get('format')!r}).")
    dump = folder / str(manifest["database_file"])
    if not dump.is_file() or sha256_of(dump) != manifest["database_sha256"]:
        raise BackupError(f"{dump.name} is missing or damaged (checksum differs).")
    found = file_hashes(folder / "files")
    if found != manifest["files"]:
        damaged = sorted(set(found.items()) ^ set(manifest["files"].items()))
        raise BackupError(f"Private files differ from the manifest: {damaged[:5]}")
    return manifest


def restore(
    *, folder: Path, database: dict[str, Any] | None = None, media_root: Path | None = None
) -> dict[str, Any]:
    manifest = verify(folder)
    database = dict(database or settings.DATABASES["default"])
    media_root = Path(media_root or settings.MEDIA_ROOT)
    engine = "postgresql" if _is_postgres(database) else "sqlite"
    if engine != manifest["engine"]:
        raise BackupError(f"This backup is of a {manifest['engine']} database, not {engine}.")
    if table_counts(database):
        raise BackupError(
            f"The database {database['NAME']} is not empty: restore into a new, empty database."
        )
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"{media_root} is not empty: restore the files into an empty folder.")
    connections.close_all()
    dump = folder / str(manifest["database_file"])
    if engine == "postgresql":
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                f"--dbname={database['NAME']}",
                str(dump),
            ],
            _pg_env(database),
        )
    else:
        with sqlite3.connect(dump) as source, sqlite3.connect(database["NAME"]) as target:
            source.backup(target)
    shutil.copytree(folder / "files", media_root, dirs_exist_ok=True)
    counts = table_counts(database)
    if counts != manifest["tables"]:
        differ = {
            t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n
        }
        raise BackupError(f"Row counts differ after the restore: {differ}")
    if file_hashes(media_root) != manifest["files"]:
        raise BackupError("Private files differ from the manifest after the restore.")
    return manifest
