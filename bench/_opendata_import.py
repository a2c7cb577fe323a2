"""Historical import at scale: a 100 000-row messy SCDL file through `pepiniere import_grants`.

    .venv/bin/python bench/_opendata_import.py --rows 100000             # SQLite (a temp file)
    .venv/bin/python bench/_opendata_import.py --rows 100000 --postgres  # PostgreSQL (--db NAME)

The file (generated, seeded, not timed) is what a département's finance system exports: cp1252,
`;`-separated, the SCDL 2.1.1 *titles* as header for half the columns, French decimals
(`12 500,00`, some with a no-break space), dd/mm/yyyy dates, names in capitals, 2 % of SIRETs
with a wrong check digit, 1 % of rows repeated later in the file (duplicates), 5 % of objects
naming the de minimis regime (written to the beneficiaries' ledgers), 20 000 beneficiaries
unknown to the platform (created, unverified) and a few rows without an amount (rejected).

Timed: `pepiniere import_grants FILE --report REPORT.csv` in a child process, as an operator
runs it, start-up included, on a migrated empty database; then the same command again (every
record a duplicate). The report is checked: one line per record, outcomes adding up, as many
grants in the database as imported + flagged. Peak memory: the child's VmHWM.
Baseline, in the same run: a bare `csv.reader` over the same file (decoded cp1252, `;`), which
only splits the rows — no cleaning, no check, no database.

Target: the import with its report under 60 s.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _scratch as scratch  # noqa: E402
import _webbench as wb  # noqa: E402

TARGET_SECONDS = 60.0
HEADER = [
    "Nom de l'attribuant",
    "Identification de l'attribuant",
    "dateConvention",
    "referenceDecision",
    "Nom du bénéficiaire",
    "idBeneficiaire",
    "Objet de la subvention",
    "Montant total de la subvention",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
]
OBJECTS = [
    "Fonctionnement de l'association",
    "Aide à l'embauche d'un premier salarié",
    "Projet de tiers-lieu numérique",
    "Festival de musiques actuelles",
    "Aide de minimis à la création d'entreprise",
    "Formation aux outils numériques",
    "Équipement informatique",
]
WORDS = ["ATELIER", "NUMÉRIQUE", "ASSOCIATION", "CLUB", "LES AMIS DU", "SAS", "COOPÉRATIVE"]

_CHILD = """
import sys
from pepiniere.manage import main
sys.argv = ["pepiniere", *sys.argv[1:]]
try:
    main()
finally:
    with open("/proc/self/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM:"))
    print("PEAK", int(peak.split()[1]) / 1024, file=sys.stderr)
