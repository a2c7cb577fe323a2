"""Benchmark reviewer assignment (``pepiniere.engine.assignment.assign_reviewers``).

    .venv/bin/python bench/assignment.py            # full sizes (about a minute)
    .venv/bin/python bench/assignment.py --quick    # small sizes (a few seconds)

Each scenario runs in its own process so that its peak resident memory is its own. Figures are
printed, never asserted. The baseline, measured in the same run on the same candidates, is the
greedy rule many platforms use: take (application, reviewer) pairs by decreasing affinity while the
application still needs a reviewer and the reviewer has room (minimum loads ignored).

Scenarios:
  sparse      random affinities, a fixed number of random candidates per application (CSR)
  dense       every reviewer a candidate of every application (float matrix)
  correlated  dense, but every application prefers the same "popular" reviewers: the working set
              is not enough at first and the duality certificate has to add pairs
  gold        real self-rated expertise (../shared/data/review/goldstandard_evaluations.csv)
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pepiniere.engine.assignment import (  # noqa: E402
    Assignment,
    InfeasibleAssignment,
    assign_reviewers,
)

GOLD = ROOT.parent / "shared" / "data" / "review" / "goldstandard_evaluations.csv"
SCENARIOS = ("sparse", "dense", "correlated", "gold")


def sizes(quick: bool) -> dict[str, int]:
    if quick:
        return {"n": 1_000, "m": 200, "k": 3, "candidates": 50, "max_load": 20}
    return {"n": 10_000, "m": 2_000, "k": 3, "candidates": 100, "max_load": 20}


# --- instances ---------------------------------------------------------------------------------


def sparse_instance(n: int, m: int, candidates: int, seed: int = 0) -> sp.csr_array:
    rng = np.random.default_rng(seed)
    cols = np.sort(np.argpartition(rng.random((n, m)), candidates, axis=1)[:, :candidates], axis=1)
    indptr = np.arange(0, n * candidates + 1, candidates)
    return sp.csr_array((rng.random(n * candidates), cols.ravel(), indptr), shape=(n, m))


def dense_instance(n: int, m: int, *, correlated: bool, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if correlated:
        # Reviewer "quality" shared by all applications, plus a smaller personal fit.
        return rng.normal(size=m)[None, :] + 0.5 * rng.normal(size=(n, m))
    return rng.random((n, m))


# --- baseline ----------------------------------------------------------------------------------


def pairs_of(affinity: np.ndarray | sp.csr_array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if sp.issparse(affinity):
        coo = sp.coo_array(affinity)
        keep = ~np.isnan(coo.data)
        return coo.row[keep], coo.col[keep], coo.data[keep]
    keys = np.flatnonzero(~np.isnan(affinity))
    rows = keys // affinity.shape[1]
    return rows, keys - rows * affinity.shape[1], affinity.ravel()[keys]


def greedy(
    affinity: np.ndarray | sp.csr_array, k: int, max_load: int | np.ndarray
) -> tuple[float, int, float]:
    """Greedy by decreasing affinity. Returns (total, applications left short, seconds).

    Implemented to be fair to greedy: pairs are sorted in stages (the best few times n*k still
    usable pairs first, selected in linear time), and pairs that can no longer be taken (the
    application is served or the reviewer is full) are dropped in bulk before each sort.
    """
    start = time.perf_counter()
    rows, cols, values = pairs_of(affinity)
    n, m = affinity.shape
    need = np.full(n, k, dtype=np.int64)
    room = np.broadcast_to(np.asarray(max_load, dtype=np.int64), (m,)).copy()
    chosen: list[float] = []
    remaining = n * k
    live = np.arange(values.size)
    stage = max(4 * n * k, 1)
    while remaining and live.size:
        live = live[(need[rows[live]] > 0) & (room[cols[live]] > 0)]
        if live.size > stage:
            split = np.argpartition(-values[live], stage - 1)
            block, live = live[split[:stage]], live[split[stage:]]
        else:
            block, live = live, live[:0]
        block = block[np.argsort(-values[block], kind="stable")]
        for first in range(0, block.size, 1 << 16):
            part = block[first : first + (1 << 16)]
            part = part[(need[rows[part]] > 0) & (room[cols[part]] > 0)]
            for e in part.tolist():
                i, j = rows[e], cols[e]
                if need[i] and room[j]:
                    need[i] -= 1
                    room[j] -= 1
                    chosen.append(float(values[e]))
                    remaining -= 1
            if remaining == 0:
                break
        stage *= 2
    return math.fsum(chosen), int(np.count_nonzero(need)), time.perf_counter() - start


# --- reporting ---------------------------------------------------------------------------------


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # kB on Linux


def timed_assignment(affinity: object, k: int, max_load: int) -> tuple[Assignment, float, float]:
    """The assignment, its wall-clock seconds and its CPU seconds (this process)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = assign_reviewers(affinity, k, max_load)
    return result, time.perf_counter() - start, time.process_time() - cpu


