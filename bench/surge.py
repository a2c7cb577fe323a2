"""Deadline surge: thousands of applicants press « Déposer » in the same minutes.

    .venv/bin/python bench/surge.py            # 2 000 applicants
    .venv/bin/python bench/surge.py --quick    # 300 applicants

Set-up (all on a fresh PostgreSQL database `pepiniere_bench`, dropped at the end): migrate, collectstatic
into a temp folder (DEBUG=0 serves hashed static names), one open call with the test form, N complete
drafts each with its own applicant, an authenticated session per applicant created directly in the
session table, and a CSRF secret per applicant (cookie + X-CSRFToken header).

Burst: gunicorn like production (2 x cores + 1 gthread workers, 2 threads each, DB task queue: the
emails are only enqueued rows), 64 concurrent keep-alive clients (asyncio, raw HTTP/1.1). Each
applicant POSTs /dossiers/<pk>/deposer/ once; ~30 % double-submit (two concurrent POSTs on two
connections) and ~10 % send the POST, give up after 5-40 ms without reading the answer (simulated
timeout) and send it again. Success = 302 to the application's own receipt.

Checks in the database afterwards: lost (not submitted with exactly one version and a reference),
duplicated (several versions or submit audit rows, duplicate references), 5xx and transport errors.
Baseline in the same run: the same number of submissions through `submit_application` in-process
(no HTTP, one after the other) on fresh drafts, and a plain ORM bulk write of the same rows.
Target on 2 cores: >= 100 submissions/s, lost = 0, duplicated = 0, errors = 0.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _webbench as wb  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 applicants instead of 2 000")
    parser.add_argument("--n", type=int, help="number of applicants (overrides --quick)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=wb.default_workers())
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--db", default="pepiniere_bench")
    parser.add_argument("--server-url", default=wb.DEFAULT_SERVER_URL)
    parser.add_argument("--conn-max-age", default=None, help="DB_CONN_MAX_AGE for gunicorn")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--profile", action="store_true", help="also profile one HTTP submission")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    n = args.n or (300 if args.quick else 2000)

    wb.line("benchmark", "deadline surge (POST /dossiers/<pk>/deposer/ through gunicorn)")
    wb.line("applicants", n)
    wb.line("cores", os.cpu_count())
    wb.line("gunicorn workers", f"{args.workers} x {args.threads} threads")
    wb.line("concurrent clients", args.concurrency)
    wb.line("load average before (1/5/15 min)", " / ".join(f"{x:.2f}" for x in os.getloadavg()))
    server = None
    with wb.workspace(args.db, args.server_url) as workdir:
        extra = {} if args.conn_max_age is None else {"DB_CONN_MAX_AGE": str(args.conn_max_age)}
        env = wb.bench_env(wb.database_url(args.server_url, args.db), workdir, **extra)
        wb.line("DB_CONN_MAX_AGE", env.get("DB_CONN_MAX_AGE", "60 (settings default with DEBUG=0)"))
        targets_file = workdir / "targets.json"
        seeded = wb.run_child(
            env, "setup", n=n, out=str(targets_file), code="surge", collectstatic=True
        )
        wb.line("migrate", seeded["migrate_s"], "s")
        if seeded["workaround"]:
            wb.line("WORKAROUND", seeded["workaround"])
        wb.line("collectstatic (temp STATIC_ROOT)", seeded["collectstatic_s"], "s")
        wb.line("seed (drafts + sessions)", seeded["seconds"], "s")
        targets = json.loads(targets_file.read_text())
        plans = wb.make_plans(targets, double_share=0.30, retry_share=0.10, seed=args.seed)
        modes = {m: sum(1 for p in plans if p.mode == m) for m in ("single", "double", "retry")}
        wb.line(
            "plan",
            f"{modes['single']} single, {modes['double']} double-submit, "
            f"{modes['retry']} timeout+retry",
        )
        try:
            server = wb.Gunicorn(env, workdir, workers=args.workers, threads=args.threads)
            wb.line("gunicorn start", server.start(), "s")
            warm = wb.warm_up(server, plans)
            wb.line(
                "warm-up (GET pre-check pages until every worker answered)",
                f"{warm['requests']} requests in {warm['seconds']:.1f} s, statuses "
                f"{warm['statuses']}, {warm['workers_warm']}/{warm['workers']} workers warm",
            )
            log_rows_before = len(server.access_log())
            cpu_before = server.cpu_seconds()
            client_cpu_before = time.process_time()
            with wb.LockSampler(env["DATABASE_URL"], args.db) as sampler:
                outcome = wb.burst(server.port, plans, concurrency=args.concurrency, deadline=600)
            client_cpu = time.process_time() - client_cpu_before
            server_cpu = server.cpu_seconds() - cpu_before
            pg_cpu = wb.postgres_cpu_seconds(args.db)
            time.sleep(0.5)  # let in-flight abandoned requests finish before stopping
            server_ms = [
                row[2] for row in server.access_log()[log_rows_before:] if row[3] == "POST"
            ]
        finally:
            if server is not None:
                server.stop()
        log_errors = server.errors_in_log()
        verdict = wb.verify(env["DATABASE_URL"], seeded["call_id"])
        baseline = None
        if not args.no_baseline:
            baseline = wb.run_child(env, "baseline", n=n, like_call_id=seeded["call_id"])
        profile = None
        if args.profile:
            profile = wb.run_child(env, "profile_http", n=40, like_call_id=seeded["call_id"])

    c = wb.classify(outcome)
    latencies_ms = [r.latency * 1000 for r in c["answered"] if r.status is not None]
    rate = n / outcome.wall if outcome.wall else 0.0
    print()
    wb.line("burst wall time", outcome.wall, "s")
    wb.line("requests answered", len(c["answered"]))
    wb.line(
        "requests abandoned by the client (simulated timeout)",
        sum(1 for r in outcome.results if r.role == "abandoned"),
    )
    wb.line("submissions/s", rate, "submissions/s")
    wb.line("requests/s", len(c["answered"]) / outcome.wall if outcome.wall else 0.0, "requests/s")
    answered_n = max(1, len(c["answered"]))
    wb.line(
        "gunicorn CPU per request (all workers, user+sys)", server_cpu / answered_n * 1000, "ms"
    )
    wb.line("load-generator CPU per request", client_cpu / answered_n * 1000, "ms")
    if args.conn_max_age != "0":
        wb.line(
            "PostgreSQL backend CPU per request (persistent connections)",
            pg_cpu / answered_n * 1000,
            "ms",
        )
    wb.line(
        "server-side duration p50 / p99 (gunicorn access log, POST)",
        f"{wb.percentile(server_ms, 50):.1f} / {wb.percentile(server_ms, 99):.1f}",
        "ms",
    )
    locks = sampler.summary()
    wb.line(
        "PostgreSQL sessions running a statement, mean over the burst",
        f"{locks['active']:.2f} (of which waiting for a row lock: {locks['waiting_lock']:.2f})",
    )
    wb.line("latency p50", wb.percentile(latencies_ms, 50), "ms")
    wb.line("latency p90", wb.percentile(latencies_ms, 90), "ms")
    wb.line("latency p99", wb.percentile(latencies_ms, 99), "ms")
    wb.line("latency max", max(latencies_ms) if latencies_ms else float("nan"), "ms")
    for role in ("first", "duplicate", "retry"):
        lat = [r.latency * 1000 for r in c["answered"] if r.role == role and r.status is not None]
        if lat:
            wb.line(
                f"latency p50/p99 ({role} requests, n={len(lat)})",
                f"{statistics.median(lat):.1f} / {wb.percentile(lat, 99):.1f}",
                "ms",
            )
    wb.line("302 to the own receipt", len(c["ok"]))
    wb.line("302 to another receipt", len(c["wrong_receipt"]))
    wb.line("5xx", len(c["server_errors"]))
    wb.line("other statuses", f"{len(c['other'])} {sorted({r.status for r in c['other']})}")
    kinds = sorted({r.error for r in c["transport"]})
    wb.line("transport errors", f"{len(c['transport'])} {kinds if kinds else ''}".strip())
    wb.line(
        "requests re-sent once on a stale keep-alive connection",
        sum(r.stale_resends for r in outcome.results),
    )
    wb.line("not started (deadline)", outcome.not_started)
    wb.line("tracebacks in the gunicorn log", len(log_errors))
    errors = (
        len(c["server_errors"])
        + len(c["other"])
        + len(c["transport"])
        + len(c["wrong_receipt"])
        + outcome.not_started
    )
    wb.line("errors", errors)
    lost = n - verdict["submitted_complete"]
    wb.line("lost", lost)
    wb.line("duplicated", verdict["duplicated"] + verdict["duplicate_references"])
    wb.line("half-written applications", verdict["half_written"])
    wb.line("references gap-free", verdict["numbering_gap_free"])
    wb.line("submitted without an email task", verdict["submitted_without_email_task"])
    wb.line("submitted with several email tasks", verdict["duplicate_email_tasks"])
    if baseline:
        print()
        wb.line(
            "baseline: submit_application in-process, sequential",
            baseline["service_rate"],
            "submissions/s",
        )
        wb.line("baseline: plain ORM bulk write of the same rows", baseline["bulk_rate"], "rows/s")
        wb.line("ratio HTTP / in-process service", rate / baseline["service_rate"])
        wb.line("ratio HTTP / bulk write", rate / baseline["bulk_rate"])
        qs = baseline["queries"]
        wb.line("queries per submit_application", len(qs))
        wb.line(
            "database time per submit_application (sum of query times)",
            sum(q["ms"] for q in qs),
            "ms",
        )
        for q in qs:
            print(f"    {q['ms']:6.2f} ms  {q['sql']}")
    if profile:
        print()
        wb.line(
            "in-process HTTP submit (django.test.Client), queries", profile["queries_per_request"]
        )
        wb.line("in-process HTTP submit median", profile["median_ms"], "ms")
        for q in profile["queries"]:
            print(f"    {q['ms']:6.2f} ms  {q['sql']}")
        print(profile["profile"])
    wb.line("load average after (1/5/15 min)", " / ".join(f"{x:.2f}" for x in os.getloadavg()))
    print()
    target_ok = rate >= 100 and lost == 0 and verdict["duplicated"] == 0 and errors == 0
    wb.line(
        "target (>= 100 submissions/s, lost 0, duplicated 0, errors 0)",
        "met" if target_ok else "NOT met",
    )
    return 0 if (lost == 0 and verdict["duplicated"] == 0) else 1


if __name__ == "__main__":
    sys.exit(main())
