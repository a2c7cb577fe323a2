"""`pepiniere export_opendata --format scdl|360giving [--funder SIRET] --out FILE`

Writes the open data of one funder (or of all) as an SCDL « subventions » CSV or a 360Giving
JSON package (DESIGN.md "Open data and import formats") and prints one line per kind of outcome:
published, withheld, too small, not yet signed. Non-zero exit on an unknown funder, a bad format
or a folder that does not exist; the file is written only when the export succeeded."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pepiniere.opendata import export
from pepiniere.programmes.models import Funder

LABELS = {
    export.PUBLISHED: "publiée(s)",
    export.WITHHELD: "retirée(s) par le financeur (exception légale)",
    export.TOO_SMALL: "non publiée(s) : convention de moins de 23 000 €",
    export.NOT_SIGNED: "non publiée(s) : convention pas encore signée",
}


class Command(BaseCommand):
    # A read-only operator's command, run from cron on large databases: it skips the system
    # checks, whose URL check loads every view (and the selection engine, scipy, WeasyPrint…):
    # 2 s and 130 MB of start-up for nothing the export uses.
    requires_system_checks: list[str] = []
    help = (
        "Écrit les données ouvertes des aides attribuées : fichier SCDL « subventions » (CSV) ou "
        "paquet 360Giving (JSON), d'un financeur (--funder SIRET) ou de tous."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--format", required=True, help="scdl ou 360giving")
        parser.add_argument("--funder", help="SIRET du financeur (14 chiffres) ; tous sinon")
        parser.add_argument("--out", required=True, help="fichier à écrire")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = str(options["format"]).lower()
        if fmt not in ("scdl", "360giving"):
            raise CommandError(f"Format inconnu « {options['format']} » : scdl ou 360giving.")
        funder = None
        if options["funder"]:
            siret = "".join(str(options["funder"]).split())
            funder = Funder.objects.filter(siret=siret).first()
            if funder is None:
                raise CommandError(f"Aucun financeur n'a le SIRET {siret}.")
        out = Path(options["out"])
        if not out.parent.exists():
            raise CommandError(f"Le dossier {out.parent} n'existe pas.")
        counts = dict.fromkeys(export.OUTCOMES, 0)
        missing: set[str] = set()

        def counted() -> Iterator[export.Line]:
            for line in export.iter_lines(funder):
                counts[line.outcome] += 1
                if line.outcome == export.PUBLISHED and not line.funder.siret:
                    missing.add(line.funder.name)
                yield line

        # Streamed into a temporary file beside the target, which replaces it only on success.
        handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=".export_opendata-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                if fmt == "scdl":
                    export.write_scdl(counted(), stream)
                else:
                    export.write_giving(counted(), stream, issued=timezone.localdate())
            if fmt == "scdl" and missing:
                raise CommandError(
                    "Financeur(s) sans SIRET, l'idAttribuant du SCDL est obligatoire : "
                    + ", ".join(sorted(missing))
                )
            os.replace(temporary, out)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        for outcome in export.OUTCOMES:
            self.stdout.write(f"{LABELS[outcome]} : {counts[outcome]} ligne(s)")
        self.stdout.write(f"Écrit dans {out} ({fmt}).")
