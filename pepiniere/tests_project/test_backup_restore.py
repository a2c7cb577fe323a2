"""A backup restores into an empty database with the same rows and the same private files."""

import shutil

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from pepiniere.lib.backup import BackupError, file_hashes, restore, table_counts, verify
from pepiniere.lib.testing.factories import make_draft, make_submitted

# transaction=True: pg_dump only sees committed rows. serialized_rollback: the flush afterwards
# would also empty the reference data that the next tests need.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def empty_database():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): the backup is a pg_dump")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump / pg_restore are not on PATH (PostgreSQL client tools)")
    settings = dict(connection.settings_dict)
    settings["NAME"] = f"{settings['NAME']}_restore"

    def admin():
        return psycopg.connect(
            dbname="postgres",
            host=settings.get("HOST") or None,
            port=settings.get("PORT") or None,
            user=settings.get("USER") or None,
            password=settings.get("PASSWORD") or None,
            autocommit=True,
        )

    with admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{settings["NAME"]}"')
        conn.execute(f'CREATE DATABASE "{settings["NAME"]}"')
    yield settings
    with admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{settings["NAME"]}" WITH (FORCE)')


def test_a_backup_restores_into_an_empty_database_with_the_same_counts_and_files(
    empty_database, tmp_path, settings
):
    make_submitted()
    make_draft()
    before_counts = table_counts(connection.settings_dict)
    before_files = file_hashes(settings.MEDIA_ROOT)
    assert before_counts["applications_application"] == 2
    assert before_files, "the factories upload a financing plan"

    out = tmp_path / "backup"
    call_command("backup", out=out)
    manifest = verify(out)
    assert manifest["tables"] == before_counts
    assert manifest["files"] == before_files

    restored_media = tmp_path / "restored-private"
    restore(folder=out, database=empty_database, media_root=restored_media)
    assert table_counts(empty_database) == before_counts
    assert file_hashes(restored_media) == before_files

    # A second restore over it is refused: never over a database that has data.
    with pytest.raises(BackupError, match="not empty"):
        restore(folder=out, database=empty_database, media_root=tmp_path / "other")


def test_a_damaged_backup_is_refused_before_anything_is_touched(empty_database, tmp_path):
    make_submitted()
    out = tmp_path / "backup"
    call_command("backup", out=out)
    some_file = next(p for p in (out / "files").rglob("*") if p.is_file())
    some_file.write_bytes(b"altered")
    with pytest.raises(BackupError, match="differ"):
        restore(folder=out, database=empty_database, media_root=tmp_path / "restored")
    assert table_counts(empty_database) == {}
