"""Open data exports at scale: 1 000 000 signed agreements into the SCDL CSV and the 360Giving JSON.

    .venv/bin/python bench/_opendata_export.py                 # SQLite (a temp file)
    .venv/bin/python bench/_opendata_export.py --postgres      # PostgreSQL (--db NAME)
    .venv/bin/python bench/_opendata_export.py --n 100000      # a smaller portfolio

Set-up (fresh database, removed at the end; neither timed nor counted in the figures): migrate,
one signed agreement made by the platform's own services (the opendata tests' world: call,
application, award, share, agreement, signed version, schedule), then that chain copied
--n − 1 times row by row with bulk inserts (COPY on PostgreSQL), each copy with its own
organisation (SIREN/SIRET with a valid Luhn key), reference, amount (23 000 € to 300 000 €, so
every line is published) and one instalment at signature.

Timed: `pepiniere export_opendata --format scdl|360giving --out FILE`, each in its own child
process, as an operator runs it, once with `--jobs 1` (one process) and once with `--jobs 2` (a helper process writes the
second half of the awards; the command's default on a machine with two processors); its peak memory is
the child's maximum resident size (VmHWM) plus its helper's, Python and Django included (the
command skips the system checks). Both runs must write the same bytes. The files are checked: one row (one grant) per
agreement, and a sample of the first 1 000 rows passes the SCDL schema (frictionless) and the
first 200 grants the 360Giving package schema (jsonschema), when ../shared/data is there.
Baseline, in the same run: the same SCDL rows, already in memory as strings, through the
project's CSV writer (SafeCsvWriter) — no database, no check, no formatting.

Targets: each export under 20 s, streamed, with a peak under 300 MB.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _scratch as scratch  # noqa: E402
import _webbench as wb  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


# export_opendata's default (pepiniere/opendata/management/commands/export_opendata.py).
DEFAULT_JOBS = min(2, os.cpu_count() or 1)


def _template() -> dict[str, int]:
    """One signed agreement made by the services; the ids of its chain, table by table."""
    from pepiniere.agreements.models import ScheduleStep
    from pepiniere.opendata.tests.helpers import OpenWorld

    world = OpenWorld("40000")
    world.signed()
    award = world.award
    agreement = award.agreement
    version = agreement.current_version
    assert version is not None
    steps = list(ScheduleStep.objects.filter(version=version).order_by("position"))
    # One instalment at signature: « unique » in the SCDL file.
    ScheduleStep.objects.filter(pk__in=[s.pk for s in steps[1:]]).delete()
    ScheduleStep.objects.filter(pk=steps[0].pk).update(percent=Decimal(100), trigger="signature")
    return {
        "organisation": award.application.organisation_id,
        "application": award.application_id,
        "award": award.pk,
        "share": award.shares.get().pk,
        "agreement": agreement.pk,
        "version": version.pk,
        "step": steps[0].pk,
    }


def _clone(model: Any, template_id: int, n: int, vary: Any) -> int:
    """Insert `n` copies of one row of `model`, `vary(i, row)` changing some columns; returns
    the id of the first copy (ids follow)."""
    from django.db import connection, transaction

    table = model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quoted} FROM {table} WHERE id = %s", [template_id])  # noqa: S608
        template = dict(zip(columns, cursor.fetchone(), strict=True))
        cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608
        first = int(cursor.fetchone()[0]) + 1
    insert = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    copy = f"COPY {table} ({quoted}) FROM STDIN"

    def rows() -> Iterator[tuple[Any, ...]]:
        for i in range(n):
            row = dict(template, id=first + i)
            row.update(vary(i, first + i))
            yield tuple(row[c] for c in columns)

    with transaction.atomic(), connection.cursor() as cursor:
        source = rows()
        while batch := list(itertools.islice(source, 20_000)):
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(copy) as stream:
                    for row in batch:
                        stream.write_row(row)
            else:
                cursor.executemany(insert, batch)
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}"  # noqa: S608
            )
    return first


def seed(n: int, seed_value: int) -> dict[str, float]:
    from pepiniere.agreements.models import Agreement, AgreementVersion, ScheduleStep
    from pepiniere.applications.models import Application
    from pepiniere.demo.identifiers import luhn_complete
    from pepiniere.grants.models import Award, AwardShare
    from pepiniere.organisations.models import Organisation

    rng = random.Random(seed_value)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    ids = _template()
    timings["one signed agreement by the services"] = time.perf_counter() - t
    copies = n - 1
    cents = [rng.randrange(2_300_000, 30_000_000) for _ in range(copies)]
    amounts = [str(Decimal(c) / 100) for c in cents]  # the databases read decimal text
    budgets = [str(Decimal(c * 2) / 100) for c in cents]
    t = time.perf_counter()
    organisation = _clone(
        Organisation,
        ids["organisation"],
        copies,
        lambda i, pk: {
            "name": f"Structure {i:07d} de l'économie collaborative",
            "siren": (siren := luhn_complete(f"{i + 10_000_000:08d}")),
            "siret": luhn_complete(siren + "0001"),
            "rna": "",
        },
    )
    application = _clone(
        Application,
        ids["application"],
        copies,
        lambda i, pk: {
            "organisation_id": organisation + i,
            "number": i + 2,
            "reference": f"BENCH-{i + 2:07d}",
            "title": f"Projet collaboratif n° {i + 2}",
            "search_text": "",
        },
    )
    award = _clone(
        Award,
        ids["award"],
        copies,
        lambda i, pk: {
            "application_id": application + i,
            "amount": amounts[i],
            "decision_reference": f"CP-2025-{i % 500:03d}",
        },
    )
    _clone(
        AwardShare,
        ids["share"],
        copies,
        lambda i, pk: {"award_id": award + i, "amount": amounts[i]},
    )
    agreement = _clone(
        Agreement,
        ids["agreement"],
        copies,
        lambda i, pk: {"award_id": award + i, "reference": f"CONV-BENCH-{i + 2:07d}"},
    )
    version = _clone(
        AgreementVersion,
        ids["version"],
        copies,
        lambda i, pk: {
            "agreement_id": agreement + i,
            "amount": amounts[i],
            "eligible_budget": budgets[i],
        },
    )
    _clone(ScheduleStep, ids["step"], copies, lambda i, pk: {"version_id": version + i})
    timings[f"{copies} copies of the chain (7 tables, bulk inserts)"] = time.perf_counter() - t
    return timings


# The child runs the command as `pepiniere` does, then prints its own peak resident size: the
# kernel's VmHWM of the process's memory, which starts afresh at exec (getrusage's ru_maxrss
# would carry the parent's size over the fork).
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


def run_export(env: dict[str, str], fmt: str, out: Path, jobs: int) -> tuple[float, float, str]:
    """One `export_opendata --jobs J` in a child process: wall seconds, peak RSS (MB) of that
    process plus the peak of each helper process it started (a sum of peaks: an upper bound of
    what the export held at once), its output."""
    start = time.perf_counter()
    command = ["export_opendata", "--format", fmt, "--jobs", str(jobs), "-v", "2", "--out"]
    result = subprocess.run(
        [wb.PYTHON, "-c", _CHILD, *command, str(out)],
        env=env,
        cwd=wb.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(
            f"export_opendata --format {fmt} failed:\n{result.stdout}{result.stderr}"
        )
    peak = float(
        next(line for line in result.stderr.splitlines() if line.startswith("PEAK")).split()[1]
    )
    helpers = next(line for line in result.stdout.splitlines() if line.startswith("Processus"))
    peak += sum(float(mb) for mb in re.findall(r"(\d+) Mo", helpers.split(";")[1]))
    return seconds, peak, result.stdout


def check_scdl(path: Path, n: int, workdir: Path) -> str:
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        sample = list(itertools.islice(reader, 1000))
        rows = len(sample) + sum(1 for _ in reader)
    assert rows == n, f"{rows} rows for {n} agreements"
    schema = SHARED / "scdl" / "schema.json"
    if not schema.exists():
        return "schema not checked (../shared/data absent)"
    from frictionless import Resource, Schema, system

    from pepiniere.lib.spreadsheet import SafeCsvWriter

    sample_path = workdir / "sample.csv"
    with sample_path.open("w", encoding="utf-8", newline="") as stream:
        writer = SafeCsvWriter(stream, lineterminator="\r\n")
        writer.writerow(header)
        for row in sample:
            writer.writerow(row)
    with system.use_context(trusted=True):
        report = Resource(
            path=str(sample_path), schema=Schema.from_descriptor(str(schema))
        ).validate()
    errors = sum(len(task.errors) for task in report.tasks) + len(report.errors)
    return f"{errors} error(s) in the first {len(sample)} rows (frictionless, SCDL schema)"


def check_giving(path: Path, n: int) -> str:
    """Counts the grants and their ids reading the file line by line (the writer puts one grant
    a line), and validates the first 200 grants in full."""
    count, ids = 0, set()
    sample: list[Any] = []
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            if not line.startswith('    {"id": "'):
                continue
            count += 1
            ids.add(line[12 : line.index('"', 12)])
            if len(sample) < 200:
                sample.append(json.loads(line.rstrip().rstrip(",")))
    assert count == n, f"{count} grants for {n} agreements"
    assert len(ids) == n, "grant ids are not unique"
    folder = SHARED / "360giving"
    if not folder.exists():
        return "schema not checked (../shared/data absent)"
    import jsonschema  # type: ignore[import-untyped]
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    grant_schema = json.loads((folder / "360-giving-schema.json").read_text())
    package_schema = json.loads((folder / "360-giving-package-schema.json").read_text())
    remote = package_schema["properties"]["grants"]["items"]["$ref"]
    registry = Registry().with_resource(
        remote, Resource.from_contents(grant_schema, default_specification=DRAFT202012)
    )
    validator = jsonschema.Draft202012Validator(
        package_schema,
        registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,  # as the tests do
    )
    package = {"version": "1.4", "title": "sample", "issued": "2026-12-04", "grants": sample}
    errors = list(validator.iter_errors(package))
    return f"{count} grants, unique ids, {len(errors)} error(s) in the first 200 (jsonschema)"


def baseline(path: Path, workdir: Path) -> float:
    """The same rows, read into memory first, through SafeCsvWriter: no database, no check."""
    from pepiniere.lib.spreadsheet import SafeCsvWriter

    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    start = time.perf_counter()
    with (workdir / "baseline.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = SafeCsvWriter(stream, lineterminator="\r\n")
        for row in rows:
            writer.writerow(row)
    return time.perf_counter() - start


def _seeded(n: int) -> bool:
    """Whether the database already holds the benchmark's n agreements (a kept database)."""
    from django.db import connection

    if "grants_award" not in connection.introspection.table_names():
        return False
    from pepiniere.agreements.models import AgreementVersion
    from pepiniere.grants.models import Award

    return (
        Award.objects.count() == n
        and AgreementVersion.objects.filter(signed_at__isnull=False).count() == n
    )


