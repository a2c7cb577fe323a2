"""Open data and API at scale (issue 15's figures): the exports, the historical import and the API
lists, each in its own process, one after the other.

    .venv/bin/python bench/opendata.py                # full sizes, SQLite (temp files)
    .venv/bin/python bench/opendata.py --postgres     # full sizes, PostgreSQL at 127.0.0.1:5432
    .venv/bin/python bench/opendata.py --quick        # small sizes (a smoke run)
    .venv/bin/python bench/opendata.py export import  # only these parts

Parts and targets (each prints its own baseline, measured in the same run, and its ratio):
- export (`_opendata_export.py`): SCDL and 360Giving files of 1 000 000 signed agreements, each
  under 20 s with a peak under 300 MB; baseline: the same rows through a bare CSV writer.
- import (`_opendata_import.py`): a 100 000-record messy SCDL file with its report under 60 s;
  baseline: a bare csv.reader over the same file.
- api (`_api.py`): list endpoints at 100 000 rows, p95 under 100 ms; baseline: the bare ORM
  query of the same page.
A part exits non-zero when its target is not met; this script exits non-zero if any part did.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# part -> (script, arguments of a full run, arguments of a quick run)
PARTS: dict[str, tuple[str, list[str], list[str]]] = {
    "export": ("_opendata_export.py", ["--n", "1000000"], ["--n", "20000"]),
    "import": ("_opendata_import.py", ["--rows", "100000"], ["--rows", "10000"]),
    "api": ("_api.py", [], ["--rows", "10000"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("only", nargs="*", choices=[*PARTS, []], help="run only these parts")
    args = parser.parse_args()
    outcomes: list[tuple[str, str]] = []
    for name in args.only or list(PARTS):
        script, full, quick = PARTS[name]
        if not (HERE / script).exists():
            outcomes.append((name, f"missing: {script}"))
            continue
        command = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        if args.postgres:
            command.append("--postgres")
        print(f"=== {name}: {' '.join(command[1:])}", flush=True)
        start = time.perf_counter()
        code = subprocess.call(command)
        seconds = time.perf_counter() - start
        outcomes.append((name, f"{'ok' if code == 0 else f'exit {code}'} in {seconds:.0f} s"))
    print("=== summary")
    for name, outcome in outcomes:
        print(f"{name}: {outcome}")
    return 0 if all(outcome.startswith("ok") for _name, outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
