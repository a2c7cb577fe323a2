"""Benchmark of a payment run's files: 10 000 orders into the SEPA pain.001.001.09 file and the
mandatement CSV.

    .venv/bin/python bench/payments.py                # 10 000 orders: the writers alone, then
                                                      # the whole run on a fresh SQLite database
    .venv/bin/python bench/payments.py --postgres     # the whole run on a fresh PostgreSQL database
    .venv/bin/python bench/payments.py --writers-only # the writers alone
    .venv/bin/python bench/payments.py --quick        # 1 000 orders

The whole run (after the writers alone): a fresh database (migrated, dropped at the end) holding
10 000 contracted awards of one funder, each with a signed agreement, a validated bank account
and one authorised instalment (bulk-created by a child process: the set-up is neither timed nor
counted in this process's memory). Timed, as the operator's `pepiniere payment_run` does it:
`runs.make_payment_run` (locks the instalments, reads the bank accounts, creates the run, its
10 000 orders and their audit rows, moves the instalments to "ordered"), `runs.order_lines` and
both writers into files, committed. Memory of that whole step: the resident size it adds
(getrusage), and the peak of Python allocations (tracemalloc) measured on the same run made again
in a transaction rolled back (tracemalloc slows Python down two- to threefold: the timed run is
not traced). Printed with it: the ratio of the whole run to the bare CSV writer's baseline on the
same rows, measured in the same process.

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
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
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


def write_both(
    lines: list[Any],
    folder: Path,
    *,
    reference: str = "PEP-R000012",
    payer_: Any = None,
    execution_date: date = date(2026, 12, 10),
    name: str = "run",
) -> tuple[Path, Path]:
    """Both files of a run into `folder`, as the command writes them."""
    from pepiniere.payments.files import write_mandatement, write_sepa

    payer_ = payer_ or payer()
    sepa_path, csv_path = folder / f"{name}.xml", folder / f"{name}.csv"
    with sepa_path.open("wb") as out:
        write_sepa(
            lines,
            out,
            message_id=reference,
            payer=payer_,
            execution_date=execution_date,
            created_at=datetime(2026, 12, 3, 18, 40, tzinfo=ZoneInfo("Europe/Paris")),
        )
    with csv_path.open("wb") as out:
        write_mandatement(
            lines, out, run_reference=reference, payer=payer_, execution_date=execution_date
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


def _status_mb(key: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return None


def start_peak_rss() -> float:
    """Reset the process's peak resident size to the current one (Linux: clear_refs 5) and
    return the current resident size in MB; elsewhere the maximum so far."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return maxrss_mb()
    return _status_mb("VmRSS") or maxrss_mb()


def peak_rss_mb() -> float:
    """The peak resident size since `start_peak_rss` (Linux), else the maximum so far."""
    return _status_mb("VmHWM") or maxrss_mb()


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


FUNDER_SIRET = "21330063500017"  # fictional, Luhn-valid


