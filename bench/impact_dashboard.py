"""The impact pages at the portfolio's scale: precomputed figures (ImpactSnapshot) against the
figures computed in the request, in the same run.

    .venv/bin/python bench/impact_dashboard.py                 # SQLite (a temp file), 100 000
    .venv/bin/python bench/impact_dashboard.py --postgres      # PostgreSQL pepiniere_bench_impact
    .venv/bin/python bench/impact_dashboard.py --quick         # 10 000 organisations

Set-up: bench/portfolio.py's seed (one funder, two programmes, 31 calls over ten years,
N organisations with one or two awards, 20 % rejected applications, ten validated KPI reports
each: 10 × N reports). With --full-refresh, `refresh_impact` over every landing page, timed.

Measures, in-process with django.test.Client, p50/p95 over --repeat requests after a warm-up,
and the query count of one request:
 (a) /impact/tableau-de-bord/                           the officer's whole portfolio
 (b) /impact/tableau-de-bord/?programme=…&par=axis      a programme, with its evaluation
 (c) /impact/programmes/<slug>/                         the programme's public page
 (d) (a) once a KPI report changed: the stale snapshot shown, the refresh queued
Baseline in the same run: the same pages (a)–(c) with no snapshot (each request computes its
figures and stores them, as the pages did before: --live-repeat requests, their snapshots
deleted before each). Target: p95 < 300 ms for (a)–(c) from their snapshots.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _webbench as wb  # noqa: E402
import portfolio as bench_portfolio  # noqa: E402


def live(client: Any, url: str, repeat: int) -> dict[str, float]:
    """The page computing its figures: no snapshot before each request."""
    from pepiniere.impact.models import ImpactSnapshot

    timings = []
    for _ in range(repeat):
        ImpactSnapshot.objects.all().delete()
        t = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {"p50": sorted(timings)[len(timings) // 2], "p95": wb.percentile(timings, 95)}


def run(args: argparse.Namespace, n_orgs: int) -> int:
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from pepiniere.impact import services
    from pepiniere.impact.models import ImpactSnapshot
    from pepiniere.portfolio.models import KpiReport

    t = time.perf_counter()
    workaround = wb._migrate()
    wb.line("migrate", time.perf_counter() - t, "s")
    if workaround:
        wb.line("WORKAROUND", workaround)
    call_command("collectstatic", interactive=False, verbosity=0)
    seeded = bench_portfolio.seed(n_orgs, args.seed)
    for step, seconds in seeded["timings"].items():
        wb.line(f"seed {step}", seconds, "s")
    for key in ("organisations", "applications", "awards", "reports"):
        wb.line(key, seeded[key])
    bench_portfolio.analyze()

    client = Client(HTTP_HOST=wb.HOST)
    client.force_login(seeded["officer"])
    programme = "feuille-de-route-2020"
    pages = {
        "(a) dashboard, whole portfolio": "/impact/tableau-de-bord/",
        "(b) dashboard, programme + evaluation": (
            f"/impact/tableau-de-bord/?programme={programme}&par=axis"
        ),
        "(c) public page of the programme": f"/impact/programmes/{programme}/",
    }

    print()
    baseline = {}
    for name, url in pages.items():
        r = baseline[name] = live(client, url, args.live_repeat)
        wb.line(
            f"baseline {name}: computed in the request, p50 / p95 ({args.live_repeat} requests)",
            f"{r['p50']:.0f} / {r['p95']:.0f}",
            "ms",
        )

    # Each page's last baseline request stored its snapshots: the pages read them from now on.
    if args.full_refresh:
        ImpactSnapshot.objects.all().delete()
        t = time.perf_counter()
        outcome = services.refresh_snapshots(landing=True)
        wb.line("refresh_impact: landing snapshots computed", outcome.created)
        wb.line("refresh_impact: failed", len(outcome.failed))
        wb.line("refresh_impact: duration (the task's work)", time.perf_counter() - t, "s")
        # (b) asks for ?par=axis: not a landing part, computed on its first view then read.
        client.get(pages["(b) dashboard, programme + evaluation"])
    wb.line("snapshots stored", ImpactSnapshot.objects.count())

    print()
    results: dict[str, dict[str, Any]] = {}
    for name, url in pages.items():
        m = results[name] = bench_portfolio.measure(client, url, args.repeat)
        wb.line(f"{name} url", url)
        wb.line(f"{name} p50 / p95 from the snapshot", f"{m['p50']:.1f} / {m['p95']:.1f}", "ms")
        wb.line(f"{name} queries", len(m["queries"]))
        wb.line(f"{name} database time (sum of query times)", sum(q[0] for q in m["queries"]), "ms")
        wb.line(f"ratio {name}: computed p95 / snapshot p95", baseline[name]["p95"] / m["p95"])
        if args.explain:
            bench_portfolio.explain(m["queries"])

    first = KpiReport.objects.order_by("pk").first()
    assert first is not None
    KpiReport.objects.filter(pk=first.pk).update(updated_at=timezone.now())
    stale_url = pages["(a) dashboard, whole portfolio"]
    stale = bench_portfolio.measure(client, stale_url, args.repeat)
    assert "mise à jour en cours" in client.get(stale_url).content.decode()
    wb.line(
        "(d) dashboard, stale snapshot shown p50 / p95",
        f"{stale['p50']:.1f} / {stale['p95']:.1f}",
        "ms",
    )

    print()
    met = all(r["p95"] < 300 for r in results.values()) and stale["p95"] < 300
    wb.line("target impact pages p95 < 300 ms (a–d)", "met" if met else "MISSED")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--n", type=int, help="number of organisations (default 100 000)")
    parser.add_argument("--quick", action="store_true", help="10 000 organisations")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--live-repeat", type=int, default=3)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="also time refresh_impact over every landing page (long at 100 000)",
    )
    parser.add_argument("--db", default="pepiniere_bench_impact")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    args.n = args.n or (10_000 if args.quick else 100_000)
    database_url = os.environ.get("DATABASE_URL", "")
    postgres = args.postgres or database_url.startswith("postgres")
    server_url = wb.server_url_from(database_url)

    wb.line("benchmark", "impact pages at scale (django.test.Client, in-process)")
    wb.line("database", f"PostgreSQL ({args.db})" if postgres else "SQLite (temp file)")
    wb.line("organisations", args.n)
    wb.line("load average before (1/5/15 min)", " / ".join(f"{x:.2f}" for x in os.getloadavg()))
    workdir = Path(tempfile.mkdtemp(prefix="pepiniere-bench-impact-"))
    saved_env = dict(os.environ)
    created = False
    try:
        if postgres:
            wb.create_database(server_url, args.db)
            created = True
            bench_portfolio.configure(wb.database_url(server_url, args.db), workdir)
        else:
            bench_portfolio.configure(f"sqlite:///{workdir / 'bench.sqlite3'}", workdir)
        return run(args, args.n)
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
