"""Daily (cron or any scheduler): remind experts of reviews still due on calls whose review deadline
is within the next `--days` days."""

import datetime
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from pepiniere.calls.models import Call
from pepiniere.reviews.services import send_reminders


class Command(BaseCommand):
    help = "Email experts who still have reviews to submit before a call's review deadline."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args: Any, days: int, **options: Any) -> None:
        now = timezone.now()
        calls = Call.objects.filter(
            review_deadline__gt=now, review_deadline__lte=now + datetime.timedelta(days=days)
        )
        total = sum(send_reminders(call=call, now=now) for call in calls)
        self.stdout.write(f"{total} reminder(s) sent for {calls.count()} call(s).")