def seed_authorised(n: int, seed: int = 2015) -> Any:
    """n contracted awards of one funder, each with a signed agreement, a validated bank account
    and one authorised instalment (checked by the officer, authorised by finance), bulk-created."""
    from django.utils import timezone

    from pepiniere.accounts.models import Role
    from pepiniere.agreements.models import Agreement, AgreementVersion
    from pepiniere.applications.models import Application, Status
    from pepiniere.demo.identifiers import fictional_siret
    from pepiniere.grants.models import Award, AwardShare
    from pepiniere.lib.testing.factories import make_call, make_funder, make_user
    from pepiniere.organisations.models import BankAccount, Organisation
    from pepiniere.payments.models import GrantAccount, Instalment
    from pepiniere.territories.models import Departement

    rng = random.Random(seed)
    now = timezone.now()
    funder = make_funder("Région Nouvelle-Aquitaine")
    funder.siret, funder.iban, funder.bic = FUNDER_SIRET, payer().iban, payer().bic
    funder.save()
    call = make_call(funder=funder, envelope=Decimal(n) * 100_000, fields=False)
    officer = make_user(role=Role.OFFICER, funder=funder)
    finance = make_user(role=Role.FINANCE, funder=funder)
    member = make_user(role=Role.APPLICANT)
    gironde = Departement.objects.get(code="33")
    lines = make_lines(n, seed)
    organisations = Organisation.objects.bulk_create(
        Organisation(
            name=line.beneficiary_name,
            kind="startup",
            siret=fictional_siret(rng),
            departement=gironde,
        )
        for line in lines
    )
    BankAccount.objects.bulk_create(
        BankAccount(
            organisation=organisation,
            holder=organisation.name,
            iban=line.iban,
            bic=line.bic,
            token=f"bench{i:027d}",
            rib=f"rib/bench-{i}.pdf",
            rib_name="rib.pdf",
            rib_content_type="application/pdf",
            rib_size=1000,
            rib_sha256="0" * 64,
            status="validated",
            submitted_by=member,
            submitted_at=now,
            decided_by=officer,
            decided_at=now,
        )
        for i, (organisation, line) in enumerate(zip(organisations, lines, strict=True))
    )
    applications = Application.objects.bulk_create(
        Application(
            call=call,
            organisation=organisation,
            created_by=member,
            status=Status.CONTRACTED,
            number=i + 1,
            reference=f"BENCH-{i + 1:06d}",
            title=f"Projet {i + 1}",
            submitted_at=now,
        )
        for i, organisation in enumerate(organisations)
    )
    amounts = [Decimal(line.amount_cents) / 100 for line in lines]
    awards = Award.objects.bulk_create(
        Award(
            application=application,
            amount=amount,
            decision_reference="CP-2026-12",
            decision_date=now.date(),
            de_minimis=False,
            awarded_by=officer,
            awarded_at=now,
        )
        for application, amount in zip(applications, amounts, strict=True)
    )
    AwardShare.objects.bulk_create(
        AwardShare(award=award, funder=funder, amount=award.amount) for award in awards
    )
    GrantAccount.objects.bulk_create(
        GrantAccount(award=award, ceiling=award.amount) for award in awards
    )
    agreements = Agreement.objects.bulk_create(
        Agreement(
            award=award,
            reference=f"CONV-2026-BENCH-{i + 1:05d}",
            status="signed",
            created_by=officer,
            created_at=now,
        )
        for i, award in enumerate(awards)
    )
    versions = AgreementVersion.objects.bulk_create(
        AgreementVersion(
            agreement=agreement,
            number=1,
            amount=award.amount,
            aid_rate=Decimal(70),
            eligible_budget=(award.amount * 100 / 70).quantize(Decimal("0.01")),
            start_date=now.date(),
            end_date=now.date().replace(year=now.year + 1),
            created_by=officer,
            created_at=now,
            signed_at=now,
        )
        for agreement, award in zip(agreements, awards, strict=True)
    )
    Instalment.objects.bulk_create(
        Instalment(
            award=award,
            version=version,
            position=1,
            label="Avance à la signature",
            percent=Decimal(100),
            trigger="signature",
            planned_amount=award.amount,
            amount=award.amount,
            status="authorised",
            checked_by=officer,
            checked_at=now,
            authorised_by=finance,
            authorised_at=now,
        )
        for award, version in zip(awards, versions, strict=True)
    )
    return funder, finance


def whole_run(funder: Any, actor: Any, folder: Path) -> tuple[Any, dict[str, float]]:
    """The operator's payment run, as `pepiniere payment_run` does it: make the run, read its
    lines, write both files. Returns the run and the seconds of each phase."""
    from pepiniere.payments import runs

    phases: dict[str, float] = {}
    t = time.perf_counter()
    outcome = runs.make_payment_run(funder=funder, actor=actor)
    phases["make_payment_run (lock, run, orders, audit rows)"] = time.perf_counter() - t
    assert outcome.run is not None, outcome
    t = time.perf_counter()
    lines = runs.order_lines(outcome.run)
    phases["order_lines"] = time.perf_counter() - t
    t = time.perf_counter()
    write_both(
        lines,
        folder,
        reference=outcome.run.reference,
        payer_=runs.payer_of(funder),
        execution_date=outcome.run.execution_date,
        name="db-run",
    )
    phases["both writers"] = time.perf_counter() - t
    return outcome, phases


def undo_run(run: Any) -> None:
    """Put the run's instalments back to "authorised" and remove the run (inside a transaction
    the caller rolls back): the same run can then be made again, for the memory measurement."""
    from pepiniere.payments.models import Instalment, PaymentOrder

    Instalment.objects.filter(orders__run=run).update(status="authorised")
    PaymentOrder.objects.filter(run=run).delete()
    run.delete()


