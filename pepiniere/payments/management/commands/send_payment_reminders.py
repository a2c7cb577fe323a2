"""Daily (cron or a systemd timer): remind associations of their final financial report
(CERFA n° 15059) due within 30 days; each reminder is sent once (the e-mails leave through
django.tasks, run by `pepiniere db_worker`)."""

from typing import Any

from django.core.management.base import BaseCommand

from pepiniere.payments.reminders import send_due_reminders


class Command(BaseCommand):
    help = "Relance les associations dont le compte rendu financier est attendu sous 30 jours."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_due_reminders()
        self.stdout.write(f"{len(sent)} relance(s) de compte rendu financier envoyée(s).")
