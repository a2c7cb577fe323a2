"""Run every benchmark of this folder one after the other and print each one's figures.

    .venv/bin/python bench/run_all.py            # the full sizes (long: tens of minutes)
    .venv/bin/python bench/run_all.py --quick    # small sizes where a benchmark offers them
    .venv/bin/python bench/run_all.py selection calibration   # only these

Each benchmark runs in its own process (its memory figures are its own) and prints its own
baseline; this script adds nothing but the order, the wall time of each and a summary line.
The HTTP benchmarks (surge, officer_list, kill_during_submissions) need PostgreSQL at
127.0.0.1:5432; they are skipped with a reason when it does not answer.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# name -> (accepts --quick, needs PostgreSQL)
BENCHMARKS: dict[str, tuple[bool, bool]] = {
    "assignment": (True, False),
    "calibration": (True, False),
    "impact_simulation": (True, False),
    "selection": (True, False),
    "ranking_snapshot": (True, False),
    "iclr_uncertainty": (False, False),
    "payments": (True, False),
    "officer_list": (True, True),
    "portfolio": (True, False),
    "opendata": (True, False),
    "impact_dashboard": (True, False),
    "surge": (True, True),
    "kill_during_submissions": (False, True),
}


def _postgresql_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes where offered")
    parser.add_argument("only", nargs="*", choices=[*BENCHMARKS, []], help="run only these")
    args = parser.parse_args()
    names = args.only or list(BENCHMARKS)
    postgresql = _postgresql_answers()
    outcomes: list[tuple[str, str]] = []
    for name in names:
        quick, needs_postgresql = BENCHMARKS[name]
        if needs_postgresql and not postgresql:
            outcomes.append((name, "skipped: PostgreSQL does not answer at 127.0.0.1:5432"))
            continue
        command = [sys.executable, str(HERE / f"{name}.py")]
        if args.quick and quick:
            command.append("--quick")
        print(f"\n===== {name}: {' '.join(command[1:])}", flush=True)
        start = time.monotonic()
        code = subprocess.call(command)
        seconds = time.monotonic() - start
        outcomes.append(
            (name, f"{'ok' if code == 0 else f'FAILED (exit {code})'} in {seconds:.0f} s")
        )
    print("\n===== summary")
    for name, outcome in outcomes:
        print(f"{name:<26} {outcome}")
    return 0 if all("FAILED" not in outcome for _, outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
