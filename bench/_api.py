"""The API at scale: GET /api/v1/awards for an officer of a funder with 100 000 awards.

    .venv/bin/python bench/_api.py                 # SQLite (a temp file)
    .venv/bin/python bench/_api.py --postgres      # PostgreSQL (database pepiniere_bench_api)
    .venv/bin/python bench/_api.py --rows 20000    # fewer awards

Set-up (fresh database, removed at the end; not timed beyond one line): migrate, one funder
(Région) with one programme and ten calls, 20 000 organisations, 100 000 awarded applications
(five per organisation, over ten years), each with its award and the funder's share, written
with bulk_create; an officer of the funder and a read token.

Measured in-process with django.test.Client and the token (as a machine client calls it), after
a warm-up, p50/p95 over --repeat requests, and the query count of one request:
 (a) /api/v1/awards?limit=50                          the first page (latest awards first)
 (b) /api/v1/awards?limit=50&offset=<rows − 50>       the deepest page
 (m) /api/v1/awards?limit=50&offset=<rows / 2>        the middle page (the longest walk: a page in
                                                      the second half is read from the last row)
 (c) /api/v1/awards?limit=50&call=<slug>&year=<y>     filtered
Baseline in the same run, per case: the bare ORM query of the same page (count, then the page's
awards with their application, call, programme, organisation and shares, ordered the same way),
no permission, no serialisation, no HTTP. Target: p95 < 100 ms for every case.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _scratch as scratch  # noqa: E402
import _webbench as wb  # noqa: E402

TARGET_MS = 100.0
PER_ORGANISATION = 5
PAGE = 50


def seed(rows: int) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from pepiniere.accounts.models import Role
    from pepiniere.api.models import ApiToken
    from pepiniere.applications.models import Application, Status
    from pepiniere.grants.models import Award, AwardShare
    from pepiniere.lib.testing.factories import make_call, make_funder, make_programme, make_user
    from pepiniere.organisations.models import Organisation

    funder = make_funder("Région Nouvelle-Aquitaine")
    programme = make_programme(funder)
    calls = [make_call(funder=funder, programme=programme, title=f"Appel {i}") for i in range(10)]
    officer = make_user(role=Role.OFFICER, funder=funder)
    applicant = make_user()
    now = timezone.now()
    n_orgs = max(1, rows // PER_ORGANISATION)
    with transaction.atomic():
        organisations = Organisation.objects.bulk_create(
            [
                Organisation(name=f"Structure {i:06d}", kind="startup", departement_id="33")
                for i in range(n_orgs)
            ],
            batch_size=5000,
        )
        applications = Application.objects.bulk_create(
            [
                Application(
                    call=calls[i % len(calls)],
                    organisation=organisations[i % n_orgs],
                    created_by=applicant,
                    status=Status.AWARDED,
                    number=i + 1,
                    reference=f"AAP-BENCH-{i:07d}",
                    title=f"Projet {i}",
                    requested_amount=Decimal(10_000 + i % 40_000),
                    submitted_at=now,
                )
                for i in range(rows)
            ],
            batch_size=5000,
        )
        awards = Award.objects.bulk_create(
            [
                Award(
                    application=application,
                    amount=Decimal(10_000 + i % 40_000) + Decimal("0.50"),
                    decision_reference=f"CP-{i}",
                    decision_date=datetime.date(2015 + i % 10, 1 + i % 12, 1 + i % 28),
                    awarded_by=officer,
                    awarded_at=now,
                )
                for i, application in enumerate(applications)
            ],
            batch_size=5000,
        )
        AwardShare.objects.bulk_create(
            [AwardShare(award=a, funder=funder, amount=a.amount) for a in awards], batch_size=5000
        )
    _token, key = ApiToken.issue(user=officer, name="bench")
    return {"funder": funder, "officer": officer, "key": key, "call": calls[3], "awards": rows}


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(client: Any, url: str, headers: dict[str, str], repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    timings = []
    for _ in range(repeat):
        t = time.perf_counter()
        response = client.get(url, headers=headers)
        timings.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as captured:
        body = client.get(url, headers=headers).json()
    return {
        "p50": statistics.median(timings),
        "p95": wb.percentile(timings, 95),
        "queries": len(captured.captured_queries),
        "count": body["count"],
        "items": len(body["items"]),
    }


def timed(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    for _ in range(3):
        fn()
    timings = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - t) * 1000)
    return {"p50": statistics.median(timings), "p95": wb.percentile(timings, 95)}


def bare_page(funder_id: int, offset: int, **filters: Any) -> Callable[[], object]:
    from django.db.models import Prefetch

    from pepiniere.grants.models import Award, AwardShare

    def run() -> object:
        rows = Award.objects.filter(application__call__funder_id=funder_id, **filters)
        count = rows.count()
        page = list(
            rows.select_related("application__call__programme", "application__organisation")
            .prefetch_related(
                Prefetch("shares", queryset=AwardShare.objects.select_related("funder"))
            )
            .order_by("-pk")[offset : offset + PAGE]
        )
        return count, page

    return run


def run(args: argparse.Namespace) -> int:
    from django.test import Client

    t = time.perf_counter()
    workaround = wb._migrate()
    wb.line("migrate", time.perf_counter() - t, "s")
    if workaround:
        wb.line("WORKAROUND", workaround)
    t = time.perf_counter()
    seeded = seed(args.rows)
    wb.line(f"seed {args.rows} awards (bulk_create)", time.perf_counter() - t, "s")
    analyze()
    client = Client(HTTP_HOST=wb.HOST)
    headers = {"Authorization": f"Bearer {seeded['key']}"}
    call = seeded["call"]
    year = 2018
    deep = args.rows - PAGE
    cases = {
        "first page": (f"/api/v1/awards?limit={PAGE}", bare_page(seeded["funder"].pk, 0)),
        "deep page": (
            f"/api/v1/awards?limit={PAGE}&offset={deep}",
            bare_page(seeded["funder"].pk, deep),
        ),
        "middle page": (
            f"/api/v1/awards?limit={PAGE}&offset={args.rows // 2}",
            bare_page(seeded["funder"].pk, args.rows // 2),
        ),
        "filtered": (
            f"/api/v1/awards?limit={PAGE}&call={call.slug}&year={year}",
            bare_page(seeded["funder"].pk, 0, application__call=call, decision_date__year=year),
        ),
    }
    missed = 0
    for name, (url, bare) in cases.items():
        api = measure(client, url, headers, args.repeat)
        baseline = timed(bare, args.repeat)
        wb.line(f"{name} url", url)
        wb.line(f"{name} rows counted / on the page", f"{api['count']} / {api['items']}")
        wb.line(f"{name} API p50 / p95", f"{api['p50']:.1f} / {api['p95']:.1f}", "ms")
        wb.line(f"{name} API queries", api["queries"])
        wb.line(
            f"{name} bare ORM p50 / p95", f"{baseline['p50']:.1f} / {baseline['p95']:.1f}", "ms"
        )
        wb.line(f"{name} ratio API p95 / bare ORM p95", api["p95"] / baseline["p95"])
        ok = api["p95"] < TARGET_MS
        missed += not ok
        wb.line(f"target {name} p95 < {TARGET_MS:.0f} ms", "met" if ok else "MISSED")
    wb.line("load average after (1/5/15 min)", " / ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 1 if missed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--rows", type=int, default=100_000, help="awards of the funder")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--db", default="pepiniere_bench_api")
    args = parser.parse_args()
    postgres = scratch.wants_postgres(args.postgres)
    wb.line("benchmark", "API list endpoint at scale (django.test.Client, in-process)")
    wb.line("database", f"PostgreSQL ({args.db})" if postgres else "SQLite (temp file)")
    wb.line("load average before (1/5/15 min)", " / ".join(f"{x:.2f}" for x in os.getloadavg()))
    with scratch.database(
        postgres=postgres,
        name=args.db,
        prefix="pepiniere-bench-api-",
        API_RATE_LIMIT_PER_MINUTE="100000000",
    ) as (env, workdir):
        return run(args)


if __name__ == "__main__":
    sys.exit(main())