"""


def luhn(digits: str) -> str:
    """`digits` completed with the Luhn check digit (SIREN and SIRET keys)."""
    from stdnum import luhn as stdnum_luhn

    return digits + stdnum_luhn.calc_check_digit(digits)


def french_amount(cents: int, rng: random.Random) -> str:
    euros, rest = divmod(cents, 100)
    grouped = f"{euros:,}".replace(",", "\xa0" if rng.random() < 0.3 else " ")
    return f"{grouped},{rest:02d}"


def generate(path: Path, rows: int, seed: int) -> dict[str, int]:
    """The messy file; returns what was put in it."""
    rng = random.Random(seed)
    funder_siret = luhn(luhn("22330001") + "0001")  # a département council (22 + 33: Gironde)
    beneficiaries = []
    for n in range(20_000):
        siren = luhn(f"{(n * 7919 + seed) % 10**8:08d}")
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {n}"
        beneficiaries.append((luhn(siren + "0001"), name))
    made = {"broken_sirets": 0, "repeats": 0, "missing_amounts": 0, "de_minimis": 0}
    lines: list[list[str]] = []
    while len(lines) < rows:
        if lines and rng.random() < 0.01:
            lines.append(list(rng.choice(lines)))
            made["repeats"] += 1
            continue
        siret, name = rng.choice(beneficiaries)
        if rng.random() < 0.02:
            siret = siret[:-1] + str((int(siret[-1]) + 1) % 10)
            made["broken_sirets"] += 1
        day = rng.randrange(1, 29)
        month = rng.randrange(1, 13)
        year = rng.randrange(2012, 2026)
        objet = rng.choice(OBJECTS)
        made["de_minimis"] += "minimis" in objet
        amount = french_amount(rng.randrange(50_000, 30_000_000), rng)
        if rng.random() < 0.001:
            amount = ""
            made["missing_amounts"] += 1
        lines.append(
            [
                "DÉPARTEMENT DE LA GIRONDE",
                funder_siret,
                f"{day:02d}/{month:02d}/{year}",
                f"CP-{year}-{len(lines):06d}",
                name,
                siret,
                objet,
                amount,
                "aide en numéraire",
                "unique",
                f"{year}-{month:02d}-{day:02d}",
                "",
                "non",
                "1",
            ]
        )
    from pepiniere.lib.spreadsheet import SafeCsvWriter

    buffer = io.StringIO(newline="")
    writer = SafeCsvWriter(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow_text(HEADER)
    for line in lines:
        writer.writerow_text(line)
    path.write_bytes(buffer.getvalue().encode("cp1252"))
    return made


def baseline(path: Path) -> tuple[float, int]:
    """A bare csv.reader over the file: the rows split, nothing else."""
    start = time.perf_counter()
    text = path.read_bytes().decode("cp1252")
    count = sum(1 for _row in csv.reader(io.StringIO(text, newline=""), delimiter=";")) - 1
    return time.perf_counter() - start, count


def run_import(env: dict[str, str], path: Path, report: Path) -> tuple[float, float, str]:
    start = time.perf_counter()
    result = subprocess.run(
        [wb.PYTHON, "-c", _CHILD, "import_grants", str(path), "--report", str(report)],
        env=env,
        cwd=wb.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"import_grants failed:\n{result.stdout}{result.stderr}")
    peak = float(next(li for li in result.stderr.splitlines() if li.startswith("PEAK")).split()[1])
    return seconds, peak, result.stdout


def outcomes(report: Path) -> dict[str, int]:
    counts = {"imported": 0, "flagged": 0, "rejected": 0, "duplicate": 0}
    with report.open(encoding="utf-8", newline="") as stream:
        rows = csv.reader(stream)
        next(rows)
        for row in rows:
            counts[row[1]] += 1
    return counts


def run(args: argparse.Namespace, env: dict[str, str], workdir: Path) -> int:
    t = time.perf_counter()
    workaround = wb._migrate()
    wb.line("migrate", time.perf_counter() - t, "s")
    if workaround:
        wb.line("WORKAROUND", workaround)
    from django.db import connections

    connections.close_all()
    path = workdir / "subventions-gironde.csv"
    t = time.perf_counter()
    made = generate(path, args.rows, args.seed)
    wb.line("file: generated (not timed)", time.perf_counter() - t, "s")
    wb.line("file: size", path.stat().st_size / 1e6, "MB")
    wb.line("file: rows", args.rows)
    for key, value in made.items():
        wb.line(f"file: {key.replace('_', ' ')}", value)

    base, counted = baseline(path)
    wb.line("baseline: bare csv.reader over the file", base, "s")
    assert counted == args.rows

    ok = True
    report = workdir / "rapport.csv"
    seconds, peak, printed = run_import(env, path, report)
    found = outcomes(report)
    total = sum(found.values())
    wb.line("import_grants (report included, start-up included): wall time", seconds, "s")
    wb.line("import_grants: peak resident memory", peak, "MB")
    for line in printed.strip().splitlines():
        wb.line("import_grants says", line)
    wb.line("report: lines", total)
    wb.line("report: outcomes", ", ".join(f"{k} {v}" for k, v in found.items()))
    wb.line("ratio import / bare csv.reader", seconds / base if base else float("inf"), "x")
    wb.line("throughput", args.rows / seconds, "records/s")

    from pepiniere.grants.models import AidRecord
    from pepiniere.opendata.models import ImportedGrant
    from pepiniere.organisations.models import Organisation

    stored = ImportedGrant.objects.count()
    wb.line("database: imported grants", stored)
    wb.line(
        "database: unverified organisations created",
        Organisation.objects.filter(verified=False).count(),
    )
    wb.line("database: de minimis ledger lines", AidRecord.objects.count())
    consistent = total == args.rows and stored == found["imported"] + found["flagged"]
    consistent &= found["duplicate"] >= made["repeats"] * 0.9
    wb.line("check: one report line per record, outcomes add up, grants stored", consistent)
    ok &= consistent

    again, _peak, _printed = run_import(env, path, report)
    second = outcomes(report)
    wb.line("second import of the same file: wall time", again, "s")
    wb.line(
        "second import: every record a duplicate or rejected",
        second["imported"] + second["flagged"] == 0,
    )
    ok &= second["imported"] + second["flagged"] == 0 and ImportedGrant.objects.count() == stored

    met = seconds < TARGET_SECONDS
    wb.line("target: import with its report under 60 s", "met" if met else "NOT MET")
    ok &= met
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="records in the file")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--db", default="pepiniere_bench_import")
    parser.add_argument("--seed", type=int, default=2015)
    args = parser.parse_args()
    postgres = scratch.wants_postgres(args.postgres)
    wb.line("benchmark", "historical import of grants (import_grants in a child process)")
    wb.line("database", f"PostgreSQL ({args.db})" if postgres else "SQLite (temp file)")
    wb.line("load average before (1/5/15 min)", " / ".join(f"{x:.2f}" for x in os.getloadavg()))
    with scratch.database(postgres=postgres, name=args.db, prefix="pepiniere-bench-import-") as (
        env,
        workdir,
    ):
        return run(args, env, workdir)


if __name__ == "__main__":
    sys.exit(main())
