"""`pepiniere demo`: rebuild var/demo.sqlite3 from scratch with the founding case, then serve it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from pepiniere.demo.accelerator_scenario import DEMO_ACCELERATOR_ACCOUNTS
from pepiniere.demo.mfa_scenario import DEMO_MFA_ACCOUNTS, DEMO_RECOVERY_CODES, demo_totp_secret
from pepiniere.demo.scenario import ACCOUNTS, PASSWORD, build


class Command(BaseCommand):
    help = "Rebuild the demo database (var/demo.sqlite3) deterministically and serve it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Only build the database.")
        parser.add_argument(
            "--serve-only",
            action="store_true",
            help="Serve the demo database built before (var/demo.sqlite3), without rebuilding it.",
        )

    def handle(
        self, *args: Any, port: int, no_serve: bool, serve_only: bool, **options: Any
    ) -> None:
        database = settings.DATABASES["default"]
        if database["ENGINE"] != "django.db.backends.sqlite3" or not str(database["NAME"]).endswith(
            "demo.sqlite3"
        ):
            raise CommandError("The demo runs on var/demo.sqlite3 only; unset DATABASE_URL.")
        path = Path(database["NAME"])
        if serve_only:
            # Django's start-up checks may already have created an empty file: look for a table.
            if "applications_application" not in connections["default"].introspection.table_names():
                raise CommandError(f"No demo database at {path}: build it first with `make demo`.")
            self._serve(port)
            return
        connections.close_all()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        self.stdout.write("Building the demo database…")
        call_command("migrate", verbosity=0)
        facts = build()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {facts['applications']} applications ({facts['submitted_2015']} submitted to the 2015 call)."
            )
        )
        self.stdout.write(f"Accounts (password: {PASSWORD}):")
        for email, name, role in ACCOUNTS:
            self.stdout.write(f"  {email:<28} {role.label} — {name}")
        self.stdout.write("The accelerator (agent@pepiniere.test runs it; same password):")
        for email, name, label in DEMO_ACCELERATOR_ACCOUNTS:
            self.stdout.write(f"  {email:<28} {label} — {name}")
        self.stdout.write(
            "Second factor (the demo turns it off, except for these two officers; "
            "explained at /compte/double-facteur/demo/):"
        )
        for email, label in DEMO_MFA_ACCOUNTS:
            self.stdout.write(f"  {email:<28} {label}")
        self.stdout.write(
            f"  TOTP key of mfa@pepiniere.test: {demo_totp_secret()} "
            f"(recovery codes: {', '.join(DEMO_RECOVERY_CODES)})"
        )
        self.stdout.write(
            "To serve this demo again later without rebuilding it: `make serve` "
            "(or `.venv/bin/pepiniere demo --serve-only --port 8000`). "
            "`pepiniere runserver` alone serves var/pepiniere.sqlite3, not the demo."
        )
        if no_serve:
            return
        self._serve(port)

    def _serve(self, port: int) -> None:
        connections.close_all()
        # The task worker sends the notification emails (printed on this console in the demo).
        worker = subprocess.Popen(
            [sys.executable, "-m", "pepiniere.manage", "db_worker", "--interval", "1"],
            env=os.environ.copy(),
        )
        self.stdout.write(f"Serving on http://127.0.0.1:{port}/ (Ctrl+C to stop)")
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            worker.terminate()
