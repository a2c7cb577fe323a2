"""How uncertain is a ranking by mean rating? ICLR 2021 reviews as a real-world check.

Run from the repository root: ``.venv/bin/python bench/iclr_uncertainty.py``. Reads
``../shared/data/review/iclr2021_ratings.tsv`` (2 966 submissions, ratings 1-10 without reviewer
ids, final decision); prints a skip message and exits 0 when it is absent.

Prints the AUC of the mean rating separating accepted from rejected papers, then, with
``bootstrap_rank_intervals`` at 90 % among decided papers, how many have a rank interval that
crosses the acceptance line (the line = the number of accepted papers: an interval crosses it when
it holds both a rank inside the accepted block and one outside).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

# See bench/calibration.py: one BLAS thread keeps timings about our code, not the neighbours.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy.stats import rankdata  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pepiniere.engine.ranking import bootstrap_rank_intervals, disagreement  # noqa: E402

DATA = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "review"
    / "iclr2021_ratings.tsv"
)


def read_decided(path: Path) -> tuple[dict[str, list[float]], dict[str, bool], int]:
    """Ratings and accept flag of decided papers; also how many rows were left out as undecided.

    Columns: ``paper_id``, ``0`` .. ``5`` (one rating per column, blank when fewer reviews),
    ``decision`` ("Accept (Oral|Spotlight|Poster)", "Reject" or "Unknown" = withdrawn or
    undecided, left out).
    """
    ratings: dict[str, list[float]] = {}
    accepted: dict[str, bool] = {}
    undecided = 0
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        rating_columns = [c for c in reader.fieldnames or () if c.isdigit()]
        for row in reader:
            decision = row["decision"].strip()
            if not (decision.startswith("Accept") or decision == "Reject"):
                undecided += 1
                continue
            values = [float(row[c]) for c in rating_columns if row[c].strip()]
            ratings[row["paper_id"]] = values
            accepted[row["paper_id"]] = decision.startswith("Accept")
    return ratings, accepted, undecided


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Probability that a random positive outscores a random negative, ties counting half."""
    ranks = rankdata(scores)  # average ranks handle ties
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--level", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"SKIP: {DATA} not found (the shared reference data is not checked out here).")
        return 0

    start = time.perf_counter()
    ratings, accepted, undecided = read_decided(DATA)
    ids = list(ratings)
    means = np.array([np.mean(ratings[i]) for i in ids])
    is_accepted = np.array([accepted[i] for i in ids])
    line = int(is_accepted.sum())
    counts = np.array([len(ratings[i]) for i in ids])
    print(
        f"ICLR 2021: {len(ids)} decided papers ({line} accepted, {len(ids) - line} rejected;"
        f" {undecided} withdrawn/undecided left out), {counts.sum()} ratings,"
        f" {counts.min()}-{counts.max()} per paper"
    )
    print(f"  AUC of the mean rating, accepted vs rejected: {auc(means, is_accepted):.3f}")
    spread = np.array([disagreement(ratings[i]) for i in ids])
    print(
        f"  reviewer disagreement (sd of a paper's ratings): median {np.median(spread):.2f},"
        f" {np.mean(spread > 1.5):.0%} of papers above 1.5 points"
    )

    intervals_start = time.perf_counter()
    intervals = bootstrap_rank_intervals(
        ratings, level=args.level, draws=args.draws, seed=args.seed
    )
    intervals_time = time.perf_counter() - intervals_start
    crossing = [i for i in ids if intervals[i][0] <= line < intervals[i][1]]
    crossing_accepted = sum(accepted[i] for i in crossing)
    widths = np.array([intervals[i][1] - intervals[i][0] + 1 for i in ids])
    print(
        f"  bootstrap rank intervals ({args.level:.0%}, {args.draws} draws, ratings resampled"
        f" per paper, ties share the best rank):"
    )
    print(
        f"    acceptance line at rank {line}: {len(crossing)} of {len(ids)} decided papers"
        f" ({len(crossing) / len(ids):.1%}) have an interval crossing it"
        f" ({crossing_accepted} accepted, {len(crossing) - crossing_accepted} rejected)"
    )
    print(f"    median interval width {np.median(widths):.0f} ranks (expected share about 46 %)")
    total = time.perf_counter() - start
    print(f"  time: bootstrap {intervals_time:.2f} s, whole benchmark {total:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
