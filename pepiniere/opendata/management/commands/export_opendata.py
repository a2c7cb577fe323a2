"""`pepiniere export_opendata --format scdl|360giving [--funder SIRET] [--jobs N] --out FILE`

Writes the open data of one funder (or of all) as an SCDL « subventions » CSV or a 360Giving
JSON package (DESIGN.md "Open data and import formats") and prints one line per kind of outcome:
published, withheld, too small, not yet signed. Non-zero exit on an unknown funder, a bad format
or a folder that does not exist; the file is written only when the export succeeded. A large
export (50 000 awards or more; PostgreSQL or a SQLite file) is written by up to `--jobs` processes (default two
when the machine has two processors: each holds about 145 MB at a million agreements;
opendata/parallel.py); `--part` and `--snapshot` are that split's own options."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pepiniere.opendata import export, parallel
from pepiniere.programmes.models import Funder

LABELS = {
    export.PUBLISHED: "publiée(s)",
    export.WITHHELD: "retirée(s) par le financeur (exception légale)",
    export.TOO_SMALL: "non publiée(s) : convention de moins de 23 000 €",
    export.NOT_SIGNED: "non publiée(s) : convention pas encore signée",
}


# Two processes halve the time of a large export (a million agreements: about 16 s instead of
# 26 s for the SCDL file on two cores) for twice the memory (2 × 145 MB, under 300 MB).
DEFAULT_JOBS = min(2, os.cpu_count() or 1)


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
        parser.add_argument(
            "--jobs",
            type=int,
            default=DEFAULT_JOBS,
            help=f"processus au plus pour un grand export (défaut {DEFAULT_JOBS} ; 1 : moitié "
            "moins de mémoire, plus lent)",
        )
        parser.add_argument("--part", help=argparse.SUPPRESS)  # a helper's range of award ids
        parser.add_argument("--snapshot", help=argparse.SUPPRESS)  # the parent's snapshot

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
        if options["part"] is not None:
            try:
                ids = parallel.parse_ids(options["part"])
            except ValueError:
                raise CommandError(f"Intervalle invalide « {options['part']} ».") from None
            parallel.write_part(fmt, funder, ids, options["snapshot"], out)
            return
        if options["jobs"] < 1:
            raise CommandError("--jobs : un nombre de processus, 1 au moins.")
        # Streamed into a temporary file beside the target, which replaces it only on success.
        handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=".export_opendata-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                tally = parallel.write(
                    fmt,
                    funder,
                    stream,
                    issued=timezone.localdate(),
                    jobs=options["jobs"],
                    folder=out.parent,
                )
            if fmt == "scdl" and tally.missing:
                raise CommandError(
                    "Financeur(s) sans SIRET, l'idAttribuant du SCDL est obligatoire : "
                    + ", ".join(sorted(tally.missing))
                )
            os.replace(temporary, out)
        except parallel.PartFailed as error:
            raise CommandError(str(error)) from None
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        for outcome in export.OUTCOMES:
            self.stdout.write(f"{LABELS[outcome]} : {tally.counts[outcome]} ligne(s)")
        self.stdout.write(f"Écrit dans {out} ({fmt}).")
        if options["verbosity"] >= 2:
            peaks = tally.helper_peaks_kb
            self.stdout.write(
                f"Processus : {1 + len(peaks)} ; pic de mémoire des auxiliaires : "
                + (" + ".join(f"{kb // 1024} Mo" for kb in peaks) if peaks else "aucun")
                + f" ; de celui-ci : {parallel.peak_kb() // 1024} Mo."
            )
