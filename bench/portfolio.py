"""The portfolio at scale: 100 000 supported organisations with ten years of KPI reports.

    .venv/bin/python bench/portfolio.py                 # SQLite (a temp file)
    .venv/bin/python bench/portfolio.py --postgres      # PostgreSQL database pepiniere_bench_portfolio
    DATABASE_URL=postgres://… .venv/bin/python bench/portfolio.py   # PostgreSQL on that server
    .venv/bin/python bench/portfolio.py --quick         # 20 000 organisations

Set-up (fresh database, removed at the end): migrate, collectstatic into a temp folder (DEBUG=0),
one funder (Région) with 30 calls over ten years (three axes, sectors), 100 000 organisations
(départements of Nouvelle-Aquitaine, kinds, size bands), one award each (15 % two, on two calls),
each with its funder share, 20 000 rejected applications, one more call whose awards reach
exactly 10 000 organisations (for the campaign launch), and 10 KPI reports per organisation
(2015–2024, validated, one of them the baseline of the first award): 1 000 000 reports, written
with bulk inserts.

Measures, in-process with django.test.Client logged in as an officer of the funder, after a
warm-up, p50/p95 over --repeat requests, and the query count of one request:
 (a) /suivi/portefeuille/                                  first page, sorted by name
 (b) /suivi/portefeuille/?sort=-total                      sorted by amount awarded
 (c) /suivi/portefeuille/?departement=33&axis=innovation&year=2019   filtered
 (d) /suivi/portefeuille/?q=<a name word>&per_page=200     search, the largest page
 (e) /suivi/structures/<pk>/                               an organisation's page (KPI charts)
Baselines in the same run: the bare ORM query of each list case (`list(portfolio(...)[:n])`, its
page of organisations with the same filters) and of (e)
(the organisation's awards and reports). Then RCR01 over the whole portfolio and the launch of a
KPI campaign for 10 000 organisations (the kpi services, when present).
Targets: list p95 < 150 ms with ≤ 15 queries, organisation page p95 < 100 ms, RCR01 < 2 s,
campaign launch for 10 000 organisations < 10 s.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _webbench as wb  # noqa: E402

DEPARTEMENTS = {"33": 30, "64": 9, "17": 7, "87": 6, "86": 6, "40": 5, "24": 5, "16": 4, "47": 4}
KINDS = [("startup", 45), ("sme", 35), ("association", 20)]
WORDS = ["Atelier", "Studio", "Fabrique", "Réseau", "Agence", "Maison", "Comptoir", "Labo"]
TOPICS = ["numérique", "des données", "du code", "solidaire", "océane", "des savoirs", "libre"]
TAILS = ["Nova", "Azur", "Héron", "Galet", "Pixel", "Lumen", "Sylva", "Terra", "Cèpe", "Dune"]
REPORT_YEARS = range(2015, 2025)
CAMPAIGN_ORGS = 10_000


def weighted(rng: random.Random, pairs: list[tuple[str, int]] | dict[str, int]) -> str:
    items = list(pairs.items()) if isinstance(pairs, dict) else pairs
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def configure(db_url: str, workdir: Path) -> None:
    env = wb.bench_env(db_url, workdir)
    os.environ.clear()
    os.environ.update(env)
    import django

    django.setup()


def seed(n_orgs: int, seed_value: int) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from pepiniere.accounts.models import Role, User
    from pepiniere.applications.models import Application, Status
    from pepiniere.calls.models import Call, Sector, fold
    from pepiniere.demo.identifiers import luhn_complete
    from pepiniere.grants.models import Award, AwardShare
    from pepiniere.lib.testing.factories import make_funder, make_user
    from pepiniere.organisations.models import Organisation, SizeBand
    from pepiniere.programmes.models import Axis, Programme

    rng = random.Random(seed_value)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    funder = make_funder("Région Nouvelle-Aquitaine")
    programmes = [
        Programme.objects.create(
            funder=funder,
            title=f"Feuille de route {start}–{start + 4}",
            slug=f"feuille-de-route-{start}",
            start_date=datetime.date(start, 1, 1),
            end_date=datetime.date(start + 4, 12, 31),
        )
        for start in (2015, 2020)
    ]
    axes = {
        (p.pk, code): Axis.objects.create(
            programme=p, code=code, title=title, budget=Decimal("900000000")
        )
        for p in programmes
        for code, title in [
            ("innovation", "Innovation"),
            ("formation", "Formation"),
            ("consolidation", "Consolidation financière"),
        ]
    }
    sectors = list(Sector.objects.all())
    calls = []
    for year in range(2015, 2025):
        programme = programmes[0] if year < 2020 else programmes[1]
        for i, code in enumerate(("innovation", "formation", "consolidation")):
            opens = datetime.datetime(year, 1 + 3 * i, 5, 9, tzinfo=datetime.UTC)
            call = Call.objects.create(
                funder=funder,
                programme=programme,
                axis=axes[(programme.pk, code)],
                code=f"{code[:5]}{year}",
                slug=f"{code}-{year}",
                title=f"{code.capitalize()} {year}",
                summary="Appel de banc d'essai",
                description="Appel de banc d'essai",
                envelope=Decimal("900000000"),
                opens_at=opens,
                closes_at=opens + datetime.timedelta(days=60),
                is_published=True,
            )
            call.sectors.set(rng.sample(sectors, 2))
            calls.append(call)
    campaign_call = Call.objects.create(
        funder=funder,
        programme=programmes[1],
        axis=axes[(programmes[1].pk, "consolidation")],
        code="suivi10k",
        slug="suivi-10000",
        title="Consolidation — 10 000 structures suivies",
        summary="Appel de banc d'essai",
        description="Appel de banc d'essai",
        envelope=Decimal("900000000"),
        opens_at=datetime.datetime(2023, 1, 5, 9, tzinfo=datetime.UTC),
        closes_at=datetime.datetime(2023, 3, 5, 9, tzinfo=datetime.UTC),
        is_published=True,
    )
    officer = make_user("officer@bench.test", role=Role.OFFICER, funder=funder, password=None)
    bands = [b.code for b in SizeBand.objects.exclude(code="NN")][:8]
    timings["calls"] = time.perf_counter() - t

    t = time.perf_counter()
    used: set[str] = set()
    organisations = []
    for n in range(n_orgs):
        kind = weighted(rng, KINDS)
        siren = ""
        if kind != "association":
            while not siren or siren in used:
                siren = luhn_complete(f"{n:08d}")
            used.add(siren)
        organisations.append(
            Organisation(
                name=f"{rng.choice(WORDS)} {rng.choice(TOPICS)} {rng.choice(TAILS)} {n}",
                kind=kind,
                siren=siren,
                siret=luhn_complete(siren + "0001") if siren else "",
                rna=f"W{n:09d}" if kind == "association" else "",
                departement_id=weighted(rng, DEPARTEMENTS),
                size_band_id=rng.choice(bands),
                creation_date=datetime.date(2000 + rng.randrange(15), 1 + rng.randrange(12), 1),
            )
        )
    with transaction.atomic():
        Organisation.objects.bulk_create(organisations, batch_size=5000)
        users = User.objects.bulk_create(
            [
                User(email=f"porteur{i}@bench.test", full_name=f"P {i}", password="!")
                for i in range(500)
            ]
        )
    timings["organisations"] = time.perf_counter() - t

    t = time.perf_counter()
    per_call = dict.fromkeys((c.pk for c in [*calls, campaign_call]), 0)
    awarded_for_campaign: list[Organisation] = []
    awarded: list[tuple[Application, datetime.date]] = []
    applications = []
    now = timezone.now()
    for organisation in organisations:
        chosen = [(c, Status.AWARDED) for c in rng.sample(calls, 2 if rng.random() < 0.15 else 1)]
        if rng.random() < 0.2:
            chosen.append((rng.choice(calls), Status.REJECTED))
        if len(awarded_for_campaign) < CAMPAIGN_ORGS:
            chosen.append((campaign_call, Status.AWARDED))
            awarded_for_campaign.append(organisation)
        for call, status in chosen:
            per_call[call.pk] += 1
            number = per_call[call.pk]
            reference = f"{call.reference_prefix}-{number:05d}"
            applications.append(
                Application(
                    call=call,
                    organisation=organisation,
                    created_by=rng.choice(users),
                    status=status,
                    number=number,
                    reference=reference,
                    title="Projet",
                    requested_amount=Decimal(rng.randrange(50, 600) * 100),
                    submitted_at=call.closes_at - datetime.timedelta(days=3),
                    search_text=fold(f"{reference} projet {organisation.name}"),
                )
            )
    with transaction.atomic():
        Application.objects.bulk_create(applications, batch_size=5000)
    for application in applications:
        if application.status == Status.AWARDED:
            awarded.append(
                (application, application.call.closes_at.date() + datetime.timedelta(days=60))
            )
    with transaction.atomic():
        awards = Award.objects.bulk_create(
            [
                Award(
                    application=a,
                    amount=a.requested_amount or Decimal("0"),
                    decision_reference=f"CP-{a.pk}",
                    decision_date=decided,
                    awarded_by=officer,
                    awarded_at=now,
                )
                for a, decided in awarded
            ],
            batch_size=5000,
        )
        AwardShare.objects.bulk_create(
            [AwardShare(award=a, funder=funder, amount=a.amount) for a in awards], batch_size=5000
        )
    timings["applications and awards"] = time.perf_counter() - t

    t = time.perf_counter()
    try:
        from pepiniere.portfolio.summaries import write_summaries
    except ImportError:  # a branch without the portfolio's support summaries
        pass
    else:
        with transaction.atomic():
            write_summaries()  # what the award hooks write, for every award at once
        timings["support summaries"] = time.perf_counter() - t

    t = time.perf_counter()
    first_award: dict[int, Award] = {}
    for award, (application, _d) in zip(awards, awarded, strict=True):
        current = first_award.get(application.organisation_id)
        if current is None or award.decision_date < current.decision_date:
            first_award[application.organisation_id] = award
    reports = _insert_reports(connection, organisations, first_award, officer.pk, rng)
    timings["KPI reports"] = time.perf_counter() - t
    return {
        "funder": funder,
        "officer": officer,
        "calls": calls,
        "organisations": len(organisations),
        "applications": len(applications),
        "awards": len(awards),
        "reports": reports,
        "timings": timings,
        "first_award": first_award,
        "campaign_call": campaign_call,
    }


def _insert_reports(
    connection: Any, organisations: list, first_award: dict, officer_id: int, rng: random.Random
) -> int:
    """Ten yearly reports per organisation, through one executemany per batch on SQLite and
    COPY on PostgreSQL (the ORM would spend minutes building a million model instances, and
    PostgreSQL's executemany took 7 minutes for a million rows). Every column of the model is
    written: the varying ones here, the others with their default, prepared by their own
    field."""
    from django.db import transaction

    try:
        from pepiniere.portfolio.models import KpiReport
    except ImportError:
        return 0
    stamp = datetime.datetime(2025, 5, 1, tzinfo=datetime.UTC)
    model_fields = [f for f in KpiReport._meta.concrete_fields if not f.primary_key]
    by_attname = {f.attname: f for f in model_fields}
    constant = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in model_fields}
    for name, value in {
        "status": "validated",
        "created_at": stamp,
        "updated_at": stamp,
        "submitted_at": stamp,
        "validated_at": stamp,
        "validated_by_id": officer_id,
        "research_fte": Decimal("0"),
        "equity_raised": Decimal("0"),
        "loans_raised": Decimal("0"),
    }.items():
        constant[name] = by_attname[name].get_db_prep_save(value, connection)
    fte_field, revenue_field = by_attname["fte"], by_attname["revenue"]
    varying = [
        "organisation_id", "award_id", "period_year", "is_baseline", "source", "headcount",
        "fte", "revenue", "sites",
    ]  # fmt: skip
    names = [f.attname for f in model_fields]
    fixed = [n for n in names if n not in varying]
    table = KpiReport._meta.db_table
    columns = ", ".join(connection.ops.quote_name(by_attname[n].column) for n in varying + fixed)
    placeholders = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 (our own names)
    tail = tuple(constant[n] for n in fixed)
    count = 0
    batch: list[tuple] = []
    with transaction.atomic(), connection.cursor() as cursor:
        for organisation in organisations:
            award = first_award.get(organisation.pk)
            base_year = award.decision_date.year - 1 if award else None
            headcount = rng.randrange(1, 40)
            for year in REPORT_YEARS:
                headcount = max(0, headcount + rng.randrange(-2, 4))
                baseline = year == base_year
                batch.append(
                    (
                        organisation.pk,
                        award.pk if baseline and award else None,
                        year,
                        baseline,
                        "baseline" if baseline else "campaign",
                        headcount,
                        fte_field.get_db_prep_save(
                            (Decimal(headcount) * Decimal("0.85")).quantize(Decimal("0.01")),
                            connection,
                        ),
                        revenue_field.get_db_prep_save(Decimal(headcount * 70000), connection),
                        1 + headcount // 40,
                        *tail,
                    )
                )
                if len(batch) >= 20000:
                    count += _write_rows(cursor, sql, f"COPY {table} ({columns}) FROM STDIN", batch)
                    batch = []
        if batch:
            count += _write_rows(cursor, sql, f"COPY {table} ({columns}) FROM STDIN", batch)
    return count


def _write_rows(cursor: Any, insert: str, copy: str, rows: list[tuple]) -> int:
    from django.db import connection

    if connection.vendor == "postgresql":
        with cursor.cursor.copy(copy) as stream:
            for row in rows:
                stream.write_row(row)
    else:
        cursor.executemany(insert, rows)
    return len(rows)


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def measure(client: Any, url: str, repeat: int, warmup: int = 3) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    timings, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        response = client.get(url)
        timings.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
    return {
        "p50": statistics.median(timings),
        "p95": wb.percentile(timings, 95),
        "cpu_p50": statistics.median(cpu),
        "queries": queries,
    }


def timed(fn: Callable[[], object], repeat: int, warmup: int = 2) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    timings = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - t) * 1000)
    return {"p50": statistics.median(timings), "p95": wb.percentile(timings, 95)}


def explain(queries: list[tuple[float, str]], top: int = 2) -> None:
    from django.db import connection

    for ms, sql in sorted(queries, reverse=True)[:top]:
        print(f"    --- {ms:.1f} ms: {sql[:300]}")
        prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql)
            for row in cursor.fetchall():
                print("      " + " | ".join(str(x) for x in row))


def run(args: argparse.Namespace, n_orgs: int) -> int:
    from django.core.management import call_command
    from django.db.models import Count
    from django.test import Client

    from pepiniere.grants.models import Award
    from pepiniere.portfolio.selectors_portfolio import PortfolioFilters, portfolio

    t = time.perf_counter()
    workaround = wb._migrate()
    wb.line("migrate", time.perf_counter() - t, "s")
    if workaround:
        wb.line("WORKAROUND", workaround)
    call_command("collectstatic", interactive=False, verbosity=0)
    seeded = seed(n_orgs, args.seed)
    for step, seconds in seeded["timings"].items():
        wb.line(f"seed {step}", seconds, "s")
    for key in ("organisations", "applications", "awards", "reports"):
        wb.line(key, seeded[key])
    analyze()

    officer = seeded["officer"]
    client = Client(HTTP_HOST=wb.HOST)
    client.force_login(officer)
    twice = (
        Award.objects.values("application__organisation_id")
        .order_by("application__organisation_id")
        .annotate(n=Count("pk"))
        .filter(n=2)
        .values_list("application__organisation_id", flat=True)
        .first()
    )
    assert twice is not None
    pages = {
        "(a) list, first page by name": "/suivi/portefeuille/",
        "(b) list, sorted by amount": "/suivi/portefeuille/?sort=-total",
        "(c) list, filtered": "/suivi/portefeuille/?departement=33&axis=innovation&year=2019",
        "(d) list, search, 200 a page": "/suivi/portefeuille/?q=fabrique+libre&per_page=200",
        "(e) organisation page": f"/suivi/structures/{twice}/",
    }
    results = {}
    print()
    for name, url in pages.items():
        r = results[name] = measure(client, url, args.repeat)
        wb.line(f"{name} url", url)
        wb.line(f"{name} p50 / p95", f"{r['p50']:.1f} / {r['p95']:.1f}", "ms")
        wb.line(f"{name} CPU of this process p50 (Django, template, SQLite)", r["cpu_p50"], "ms")
        wb.line(f"{name} database time (sum of query times)", sum(q[0] for q in r["queries"]), "ms")
        wb.line(f"{name} queries", len(r["queries"]))
        wb.line(f"{name} load average (1 min) just after", os.getloadavg()[0])
        slow = max(r["queries"])
        wb.line(f"{name} slowest query", f"{slow[0]:.1f} ms: {slow[1][:120]}")
        if args.explain:
            explain(r["queries"])

    funder_ids = {seeded["funder"].pk}
    # The bare ORM query of each list case: its page of organisations, nothing else (no count,
    # no figures of its own, no template), with the same filters.
    bare_cases = {
        "(a)": (PortfolioFilters(), 50),
        "(b)": (PortfolioFilters(sort="-total"), 50),
        "(c)": (PortfolioFilters(departement="33", axis="innovation", year="2019"), 50),
        "(d)": (PortfolioFilters(q="fabrique libre"), 200),
    }
    bare: dict[str, dict[str, float]] = {}
    for case, (filters, size) in bare_cases.items():
        bare[case] = timed(
            lambda f=filters, n=size: list(portfolio(funder_ids, f)[:n]),  # type: ignore[misc]
            args.repeat,
        )
        wb.line(
            f"baseline {case}: bare ORM list(portfolio(...)[:{size}]) p50 / p95",
            f"{bare[case]['p50']:.1f} / {bare[case]['p95']:.1f}",
            "ms",
        )

    def bare_page() -> None:
        list(Award.objects.filter(application__organisation_id=twice).select_related("application"))
        try:
            from pepiniere.portfolio.models import KpiReport

            list(KpiReport.objects.filter(organisation_id=twice))
        except ImportError:
            pass

    bare_org = timed(bare_page, args.repeat)
    wb.line(
        "baseline: bare ORM awards + reports of (e) p50 / p95",
        f"{bare_org['p50']:.1f} / {bare_org['p95']:.1f}",
        "ms",
    )
    for name in list(pages)[:4]:
        case = name[:3]
        wb.line(f"ratio {case} p50 / bare ORM p50", results[name]["p50"] / bare[case]["p50"])
    wb.line(
        "ratio (e) p50 / bare ORM p50", results["(e) organisation page"]["p50"] / bare_org["p50"]
    )

    kpi_figures(args, seeded)

    print()
    verdicts = {
        "list p95 < 150 ms (a–d)": all(results[k]["p95"] < 150 for k in list(pages)[:4]),
        "list queries ≤ 15 (a–d)": all(len(results[k]["queries"]) <= 15 for k in list(pages)[:4]),
        "organisation page p95 < 100 ms": results["(e) organisation page"]["p95"] < 100,
    }
    for name, ok in verdicts.items():
        wb.line(f"target {name}", "met" if ok else "MISSED")
    return 0


def kpi_figures(args: argparse.Namespace, seeded: dict[str, Any]) -> None:
    """RCR01 over the whole portfolio and a campaign launch for 10 000 organisations, through
    the kpi helper's functions (portfolio.indicators, portfolio.services_campaigns), skipped with the reason
    when they are not there."""
    import importlib

    try:
        indicators = importlib.import_module("pepiniere.portfolio.indicators")
    except ImportError:
        wb.line("RCR01", "skipped: pepiniere.portfolio.indicators is not on this branch")
        return
    scope = indicators.Scope(funder_ids=frozenset({seeded["funder"].pk}))
    t = time.perf_counter()
    jobs = indicators.rcr01(scope, 2024)
    seconds = time.perf_counter() - t
    wb.line("RCR01 2024 over the whole portfolio", seconds, "s")
    wb.line(
        "RCR01 2024 value (FTE created / organisations)", f"{jobs.created} / {jobs.organisations}"
    )
    wb.line("target RCR01 < 2 s", "met" if seconds < 2 else "MISSED")

    services = importlib.import_module("pepiniere.portfolio.services_campaigns")
    call = seeded["campaign_call"]
    t = time.perf_counter()
    result = services.launch_campaign(
        actor=seeded["officer"],
        funder=seeded["funder"],
        call=call,
        period_year=2025,
        due_date=datetime.date(2026, 6, 30),
        title="Indicateurs 2025 (banc d'essai)",
    )
    seconds = time.perf_counter() - t
    wb.line(f"launch a campaign for {call.title}", seconds, "s")
    wb.line(
        "campaign: organisations asked / already had a report", f"{result.asked} / {result.already}"
    )
    wb.line(
        "target campaign launch for 10 000 organisations < 10 s",
        "met" if seconds < 10 else "MISSED",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--quick", action="store_true", help="20 000 organisations")
    parser.add_argument("--n", type=int, help="number of organisations")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--db", default="pepiniere_bench_portfolio")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    n_orgs = args.n or (20_000 if args.quick else 100_000)
    database_url = os.environ.get("DATABASE_URL", "")
    postgres = args.postgres or database_url.startswith("postgres")
    server_url = wb.server_url_from(database_url)

    wb.line("benchmark", "portfolio at scale (django.test.Client, in-process)")
    wb.line("database", f"PostgreSQL ({args.db})" if postgres else "SQLite (temp file)")
    wb.line("organisations", n_orgs)
    wb.line("load average before (1/5/15 min)", " / ".join(f"{x:.2f}" for x in os.getloadavg()))
    workdir = Path(tempfile.mkdtemp(prefix="pepiniere-bench-portfolio-"))
    saved_env = dict(os.environ)
    created = False
    try:
        if postgres:
            wb.create_database(server_url, args.db)
            created = True
            configure(wb.database_url(server_url, args.db), workdir)
        else:
            configure(f"sqlite:///{workdir / 'bench.sqlite3'}", workdir)
        return run(args, n_orgs)
    finally:
        from django.db import connections

        connections.close_all()
        os.environ.clear()
        os.environ.update(saved_env)
        if created:
            wb.drop_database(server_url, args.db)
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
