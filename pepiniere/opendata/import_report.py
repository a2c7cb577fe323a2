"""The import's report: one line per record of the file (its number, outcome, reason,
beneficiary and amount) as a CSV the officer downloads, read back for the preview page; and
imported grants written as an SCDL file again (the round trip's other half)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from pepiniere.lib.spreadsheet import SafeCsvWriter, unneutralise
from pepiniere.opendata.export import SCDL_FIELDS, decimal_text
from pepiniere.opendata.models import ImportBatch, ImportedGrant

REPORT_HEADER = [
    "enregistrement (n° dans le fichier : 1 = première ligne de données après l'en-tête du "
    "CSV, ou premier élément de « grants » en 360Giving)",
    "resultat",
    "motif",
    "beneficiaire",
    "montant",
]


@dataclass(slots=True)
class ReportLine:
    number: int
    outcome: str
    reason: str
    beneficiary: str
    amount: str


def write_report(lines: Iterable[ReportLine], stream: TextIO) -> None:
    writer = SafeCsvWriter(stream, lineterminator="\r\n")
    writer.writerow_text(REPORT_HEADER)
    for line in lines:
        writer.writerow_text(
            [str(line.number), line.outcome, line.reason, line.beneficiary, line.amount]
        )


def report_csv(lines: Iterable[ReportLine]) -> str:
    buffer = io.StringIO()
    write_report(lines, buffer)
    return buffer.getvalue()


def read_report(batch: ImportBatch) -> list[ReportLine]:
    if not batch.report:
        return []
    try:
        with batch.report.open("rb") as stream:
            text = stream.read().decode("utf-8")
    except OSError:
        return []
    rows = csv.reader(io.StringIO(text, newline=""))
    next(rows, None)
    return [
        ReportLine(int(row[0]), row[1], unneutralise(row[2]), unneutralise(row[3]), row[4])
        for row in rows
        if len(row) == 5
    ]


def write_imported_scdl(grants: Iterable[ImportedGrant], stream: TextIO) -> int:
    """Imported grants as an SCDL file again (the schema's forms: ISO dates, `.` decimals,
    `oui`/`non`): a file exported by the platform, imported, gives the same file back."""
    writer = SafeCsvWriter(stream, lineterminator="\r\n")
    writer.writerow_text(SCDL_FIELDS)
    written = 0
    for g in grants:
        notified = {True: "oui", False: "non", None: ""}[g.eu_notified]
        share = "" if g.share is None else f"{g.share.normalize():f}"
        writer.writerow_text(
            [
                g.funder_name,
                g.funder_siret,
                g.agreement_date.isoformat(),
                g.reference,
                g.beneficiary_name,
                g.beneficiary_siret,
                g.beneficiary_rna,
                g.object,
                decimal_text(g.amount),
                g.nature,
                g.payment_terms,
                g.payment_dates,
                g.rae_id,
                notified,
                share,
                g.aid_scheme,
            ]
        )
        written += 1
    return written