def report_database_run(n: int, folder: Path, *, label: str) -> tuple[float, float, float]:
    """Seed (in a child process, so that its memory is not counted), then time the operator's
    payment run end to end: make the run, read its lines, write both files. Then the same run
    again under tracemalloc, in a transaction rolled back (tracemalloc slows Python down: the
    timed run is not traced). Returns (seconds, peak Python MB, resident MB added)."""
    from django.db import connection, transaction

    from pepiniere.accounts.models import Role, User
    from pepiniere.payments.files import sepa_errors
    from pepiniere.payments.models import PaymentOrder
    from pepiniere.programmes.models import Funder

    start = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--seed-only", str(n)], check=True, env=os.environ.copy()
    )
    print(f"{label}: {n} authorised instalments seeded in {time.perf_counter() - start:.1f} s")
    funder = Funder.objects.get(siret=FUNDER_SIRET)
    finance = User.objects.get(role_grants__role=Role.FINANCE, role_grants__funder=funder)
    rss_before = start_peak_rss()
    cpu, start = time.process_time(), time.perf_counter()
    outcome, phases = whole_run(funder, finance, folder)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    added = peak_rss_mb() - rss_before
    assert outcome.ordered == n and PaymentOrder.objects.count() == n, outcome
    errors = sepa_errors((folder / "db-run.xml").read_bytes())
    with transaction.atomic():
        undo_run(outcome.run)
        tracemalloc.start()
        whole_run(funder, finance, folder)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        transaction.set_rollback(True)
    print(
        f"  whole run ({connection.vendor}): {seconds:.2f} s "
        f"(this process's CPU: {cpu:.2f} s; the rest is the database and the shared machine)"
    )
    for phase, value in phases.items():
        print(f"    {phase}: {value:.2f} s")
    print(
        f"  peak Python memory: {peak:.1f} MB (tracemalloc, same run again, rolled back); "
        f"peak resident size added by the run: {added:+.0f} MB (from {rss_before:.0f} MB)"
    )
    print(f"  SEPA file: {len(errors)} XSD/profile error(s)")
    for error in errors[:5]:
        print(f"    {error}")
    return seconds, peak, added if not errors else float("inf")


def configure_database(args: argparse.Namespace, workdir: Path) -> str:
    """Point this process at a fresh database before Django starts (production settings)."""
    sys.path.insert(0, str(Path(__file__).parent))
    import _webbench as wb

    if args.postgres:
        server = wb.server_url_from(os.environ.get("DATABASE_URL")) or wb.DEFAULT_SERVER_URL
        wb.create_database(server, args.db)
        db_url = wb.database_url(server, args.db)
    else:
        db_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.clear()
    os.environ.update(wb.bench_env(db_url, workdir))
    return db_url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 000 orders instead of 10 000")
    parser.add_argument("--writers-only", action="store_true", help="skip the database run")
    parser.add_argument(
        "--postgres", action="store_true", help="the database run on PostgreSQL (DATABASE_URL)"
    )
    parser.add_argument("--db", default="pepiniere_bench_payments")
    parser.add_argument("--seed-only", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:  # the child process of the whole run: the database is configured
        django.setup()
        seed_authorised(args.seed_only)
        return 0
    n = 1_000 if args.quick else 10_000
    saved_env = dict(os.environ)
    tmp = tempfile.mkdtemp(prefix="pepiniere-bench-payments-")
    folder = Path(tmp)
    try:
        if not args.writers_only:
            configure_database(args, folder)
        django.setup()
        rss_before = maxrss_mb()
        print(f"process maximum resident size before the run (Django loaded): {rss_before:.0f} MB")
        lines = make_lines(n)
        seconds, peak = report_writers(lines, folder, label="writers alone")
        ok = seconds < 5 and peak < 200 and maxrss_mb() - rss_before < 200
        if not args.writers_only:
            sys.path.insert(0, str(Path(__file__).parent))
            import _webbench as wb

            wb._migrate()
            db_seconds, db_peak, db_added = report_database_run(n, folder, label="whole run")
            baseline, _path = timed(lambda: write_baseline(lines, folder))
            print(
                f"  baseline (the same {n} rows through the bare CSV writer, this run): "
                f"{baseline:.2f} s; ratio whole run / baseline: {db_seconds / baseline:.1f}x"
            )
            ok = ok and db_seconds < 5 and db_peak < 200 and db_added < 200
        rss = maxrss_mb()
        print(
            f"process maximum resident size: {rss:.0f} MB ({rss - rss_before:+.0f} MB in the run)"
        )
        print(f"targets (< 5 s, < 200 MB): {'met' if ok else 'NOT met'}")
        return 0 if ok else 1
    finally:
        if not args.writers_only:
            from django.db import connections

            connections.close_all()
            if args.postgres:
                import _webbench as wb

                server = wb.server_url_from(saved_env.get("DATABASE_URL")) or wb.DEFAULT_SERVER_URL
                wb.drop_database(server, args.db)
        os.environ.clear()
        os.environ.update(saved_env)
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
