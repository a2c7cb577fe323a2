"""`pepiniere refresh_impact`: compute the impact pages' figures that are stale, and the landing
pages' figures never computed (every funder's portfolio, programmes and public pages at the
default year). One line per kind of outcome; exits non-zero when a part failed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pepiniere.impact import services


class Command(BaseCommand):
    help = "Compute the impact figures that are stale or never computed (landing pages)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--stale-only",
            action="store_true",
            help="Only the snapshots already computed whose data changed (what the task does).",
        )

    def handle(self, *args: Any, stale_only: bool, **options: Any) -> None:
        outcome = services.refresh_snapshots(landing=not stale_only)
        self.stdout.write(f"Parties de page calculées pour la première fois : {outcome.created}")
        self.stdout.write(f"Parties de page périmées recalculées : {outcome.refreshed}")
        self.stdout.write(f"Parties de page déjà à jour : {outcome.fresh}")
        self.stdout.write(f"Durée : {outcome.seconds:.1f} s")
        if outcome.failed:
            for line in outcome.failed:
                self.stderr.write(f"Échec : {line}")
            raise CommandError(f"{len(outcome.failed)} partie(s) de page en échec")