def run(args: argparse.Namespace, env: dict[str, str], workdir: Path) -> int:
    from pepiniere.grants.models import Award

    t = time.perf_counter()
    workaround = wb._migrate()  # a kept database gets the migrations added since
    wb.line("migrate", time.perf_counter() - t, "s")
    if workaround:
        wb.line("WORKAROUND", workaround)
    if args.keep and _seeded(args.n):
        wb.line("database", f"kept from an earlier run with {args.n} agreements: not seeded again")
    else:
        if Award.objects.exists():
            raise SystemExit(
                f"The kept database {args.db} holds another portfolio than --n {args.n}: "
                "drop it, or give another --db."
            )
        for step, seconds in seed(args.n, args.seed).items():
            wb.line(f"seed: {step}", seconds, "s")
    n = Award.objects.count()
    wb.line("signed agreements", n)
    from django.db import connection, connections

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    connections.close_all()
    wb.line("load average before the exports (1 min)", os.getloadavg()[0])

    ok = True
    scdl_path, giving_path = workdir / "subventions.csv", workdir / "360giving.json"
    figures: dict[str, float] = {}
    for fmt, path in (("scdl", scdl_path), ("360giving", giving_path)):
        one = workdir / f"one-process-{path.name}"
        alone, alone_peak, _printed = run_export(env, fmt, one, 1)
        wb.line(f"export {fmt} in one process (--jobs 1): wall time", alone, "s")
        wb.line(f"export {fmt} in one process (--jobs 1): peak resident memory", alone_peak, "MB")
        seconds, peak, printed = run_export(env, fmt, path, args.jobs)
        figures[fmt] = alone
        figures[f"{fmt} default"] = seconds if args.jobs == DEFAULT_JOBS else alone
        size = path.stat().st_size / 1e6
        wb.line(f"export {fmt} (--jobs {args.jobs}): wall time, start-up included", seconds, "s")
        wb.line(f"export {fmt} (--jobs {args.jobs}): peak memory, all its processes", peak, "MB")
        wb.line(
            f"export {fmt}: the same bytes in one process", one.read_bytes() == path.read_bytes()
        )
        one.unlink()
        wb.line(f"export {fmt}: file size", size, "MB")
        wb.line(f"export {fmt}: command says", printed.splitlines()[0])
        wb.line(f"export {fmt}: processes", printed.splitlines()[-1])
        for label, wall, held in (
            ("--jobs 1", alone, alone_peak),
            (f"--jobs {args.jobs}", seconds, peak),
        ):
            met = wall < 20 and held < 300
            wb.line(
                f"export {fmt} ({label}): target < 20 s and < 300 MB", "met" if met else "NOT MET"
            )
        # The command's default: two processes on a machine with two processors.
        default_wall, default_peak = (
            (seconds, peak) if args.jobs == DEFAULT_JOBS else (alone, alone_peak)
        )
        ok &= default_wall < 20 and default_peak < 300
    wb.line("SCDL file", check_scdl(scdl_path, n, workdir))
    wb.line("360Giving file", check_giving(giving_path, n))
    csv_seconds = baseline(scdl_path, workdir)
    wb.line("baseline: the same SCDL rows through SafeCsvWriter, from memory", csv_seconds, "s")
    wb.line("ratio scdl export / baseline", figures["scdl"] / csv_seconds, "×")
    wb.line("ratio 360giving export / baseline", figures["360giving"] / csv_seconds, "×")
    wb.line(
        f"default --jobs {DEFAULT_JOBS}: ratio scdl / baseline",
        figures["scdl default"] / csv_seconds,
        "×",
    )
    wb.line(
        f"default --jobs {DEFAULT_JOBS}: ratio 360giving / baseline",
        figures["360giving default"] / csv_seconds,
        "×",
    )
    wb.line("load average after (1 min)", os.getloadavg()[0])
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--n", type=int, default=1_000_000, help="signed agreements")
    parser.add_argument("--db", default="pepiniere_bench_opendata")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--jobs", type=int, default=2, help="export_opendata --jobs")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="PostgreSQL: keep the seeded database for the next run, and reuse one left by an "
        "earlier run when it holds --n agreements (the seeding of a million takes minutes)",
    )
    args = parser.parse_args()
    postgres = scratch.wants_postgres(args.postgres)
    wb.line("benchmark", "open data exports at scale (export_opendata in child processes)")
    wb.line("database", f"PostgreSQL ({args.db})" if postgres else "SQLite (temp file)")
    wb.line("load average before (1/5/15 min)", " / ".join(f"{x:.2f}" for x in os.getloadavg()))
    with scratch.database(
        postgres=postgres, name=args.db, prefix="pepiniere-bench-opendata-", keep=args.keep
    ) as (env, workdir):
        return run(args, env, workdir)


if __name__ == "__main__":
    sys.exit(main())