def report_flow(name: str, affinity: np.ndarray | sp.csr_array, k: int, max_load: int) -> None:
    from pepiniere.engine.assignment import _candidates, _integer_costs

    n, m = affinity.shape
    rss_instance = peak_rss_gb()
    result, total, total_cpu = timed_assignment(affinity, k, max_load)
    rss_peak = peak_rss_gb()

    # Build = input -> eligible pairs and integer costs (timed apart); solve = the rest.
    start = time.perf_counter()
    candidates = _candidates(affinity, ())
    _integer_costs(candidates.values, n + m + 1)
    build = time.perf_counter() - start
    del candidates

    tracemalloc.start()
    again = assign_reviewers(affinity, k, max_load)
    traced_peak = tracemalloc.get_traced_memory()[1] / 1024**3
    tracemalloc.stop()

    greedy_total, greedy_short, greedy_time = greedy(affinity, k, max_load)
    print(f"\n== {name}: {n} applications x {m} reviewers, {k} reviews each, max load {max_load}")
    print(f"   candidate pairs        {result.candidate_pairs:>12,}")
    print(f"   build                  {build:>12.3f} s  (input -> eligible pairs + integer costs)")
    print(f"   solve                  {total - build:>12.3f} s  (flow, certificate)")
    print(
        f"   total                  {total:>12.3f} s  (CPU {total_cpu:.3f} s: wall minus waiting "
        "for a core on a busy machine)"
    )
    print(
        f"   peak RSS               {rss_peak:>12.2f} GB (process; {rss_instance:.2f} GB before "
        f"the call, instance included); numpy peak inside the call {traced_peak:.2f} GB"
    )
    print(
        f"   certificate            converged after {result.rounds} flow solve(s); "
        f"{result.arcs_solved:,} of {result.candidate_pairs:,} pairs in the final flow"
    )
    print(
        f"   total affinity         {result.total_affinity:>12.4f}  (optimal within "
        f"{result.optimality_gap_bound:.1e}; scale {result.scale:.3g})"
    )
    print(f"   same output twice      {again.pairs == result.pairs}")
    short = f", {greedy_short} applications left short" if greedy_short else ""
    print(f"   greedy baseline        {greedy_total:>12.4f}  in {greedy_time:.3f} s{short}")
    print(
        f"   optimal / greedy       total x{result.total_affinity / greedy_total:.4f}, "
        f"time x{total / greedy_time:.2f}"
    )


def run_gold() -> None:
    print("\n== gold: real self-rated expertise (goldstandard_evaluations.csv)")
    if not GOLD.exists():
        print(f"   skipped: {GOLD} is absent (../shared is not checked out next to the repo)")
        return
    with GOLD.open(newline="") as handle:
        table = list(csv.DictReader(handle, delimiter="\t"))
    papers: dict[str, int] = {}
    cells: list[tuple[int, int, float]] = []
    for researcher, row in enumerate(table):
        for slot in range(1, 11):
            paper, expertise = row[f"Paper{slot}"], row[f"Expertise{slot}"]
            if paper and expertise:
                cells.append((researcher, papers.setdefault(paper, len(papers)), float(expertise)))
    r, p, e = (np.array(column) for column in zip(*cells, strict=True))
    # Each researcher rated only the papers they chose (1-5, higher = more expert), and most papers
    # were rated by one researcher, so "each paper gets k reviewers" would be forced. The
    # meaningful question is the mirror one: give each researcher k papers to review, each paper
    # to at most one researcher, among the papers they rated.
    affinity = np.full((len(table), len(papers)), np.nan)
    affinity[r, p] = e
    print(
        f"   {len(table)} researchers, {len(papers)} papers, {len(cells)} ratings; each researcher"
        " gets k papers among those they rated, each paper goes to at most one researcher"
    )
    rng = np.random.default_rng(0)
    for k in (1, 2, 3):
        try:
            optimal, seconds, _ = timed_assignment(affinity, k, 1)
        except InfeasibleAssignment as error:
            print(f"   k={k}: infeasible: {error}")
            continue
        greedy_total, greedy_short, _ = greedy(affinity, k, 1)
        greedy_mean = greedy_total / (len(table) * k - greedy_short)
        random_means = []
        for _ in range(20):
            noise = np.where(np.isnan(affinity), np.nan, rng.random(affinity.shape))
            pairs = assign_reviewers(noise, k, 1).pairs
            random_means.append(np.mean([affinity[i, j] for i, j in pairs]))
        mean = optimal.total_affinity / len(optimal.pairs)
        short = f" ({greedy_short} researchers left short)" if greedy_short else ""
        print(
            f"   k={k}: mean expertise optimal {mean:.3f} | greedy {greedy_mean:.3f}{short} | "
            f"random feasible {np.mean(random_means):.3f} (20 draws) | solve {seconds * 1e3:.1f} ms"
        )


def run_scenario(name: str, quick: bool) -> None:
    size = sizes(quick)
    n, m, k, max_load = size["n"], size["m"], size["k"], size["max_load"]
    if name == "sparse":
        report_flow(
            f"sparse ({size['candidates']} random candidates per application, CSR)",
            sparse_instance(n, m, size["candidates"]),
            k,
            max_load,
        )
    elif name == "dense":
        report_flow(
            "dense (every reviewer a candidate, uniform affinities)",
            dense_instance(n, m, correlated=False),
            k,
            max_load,
        )
    elif name == "correlated":
        report_flow(
            "correlated dense (all applications prefer the same reviewers)",
            dense_instance(n, m, correlated=True),
            k,
            max_load,
        )
    elif name == "gold":
        run_gold()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    parser.add_argument("--scenario", choices=SCENARIOS, help="run one scenario in this process")
    args = parser.parse_args()
    if args.scenario:
        run_scenario(args.scenario, args.quick)
        return
    print(
        f"reviewer assignment benchmark ({'quick' if args.quick else 'full'}); "
        f"sizes {json.dumps(sizes(args.quick))}; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at start (wall-clock timings; CPU time shown too)"
    )
    for name in SCENARIOS:
        command = [sys.executable, __file__, "--scenario", name]
        subprocess.run(command + (["--quick"] if args.quick else []), check=True)


if __name__ == "__main__":
    main()
