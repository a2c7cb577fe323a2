"""`pepiniere payment_run --funder SIRET [--format mandatement|sepa] [--run ID] --out FILE`

Makes one new payment run of the funder's authorised instalments that are in no run yet and
writes its file (DESIGN.md "Commands an operator runs"); running it again exports nothing new.
`--run ID` writes an existing run again, in either format (the same orders, the same amounts,
the bank details the orders were made with). One line per kind of outcome; non-zero exit on
failure, and then nothing is kept: the run is created and the file written in one transaction
(the file is renamed into place only once the run is committed)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from pepiniere.lib.money import format_eur
from pepiniere.payments import files, runs
from pepiniere.payments.models import PaymentRun
from pepiniere.programmes.models import Funder


class Command(BaseCommand):
    help = (
        "Crée un lot de paiement des tranches autorisées d'un financeur (hors lot) et écrit son "
        "fichier de mandatement (CSV) ou de virement SEPA (pain.001.001.09) ; --run réécrit un lot."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--funder", required=True, help="SIRET du financeur (14 chiffres)")
        parser.add_argument("--format", choices=["mandatement", "sepa"], default="mandatement")
        parser.add_argument("--run", type=int, help="identifiant d'un lot existant à réécrire")
        parser.add_argument("--out", required=True, help="fichier à écrire")

    def handle(self, *args: Any, **options: Any) -> None:
        siret = "".join(str(options["funder"]).split())
        funder = Funder.objects.filter(siret=siret).first()
        if funder is None:
            raise CommandError(f"Aucun financeur n'a le SIRET {siret}.")
        out = Path(options["out"])
        if not out.parent.exists():
            raise CommandError(f"Le dossier {out.parent} n'existe pas.")
        fmt = options["format"]
        handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=".payment_run-")
        os.close(handle)
        try:
            with transaction.atomic():
                run = self._run(funder, options["run"])
                if run is None:
                    return
                count = self._write(run, fmt, Path(temporary))
                run.exported_at = timezone.now()
                run.save(update_fields=["exported_at"])
            os.replace(temporary, out)
        except files.PaymentFileError as error:
            raise CommandError(f"Fichier refusé, rien n'est enregistré : {error}") from None
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        total = sum(o.amount for o in run.orders.exclude(status="cancelled"))
        self.stdout.write(
            f"{run.reference} : {count} ordre(s) de paiement, {format_eur(total)}, "
            f"écrit(s) dans {out} ({fmt})."
        )

    def _run(self, funder: Funder, run_id: int | None) -> PaymentRun | None:
        if run_id is not None:
            run = PaymentRun.objects.filter(pk=run_id, funder=funder).first()
            if run is None:
                raise CommandError(f"Le lot {run_id} n'existe pas pour {funder.name}.")
            self.stdout.write(f"{run.reference} : lot existant réécrit.")
            return run
        outcome = runs.make_payment_run(funder=funder, actor=None)
        for instalment, reason in outcome.held:
            self.stdout.write(
                f"Tranche {instalment.pk} ({instalment.award.application}) bloquée : {reason}."
            )
        if outcome.run is None:
            self.stdout.write("0 nouvelle tranche autorisée hors lot : aucun fichier écrit.")
            return None
        self.stdout.write(f"{outcome.run.reference} : nouveau lot de {outcome.ordered} tranche(s).")
        return outcome.run

    def _write(self, run: PaymentRun, fmt: str, path: Path) -> int:
        lines = runs.order_lines(run)
        payer = runs.payer_of(run.funder)
        with path.open("wb") as stream:
            if fmt == "sepa":
                return files.write_sepa(
                    lines,
                    stream,
                    message_id=run.reference,
                    payer=payer,
                    execution_date=run.execution_date,
                    created_at=timezone.now(),
                )
            return files.write_mandatement(
                lines,
                stream,
                run_reference=run.reference,
                payer=payer,
                execution_date=run.execution_date,
            )
