"""`pepiniere backup --out DIR`: database dump + private files + checksum manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pepiniere.lib.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump custom format) and MEDIA_ROOT into a new folder."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True, type=Path, help="A new (or empty) folder.")

    def handle(self, *args: Any, out: Path, **options: Any) -> None:
        try:
            manifest = backup(out=out)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"Backup in {out}: {len(manifest['tables'])} tables, {rows} rows, "
            f"{len(manifest['files'])} private files; checksums in {out / 'manifest.json'}."
        )
