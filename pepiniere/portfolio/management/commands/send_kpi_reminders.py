"""Daily (cron or any scheduler, e.g. ``15 8 * * * pepiniere send_kpi_reminders``): send each KPI
campaign's reminder steps that are due (days before / after its due date) to the organisations
that have not submitted yet. Idempotent: each step of each campaign is sent once; running it twice
a day, or again after a missed day, sends nothing twice."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pepiniere.portfolio.services_campaigns import send_due_reminders


class Command(BaseCommand):
    help = "Send the KPI campaigns' reminders that are due (each step once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--today", help="Run as if on this date (YYYY-MM-DD), for checks.")

    def handle(self, *args: Any, today: str | None = None, **options: Any) -> None:
        day = None
        if today:
            try:
                day = datetime.date.fromisoformat(today)
            except ValueError:
                raise CommandError(f"--today {today!r}: expected YYYY-MM-DD") from None
        run = send_due_reminders(today=day)
        organisations = sum(n for _campaign, _step, n in run.sent)
        self.stdout.write(
            f"{len(run.sent)} reminder step(s) sent to {organisations} organisation(s); "
            f"{run.skipped} earlier step(s) passed without sending."
        )
