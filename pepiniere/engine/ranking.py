"""Ranks with their uncertainty, and how much reviewers disagree.

A ranking page shows each application's rank together with the range of ranks it could plausibly
hold. Two sources of uncertainty are supported:

- ``rank_intervals``: point estimates with standard errors (e.g. from ``calibrate``), assumed to be
  independent normal errors;
- ``bootstrap_rank_intervals``: raw ratings without reviewer ids, where each application's ratings
  are resampled with replacement (the reviewers an application happened to get are treated as a
  sample from the reviewers it could have got).

Rank rule, used everywhere in this module: a higher score is better and gets a smaller rank (1 is
best); equal scores share the best of their ranks (competition ranking, "1224"), so a tie never
pushes an application below an equal one by an arbitrary id order. The same rule applies inside
every Monte-Carlo draw.

Interval rule: the interval of an application is the central ``level`` range of its simulated
ranks (lower quantile rounded down, upper rounded up, so the coverage is at least ``level``),
widened if needed to include its point rank. The widening is a display convention: with many
near-equal competitors the simulated ranks of a leader can all lie below its point rank, and a page
must never print a rank outside its own interval.

Determinism: results depend only on the data, ``level``, ``draws`` and ``seed``, not on the order
of the mapping, because applications are put in a canonical order before drawing.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata

__all__ = [
    "bootstrap_rank_intervals",
    "canonical_order",
    "disagreement",
    "point_ranks",
    "rank_intervals",
]

# Draws are simulated in blocks of at most this many cells, to bound memory on large calls.
_BLOCK_CELLS = 4_000_000


def canonical_order[T: Hashable](ids: Iterable[T]) -> list[T]:
    """Return the distinct ids in an order that does not depend on the input order.

    Numbers sort numerically, then strings, then tuples (element by element), then anything else
    by type name and ``repr``. Two distinct objects of the same type with the same ``repr`` keep
    their input order; that is the only case where the order depends on the input.
    """
    return sorted(dict.fromkeys(ids), key=_sort_key)


def _sort_key(value: object) -> tuple[Any, ...]:
    if isinstance(value, str):
        return (1, value)
    if type(value) is int or (isinstance(value, numbers.Real | Decimal) and not _is_nan(value)):
        return (0, value)
    if isinstance(value, tuple):
        return (2, tuple(_sort_key(item) for item in value))
    kind = type(value)
    return (3, f"{kind.__module__}.{kind.__qualname__}", repr(value))


def _is_nan(value: numbers.Real | Decimal) -> bool:
    try:
        return math.isnan(value)
    except (TypeError, ValueError):
        return True


def point_ranks[K: Hashable](estimates: Mapping[K, float]) -> dict[K, int]:
    """Rank of each estimate, 1 = highest; equal estimates share the best rank ("1224")."""
    ids, values = _values(estimates, "estimate")
    if not ids:
        return {}
    ranks = _competition_ranks(values[np.newaxis, :])[0]
    return {id_: int(rank) for id_, rank in zip(ids, ranks, strict=True)}


def rank_intervals[K: Hashable](
    estimates: Mapping[K, float],
    std_errors: Mapping[K, float],
    *,
    level: float = 0.9,
    draws: int = 2000,
    seed: int = 0,
) -> dict[K, tuple[int, int]]:
    """Best..worst plausible rank of each application, by Monte-Carlo.

    Model: the true score of application i is ``N(estimates[i], std_errors[i]**2)``, independently
    of the others. Each draw ranks one simulated set of true scores; the interval is the central
    ``level`` range of an application's ranks (see the module docstring for the exact rule).

    Independence is an approximation for calibrated scores, whose errors are slightly correlated
    through the shared reviewer biases; it ignores the correlation rather than inventing one.
    A standard error of 0 means the score is known exactly.
    """
    _check_level_and_draws(level, draws)
    ids, values = _values(estimates, "estimate")
    if set(std_errors) != set(estimates):
        missing = [i for i in ids if i not in std_errors]
        extra = [i for i in std_errors if i not in estimates]
        raise ValueError(
            "estimates and std_errors must have the same applications"
            f" (missing std_error: {missing[:5]!r}, std_error without estimate: {extra[:5]!r})"
        )
    errors = np.array([_real(std_errors[i], "std_error", i) for i in ids], dtype=float)
    if np.any(errors < 0):
        bad = ids[int(np.argmax(errors < 0))]
        raise ValueError(f"std_error of {bad!r} is negative ({std_errors[bad]!r})")
    if not ids:
        return {}
    rng = np.random.default_rng(seed)

    def simulate(count: int) -> NDArray[np.float64]:
        return values + errors * rng.standard_normal((count, len(ids)))

    return _intervals(ids, values, simulate, level=level, draws=draws)


def bootstrap_rank_intervals[K: Hashable](
    ratings: Mapping[K, Sequence[float | Decimal]],
    *,
    level: float = 0.9,
    draws: int = 2000,
    seed: int = 0,
) -> dict[K, tuple[int, int]]:
    """Best..worst plausible rank of each application by resampling its ratings.

    For data without reviewer ids (so no calibration is possible): in each draw, every
    application's k ratings are replaced by k ratings drawn with replacement from them, and the
    applications are ranked by the mean of their resampled ratings. The point rank is the rank of
    the observed mean. Assumes an application's ratings are exchangeable draws from the reviewers
    it could have been given; an application with a single rating therefore looks certain, so read
    its interval together with its number of ratings.
    """
    _check_level_and_draws(level, draws)
    ids = canonical_order(ratings)
    samples: list[NDArray[np.float64]] = []
    for id_ in ids:
        row = np.array([_real(r, "rating", id_) for r in ratings[id_]], dtype=float)
        if row.size == 0:
            raise ValueError(f"application {id_!r} has no ratings")
        samples.append(row)
    if not ids:
        return {}
    means = np.array([row.mean() for row in samples])
    # Applications with the same number of ratings are resampled together, one array per size.
    by_size: dict[int, list[int]] = {}
    for column, row in enumerate(samples):
        by_size.setdefault(row.size, []).append(column)
    blocks = [
        (np.array(columns), np.stack([samples[c] for c in columns]))
        for size, columns in sorted(by_size.items())
    ]
    rng = np.random.default_rng(seed)

    def simulate(count: int) -> NDArray[np.float64]:
        out = np.empty((count, len(ids)))
        for columns, matrix in blocks:
            n_apps, size = matrix.shape
            picks = rng.integers(0, size, size=(count, n_apps, size))
            out[:, columns] = np.take_along_axis(
                np.broadcast_to(matrix, (count, n_apps, size)), picks, axis=2
            ).mean(axis=2)
        return out

    return _intervals(ids, means, simulate, level=level, draws=draws)


def disagreement(scores: Iterable[float | Decimal]) -> float:
    """How much the reviewers of one application disagree: the sample standard deviation.

    Uses the n - 1 denominator; a single score gives 0 (nobody to disagree with). On a 0-5 scale a
    value above about 1.25 (a quarter of the scale) means the reviewers saw different applications.
    """
    values = np.array([_real(s, "score", None) for s in scores], dtype=float)
    if values.size == 0:
        raise ValueError("disagreement needs at least one score")
    if values.size == 1:
        return 0.0
    return float(values.std(ddof=1))


def _intervals[K: Hashable](
    ids: list[K],
    point_values: NDArray[np.float64],
    simulate: Callable[[int], NDArray[np.float64]],
    *,
    level: float,
    draws: int,
) -> dict[K, tuple[int, int]]:
    n = len(ids)
    ranks = np.empty((draws, n), dtype=np.int32)
    block = max(1, _BLOCK_CELLS // n)
    for start in range(0, draws, block):
        count = min(block, draws - start)
        ranks[start : start + count] = _competition_ranks(simulate(count))
    tail = (1.0 - level) / 2.0
    lower = np.quantile(ranks, tail, axis=0, method="lower").astype(int)
    upper = np.quantile(ranks, 1.0 - tail, axis=0, method="higher").astype(int)
    point = _competition_ranks(point_values[np.newaxis, :])[0]
    lower = np.minimum(lower, point)
    upper = np.maximum(upper, point)
    return {i: (int(lo), int(hi)) for i, lo, hi in zip(ids, lower, upper, strict=True)}


def _competition_ranks(values: NDArray[np.float64]) -> NDArray[np.int32]:
    # Negated so that the highest value gets rank 1; "min" gives ties their best rank.
    return np.asarray(rankdata(-values, method="min", axis=1), dtype=np.int32)


def _values[K: Hashable](
    estimates: Mapping[K, float], what: str
) -> tuple[list[K], NDArray[np.float64]]:
    ids = canonical_order(estimates)
    return ids, np.array([_real(estimates[i], what, i) for i in ids], dtype=float)


def _real(value: object, what: str, id_: Hashable | None) -> float:
    where = "" if id_ is None else f" of {id_!r}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        raise ValueError(f"{what}{where} is {value!r}, not a number")
    number = float(value) if not (isinstance(value, Decimal) and value.is_snan()) else math.nan
    if not math.isfinite(number):
        raise ValueError(f"{what}{where} is {value!r}, not a finite number")
    return number


def _check_level_and_draws(level: float, draws: int) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (exclusive), got {level!r}")
    if isinstance(draws, bool) or not isinstance(draws, numbers.Integral) or draws < 1:
        raise ValueError(f"draws must be a positive integer, got {draws!r}")
