"""A crash in the middle of a submission burst never leaves an application half-written.

Runs bench/kill_during_submissions.py on a small burst: gunicorn (production settings) on its own
PostgreSQL database, created and dropped by the test (the pytest-django test database is not
used), SIGKILLed (master and workers at once) once half of the answers have arrived. Every
application must then be either submitted-and-complete or still a clean draft.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "kill_during_submissions.py"
DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not DATABASE_URL.startswith("postgres"),
        reason="needs PostgreSQL (DATABASE_URL=postgres://...): the crash test creates its own "
        "database on that server, runs gunicorn against it and SIGKILLs it",
    ),
    pytest.mark.skipif(not BENCH.exists(), reason="bench/kill_during_submissions.py is absent"),
]


def _bench_module():
    spec = importlib.util.spec_from_file_location("kill_during_submissions", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sigkill_during_submissions_leaves_no_half_written_application():
    result = _bench_module().run(30, workers=2, threads=2, concurrency=8)
    assert result["killed"], result
    # Before the kill, the server answers: no 5xx (a broken seed or start-up shows up here first).
    assert result["server_errors_5xx"] == 0, result
    assert result["half_written"] == 0, result
    assert result["duplicated"] == 0, result
    assert result["acknowledged_not_submitted"] == 0, result
    assert result["submitted_complete"] + result["clean_drafts"] == 30, result
    assert result["references_gap_free"], result
    # The kill really happened in the middle: some submissions went through, some did not.
    assert result["submitted_complete"] > 0, result
    assert result["clean_drafts"] > 0, result
