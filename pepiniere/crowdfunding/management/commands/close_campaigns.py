"""Daily (cron or any scheduler, e.g. ``5 0 * * * pepiniere close_campaigns``): close the
crowdfunding campaigns whose collection has ended, earliest end first, in the name of each rule's
officer. Idempotent: a closed campaign is never closed again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from pepiniere.crowdfunding import services
from pepiniere.crowdfunding.tasks import close_ended_campaigns


class Command(BaseCommand):
    help = "Close the crowdfunding campaigns whose collection has ended (top-up or refusal)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--enqueue", action="store_true", help="Queue the task for a worker instead."
        )

    def handle(self, *args: Any, enqueue: bool = False, **options: Any) -> None:
        if enqueue:
            close_ended_campaigns.enqueue()
            self.stdout.write("queued")
            return
        for pk, outcome in services.close_ended_campaigns():
            self.stdout.write(f"campaign {pk}: {outcome}")
