"""The ranking page, computed on every request (before) or read from its snapshot (after).

    .venv/bin/python bench/ranking_snapshot.py            # 400 applications, 1 200 reviews
    .venv/bin/python bench/ranking_snapshot.py --quick    # 80 applications, 240 reviews

Set-up (a temp SQLite file, production settings, DEBUG=0): migrate, collectstatic into a temp
folder, one call with three criteria, `n` submitted applications in review, a pool of experts with
their own severity, three submitted reviews per application. Measures, in-process with
django.test.Client logged in as the call's officer, p50 / p95 over the requests:
 - before: GET the ranking page with the snapshot deleted before each request, so each one computes
   the ranking (REML calibration, Monte-Carlo rank intervals) as every ranking, jury, selection and
   letter request did before the snapshot;
 - after: GET the same page while the snapshot is current (read, fingerprint checked);
 - the bare compute_ranking(call) and ranking_for(call) calls, for reference.
Prints the ratio before / after of the p50s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _webbench as wb  # noqa: E402


def seed(n_apps: int, n_reviewers: int, k: int, seed_value: int) -> tuple[Any, Any]:
    from decimal import Decimal

    from django.utils import timezone

    from pepiniere.accounts.models import Role
    from pepiniere.applications.models import Application, Status
    from pepiniere.calls.models import Criterion
    from pepiniere.lib.testing.factories import make_call, make_submitted, make_user
    from pepiniere.reviews.models import (
        Assignment,
        AssignmentStatus,
        CriterionScore,
        Review,
        ReviewStatus,
    )

    rng = random.Random(seed_value)
    call = make_call(reviews_per_application=k)
    Criterion.objects.create(call=call, title="Équipe", weight=Decimal(1), position=2)
    Criterion.objects.create(call=call, title="Impact", weight=Decimal(1), position=3)
    criteria = list(call.criteria.all())
    officer = make_user("officer@bench.test", role=Role.OFFICER, funder=call.funder)
    applications = [make_submitted(call=call) for _ in range(n_apps)]
    Application.objects.filter(call=call).update(status=Status.IN_REVIEW)
    reviewers = [make_user(f"expert{i}@bench.test", role=Role.REVIEWER) for i in range(n_reviewers)]
    severity = {r.pk: rng.gauss(0, 0.6) for r in reviewers}
    now = timezone.now()
    assignments = []
    for application in applications:
        for reviewer in rng.sample(reviewers, k):
            assignments.append(
                Assignment(
                    application=application,
                    reviewer=reviewer,
                    status=AssignmentStatus.SUBMITTED,
                    assigned_at=now,
                )
            )
    Assignment.objects.bulk_create(assignments)
    reviews = Review.objects.bulk_create(
        Review(assignment=a, status=ReviewStatus.SUBMITTED, submitted_at=now) for a in assignments
    )
    quality = {a.pk: rng.uniform(1.5, 4.5) for a in applications}
    scores = []
    for review in reviews:
        a = review.assignment
        for criterion in criteria:
            value = quality[a.application_id] + severity[a.reviewer_id] + rng.gauss(0, 0.5)
            scores.append(
                CriterionScore(
                    review=review,
                    criterion=criterion,
                    score=Decimal(min(5, max(0, round(value * 2) / 2))).quantize(Decimal("0.01")),
                )
            )
    CriterionScore.objects.bulk_create(scores)
    return call, officer


def timed(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50": statistics.median(samples),
        "p95": samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="80 applications")
    parser.add_argument("--seed", type=int, default=20150702)
    args = parser.parse_args()
    n_apps, n_reviewers, k = (80, 20, 3) if args.quick else (400, 60, 3)
    repeat = 10 if args.quick else 15
    with tempfile.TemporaryDirectory(prefix="pepiniere-bench-ranking-") as tmp:
        workdir = Path(tmp)
        import os

        os.environ.clear()
        os.environ.update(wb.bench_env(f"sqlite:///{workdir / 'bench.sqlite3'}", workdir))
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.test import Client
        from django.urls import reverse

        from pepiniere.reviews.models import RankingSnapshot
        from pepiniere.reviews.ranking import compute_ranking, ranking_for

        # The seeded accounts never log in with a password: a fast hasher keeps the set-up short.
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        wb.line("database", "SQLite (temp file)")
        t = time.perf_counter()
        wb._migrate()
        call_command("collectstatic", interactive=False, verbosity=0)
        wb.line("migrate + collectstatic", time.perf_counter() - t, "s")
        t = time.perf_counter()
        call, officer = seed(n_apps, n_reviewers, k, args.seed)
        wb.line("seed", time.perf_counter() - t, "s")
        wb.line("applications / reviews", f"{n_apps} / {n_apps * k} ({n_reviewers} experts)")
        client = Client(HTTP_HOST=wb.HOST)
        client.force_login(officer)
        url = reverse("reviews:ranking", args=[call.slug])

        def page() -> None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        def fresh_page() -> None:
            RankingSnapshot.objects.filter(call=call).delete()
            page()

        before = timed(fresh_page, repeat)
        after = timed(page, repeat * 3)
        compute = timed(lambda: compute_ranking(call), repeat)
        read = timed(lambda: ranking_for(call), repeat * 3)
        for label, figures in [
            ("ranking page, computed each request (before)", before),
            ("ranking page, from the snapshot (after)", after),
            ("compute_ranking(call)", compute),
            ("ranking_for(call), snapshot current", read),
        ]:
            wb.line(label, f"p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms")
        wb.line("ratio before / after (p50)", before["p50"] / after["p50"], "×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
