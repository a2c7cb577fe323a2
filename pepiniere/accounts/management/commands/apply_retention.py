"""`pepiniere apply_retention [--dry-run]`: the personal-data retention policy (run it daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from pepiniere.accounts.privacy import apply_retention


class Command(BaseCommand):
    help = "Delete or anonymise personal data past its retention period (README 'Personal data')."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would change, change nothing."
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        for outcome in apply_retention(dry_run=dry_run):
            self.stdout.write(outcome.line(dry_run=dry_run))
