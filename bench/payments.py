"""Benchmark of a payment run's files: 10 000 orders into the SEPA pain.001.001.09 file and the
mandatement CSV.

    .venv/bin/python bench/payments.py                # 10 000 orders, the writers alone
    .venv/bin/python bench/payments.py --quick        # 1 000 orders

Orders: French beneficiaries with accented names (transliterated for SEPA), valid IBANs of 20
banks (clé RIB and IBAN check digits computed), one in five without BIC (IBAN-only), amounts of
1 000 € to 150 000 € in cents. Files are written to disk in a temporary folder, as the command
does.

Targets: both files in under 5 s with a peak of under 200 MB, the SEPA file valid against the ISO
20022 XSD (validation timed apart: a bank validates, the writer does not need to). Memory: peak
of Python allocations while writing (tracemalloc, in a second run so it does not slow the timed
one) and the process's maximum resident size (getrusage). Baseline, in the same run: the same rows
as plain strings through the project's CSV writer (`SafeCsvWriter`, i.e. `csv.writer` plus the
formula guard every export of the project must use — tests_project forbids a bare `csv.writer`
anywhere in bench/ or pepiniere/), with no check, no formatting and no XML.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pepiniere.settings")

BANKS = [  # (bank code, BIC) of French banks schwifty's registry knows
    ("30006", "AGRIFRPPXXX"),
    ("30004", "BNPAFRPPXXX"),
    ("30003", "SOGEFRPPXXX"),
    ("20041", "PSSTFRPPXXX"),
    ("10107", "BREDFRPPXXX"),
    ("30002", "CRLYFRPPXXX"),
    ("10278", "CMCIFR2AXXX"),
    ("11306", "AGRIFRPP813"),
    ("13335", "CEPAFRPP333"),
    ("16606", "AGRIFRPP866"),
]
WORDS = [
    "Écocollab", "Vélos", "Partagés", "Numérique", "Océan", "Forêt", "Bâtiment", "Énergie",
    "Tiers-lieu", "Garonne", "Médoc", "Béarn", "Pyrénées", "Lès", "Œuvres", "Château", "Côte",
]  # fmt: skip
FORMS = ["SAS", "SARL", "Association", "SCOP", "EURL"]


def _rib_key(bank: str, branch: str, account: str) -> str:
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def _iban(bban: str, country: str = "FR") -> str:
    rearranged = bban + country + "00"
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def make_lines(n: int, seed: int = 2015) -> list[Any]:
    from pepiniere.payments.files import OrderLine

    rng = random.Random(seed)
    lines = []
    for i in range(n):
        bank, bic = rng.choice(BANKS)
        branch = f"{rng.randrange(100000):05d}"
        account = f"{rng.randrange(10**11):011d}"
        iban = _iban(bank + branch + account + _rib_key(bank, branch, account))
        name = f"{rng.choice(FORMS)} {rng.choice(WORDS)} {rng.choice(WORDS)} {i}"
        agreement = f"CONV-2015-ECOCOLLAB-{i:05d}"
        tranche = rng.randint(1, 3)
        lines.append(
            OrderLine(
                end_to_end_id=f"PEP-R000012-I{i:06d}",
                amount_cents=rng.randrange(100_000, 15_000_000),
                beneficiary_name=name,
                beneficiary_siret=f"{rng.randrange(10**14):014d}",
                iban=iban,
                bic="" if rng.random() < 0.2 else bic,
                budget_line="Feuille de route 2015–2017 / Innovation / ecocollab",
                purpose=f"Convention {agreement} — tranche {tranche} sur 3",
                agreement_reference=agreement,
            )
        )
    return lines


def payer() -> Any:
    from pepiniere.payments.files import Payer

    return Payer(
        name="Région Nouvelle-Aquitaine",
        siret="99291417600019",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
    )


def write_both(lines: list[Any], folder: Path) -> tuple[Path, Path]:
    from pepiniere.payments.files import write_mandatement, write_sepa

    sepa_path, csv_path = folder / "run.xml", folder / "run.csv"
    with sepa_path.open("wb") as out:
        write_sepa(
            lines,
            out,
            message_id="PEP-R000012",
            payer=payer(),
            execution_date=date(2026, 12, 10),
            created_at=datetime(2026, 12, 3, 18, 40, tzinfo=ZoneInfo("Europe/Paris")),
        )
    with csv_path.open("wb") as out:
        write_mandatement(
            lines,
            out,
            run_reference="PEP-R000012",
            payer=payer(),
            execution_date=date(2026, 12, 10),
        )
    return sepa_path, csv_path


def write_baseline(lines: list[Any], folder: Path) -> Path:
    """The same rows, already strings, through the project's CSV writer: the floor of any CSV."""
    from pepiniere.lib.spreadsheet import SafeCsvWriter

    path = folder / "baseline.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = SafeCsvWriter(out, delimiter=";")
        for n, line in enumerate(lines, start=1):
            writer.writerow(
                (
                    "PEP-R000012",
                    str(n),
                    "10/12/2026",
                    "99291417600019",
                    line.budget_line,
                    line.beneficiary_name,
                    line.beneficiary_siret,
                    line.iban,
                    line.bic,
                    str(line.amount_cents),
                    line.purpose,
                    line.agreement_reference,
                    line.end_to_end_id,
                )
            )
    return path


def timed(function: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Best wall time of `repeat` runs (the machine is shared) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_mb(function: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def report_writers(lines: list[Any], folder: Path, *, label: str) -> tuple[float, float]:
    from pepiniere.payments.files import sepa_errors

    n = len(lines)
    seconds, (sepa_path, csv_path) = timed(lambda: write_both(lines, folder))
    baseline, _path = timed(lambda: write_baseline(lines, folder))
    peak = peak_mb(lambda: write_both(lines, folder))
    rss_written = maxrss_mb()
    start = time.perf_counter()
    errors = sepa_errors(sepa_path.read_bytes())
    validation = time.perf_counter() - start
    print(f"{label}: {n} orders")
    print(
        f"  SEPA + mandatement written in {seconds:.2f} s "
        f"({sepa_path.stat().st_size / 1e6:.1f} MB XML, {csv_path.stat().st_size / 1e6:.1f} MB CSV)"
    )
    print(
        f"  baseline (same rows, plain CSV writer): {baseline:.2f} s; ratio {seconds / baseline:.1f}x"
    )
    print(
        f"  peak Python memory while writing: {peak:.1f} MB (tracemalloc; lxml's C buffers are "
        f"not traced: see the resident size, {rss_written:.0f} MB after writing)"
    )
    print(f"  XSD validation + profile checks: {validation:.2f} s, {len(errors)} error(s)")
    for error in errors[:5]:
        print(f"    {error}")
    return seconds, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 000 orders instead of 10 000")
    args = parser.parse_args()
    n = 1_000 if args.quick else 10_000
    django.setup()
    rss_before = maxrss_mb()
    print(f"process maximum resident size before the run (Django loaded): {rss_before:.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        lines = make_lines(n)
        seconds, peak = report_writers(lines, folder, label="writers alone")
        ok = seconds < 5 and peak < 200 and maxrss_mb() - rss_before < 200
    rss = maxrss_mb()
    print(f"process maximum resident size: {rss:.0f} MB ({rss - rss_before:+.0f} MB in the run)")
    print(f"targets (< 5 s, < 200 MB): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
