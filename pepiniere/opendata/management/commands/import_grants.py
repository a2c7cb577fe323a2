"""`pepiniere import_grants FILE [--format auto|scdl|360giving] [--funder SIRET] [--dry-run]
[--report FILE.csv]`

Imports historical grants from a funder's published file (SCDL « subventions » CSV or 360Giving
JSON package, opendata/importing.py) and prints one line per kind of outcome: imported, flagged
(imported with a problem noted), rejected, duplicate. `--report` writes one line per record of
the file with its outcome and reason. `--dry-run` reads and reports but writes nothing in the
database. Non-zero exit when the file cannot be read or understood as a whole (the reason is
printed), on an unknown funder or when the database refuses the import (nothing is written)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from pepiniere.opendata import import_report, importing
from pepiniere.opendata.reading import FORMATS, FileRefused
from pepiniere.programmes.models import Funder

LABELS = {
    importing.IMPORTED: "importée(s)",
    importing.FLAGGED: "importée(s) avec une alerte",
    importing.REJECTED: "refusée(s)",
    importing.DUPLICATE: "doublon(s), déjà importée(s)",
}


class Command(BaseCommand):
    # As export_opendata: the system checks' URL check loads every view (and the selection
    # engine, scipy, WeasyPrint…), seconds of start-up for nothing the import uses.
    requires_system_checks: list[str] = []
    help = (
        "Importe des subventions historiques depuis un fichier publié par un financeur "
        "(SCDL « subventions » en CSV ou paquet 360Giving en JSON)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="fichier CSV (SCDL) ou JSON (360Giving)")
        parser.add_argument("--format", default="auto", help="auto, scdl ou 360giving")
        parser.add_argument("--funder", help="SIRET du financeur qui importe (14 chiffres)")
        parser.add_argument("--dry-run", action="store_true", help="n'écrit rien en base")
        parser.add_argument("--report", help="rapport CSV à écrire (une ligne par enregistrement)")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = str(options["format"]).lower()
        if fmt != "auto" and fmt not in FORMATS:
            raise CommandError(f"Format inconnu « {options['format']} » : auto, scdl ou 360giving.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Le fichier {path} n'existe pas.")
        report = Path(options["report"]) if options["report"] else None
        if report is not None and not report.parent.exists():
            raise CommandError(f"Le dossier {report.parent} n'existe pas.")
        funder = None
        if options["funder"]:
            siret = "".join(str(options["funder"]).split())
            funder = Funder.objects.filter(siret=siret).first()
            if funder is None:
                raise CommandError(f"Aucun financeur n'a le SIRET {siret}.")
        try:
            evaluation, _batch = importing.import_file(
                data=path.read_bytes(),
                file_name=path.name,
                funder=funder,
                format=fmt,
                dry_run=options["dry_run"],
            )
        except FileRefused as refused:
            raise CommandError(f"Fichier refusé : {refused.message}") from None
        except DatabaseError as error:
            raise CommandError(f"Import annulé, rien n'a été écrit : {error}") from None
        if report is not None:
            with report.open("w", encoding="utf-8", newline="") as stream:
                import_report.write_report(evaluation.lines, stream)
        counts = evaluation.counts
        for outcome in importing.OUTCOMES:
            self.stdout.write(f"{LABELS[outcome]} : {counts[outcome]} enregistrement(s)")
        done = "Simulation, rien n'a été écrit" if options["dry_run"] else "Importé"
        self.stdout.write(
            f"{done} : {len(evaluation.lines)} enregistrement(s) lus dans {path.name}"
            f" ({evaluation.parsed.format}, {evaluation.parsed.encoding})."
            + (f" Rapport : {report}." if report else "")
        )
