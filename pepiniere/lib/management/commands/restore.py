"""`pepiniere restore DIR`: check a backup's checksums, restore it into an empty database and an
empty MEDIA_ROOT, then compare row counts and file checksums with its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pepiniere.lib.backup import BackupError, restore, verify


class Command(BaseCommand):
    help = "Restore a `pepiniere backup` folder into the (empty) configured database."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument(
            "--check-only", action="store_true", help="Only check the backup's checksums."
        )

    def handle(self, *args: Any, folder: Path, check_only: bool, **options: Any) -> None:
        try:
            manifest = verify(folder) if check_only else restore(folder=folder)
        except BackupError as error:
            raise CommandError(str(error)) from error
        verb = "Checked" if check_only else "Restored"
        self.stdout.write(
            f"{verb} {folder} (made {manifest['created_at']}): "
            f"{sum(manifest['tables'].values())} rows, {len(manifest['files'])} private files, "
            "checksums match."
        )
