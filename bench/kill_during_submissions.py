"""Crash consistency: SIGKILL the whole gunicorn process group in the middle of a submission burst.

    .venv/bin/python bench/kill_during_submissions.py            # 400 applicants
    .venv/bin/python bench/kill_during_submissions.py --n 100

Set-up on its own fresh PostgreSQL database (dropped at the end): migrate, one open call, N complete
drafts each with its own applicant and session. gunicorn (production settings) receives the burst
(32 concurrent clients, 30 % double-submits, 10 % timeout-and-retry) and, once half of the answers
have arrived, master and workers are SIGKILLed at once (os.killpg), with submissions in flight.

Then every application must be either
  * submitted and complete: status submitted, exactly one version, a reference and a number,
    submitted_at set, exactly one 'submit' audit row; or
  * still a clean draft: no version, no reference, no number, no submitted_at, no 'submit' row;
never in between (half_written = 0), never duplicated, and every applicant who received the 302 to
the receipt must be submitted (acknowledged_not_submitted = 0). The e-mail task rows (enqueued
on commit, outside the transaction) are counted too: a crash between COMMIT and the enqueue loses
the notification, which is reported, not failed.

`run(n)` returns the figures as a dict; pepiniere/tests_project/test_crash_consistency.py calls it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _webbench as wb  # noqa: E402


def run(
    n: int,
    *,
    server_url: str | None = None,
    db_name: str | None = None,
    workers: int | None = None,
    threads: int = 2,
    concurrency: int = 32,
    kill_fraction: float = 0.5,
    seed: int = 7,
    verbose: bool = False,
) -> dict:
    """Seed `n` drafts, burst, SIGKILL gunicorn after `kill_fraction` of the answers, verify."""
    started = time.perf_counter()
    server_url = server_url or wb.server_url_from(os.environ.get("DATABASE_URL"))
    db_name = db_name or f"pepiniere_crash_{os.getpid()}"
    workers = workers or wb.default_workers()

    def say(name: str, value: object, unit: str = "") -> None:
        if verbose:
            wb.line(name, value, unit)

    server: wb.Gunicorn | None = None
    with wb.workspace(db_name, server_url) as workdir:
        env = wb.bench_env(wb.database_url(server_url, db_name), workdir)
        targets_file = workdir / "targets.json"
        try:
            # Production start needs the collected static files (pepiniere.wsgi refuses to start
            # without them): collect while migrating and seeding, then boot gunicorn.
            seeded = wb.run_child(
                env,
                "setup",
                n=n,
                out=str(targets_file),
                code="crash",
                collectstatic=True,
                timeout=600,
            )
            server = wb.Gunicorn(env, workdir, workers=workers, threads=threads)
            server.launch()
            say("migrate", seeded["migrate_s"], "s")
            if seeded["workaround"]:
                say("WORKAROUND", seeded["workaround"])
            say("seed (drafts + sessions)", seeded["seconds"], "s")
            plans = wb.make_plans(
                json.loads(targets_file.read_text()), double_share=0.30, retry_share=0.10, seed=seed
            )
            say("gunicorn ready", server.wait_ready(timeout=120), "s after launch")
            killed_at: list[float] = []

            def kill() -> None:
                killed_at.append(time.perf_counter())
                assert server is not None
                server.kill()  # SIGKILL to the whole process group: master and every worker

            kill_after = max(1, int(kill_fraction * n))
            outcome = wb.burst(
                server.port,
                plans,
                concurrency=concurrency,
                request_timeout=30,
                deadline=240,
                kill_after=kill_after,
                kill=kill,
            )
        finally:
            if server is not None:
                server.stop()
                server_log_errors = server.errors_in_log()[:3]
        # The backends of the killed workers abort their open transactions; wait (bounded) for
        # them to be gone so that what we read is the final state.
        left = wb.wait_backends_gone(server_url, db_name, timeout=20)
        verdict = wb.verify(env["DATABASE_URL"], seeded["call_id"])

    c = wb.classify(outcome)
    acknowledged = {r.pk for r in c["ok"]}
    submitted = set(verdict["submitted_complete_pks"])
    result = {
        "n": n,
        "workers": f"{workers}x{threads}",
        "killed": bool(killed_at),
        "answers_before_kill": outcome.killed_after or 0,
        "requests_sent": len([r for r in outcome.results if r.role != "abandoned"]),
        "responses_302_to_receipt": len(c["ok"]),
        "applicants_acknowledged_302": len(acknowledged),
        "responses_other_status": len(c["other"]),
        "transport_errors": len(c["transport"]),
        "server_errors_5xx": len(c["server_errors"]),
        "submitted_complete": verdict["submitted_complete"],
        "clean_drafts": verdict["clean_drafts"],
        "half_written": verdict["half_written"],
        "half_written_pks": verdict["half_written_pks"],
        "duplicated": verdict["duplicated"] + verdict["duplicate_references"],
        "acknowledged_not_submitted": len(acknowledged - submitted),
        "references_gap_free": verdict["numbering_gap_free"],
        "submitted_without_email_task": verdict["submitted_without_email_task"],
        "backends_left_after_kill": left,
        "first_server_errors": server_log_errors,
        "seconds": time.perf_counter() - started,
    }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--workers", type=int, default=wb.default_workers())
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--kill-fraction", type=float, default=0.5)
    parser.add_argument("--db", default="pepiniere_bench_crash")
    parser.add_argument("--server-url", default=wb.DEFAULT_SERVER_URL)
    args = parser.parse_args()
    wb.line("benchmark", "SIGKILL gunicorn (master + workers) in the middle of a submission burst")
    wb.line("applicants", args.n)
    wb.line("load average before (1/5/15 min)", " / ".join(f"{x:.2f}" for x in os.getloadavg()))
    result = run(
        args.n,
        server_url=args.server_url,
        db_name=args.db,
        workers=args.workers,
        threads=args.threads,
        concurrency=args.concurrency,
        kill_fraction=args.kill_fraction,
        verbose=True,
    )
    print()
    for key, value in result.items():
        if key == "half_written_pks" and not value:
            continue
        wb.line(key.replace("_", " "), value, "s" if key == "seconds" else "")
    ok = (
        result["killed"]
        and result["half_written"] == 0
        and result["duplicated"] == 0
        and result["acknowledged_not_submitted"] == 0
        and result["submitted_complete"] + result["clean_drafts"] == result["n"]
    )
    wb.line("verdict", "consistent (half_written = 0)" if ok else "INCONSISTENT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
