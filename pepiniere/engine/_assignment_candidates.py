"""Eligible pairs and their integer costs: the input of every flow in reviewer assignment.

:func:`pepiniere.engine.assignment.assign_reviewers` accepts dense or sparse affinities and a list
of conflicts; everything after the input stage works on one representation, :class:`_Candidates`
(the eligible pairs in row-major order), and on the integer costs OR-Tools needs. Keeping this
conversion apart lets the solver, the optimality certificate and the infeasibility diagnosis share
it without depending on each other. Why the pairs are row-major, how the costs are scaled and how
exact they are is explained in the docstring of :mod:`pepiniere.engine.assignment`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

IntArray = NDArray[np.int64]

# Largest integer cost we ever hand to OR-Tools (see the docstring of pepiniere.engine.assignment).
_MAX_COST_CAP = 1 << 40
_MAX_COST_BUDGET = 1 << 60
# Pairs processed at once in array passes over the whole candidate set (see _chunks).
_CHUNK = 1 << 20


@dataclass(frozen=True)
class _Candidates:
    """Eligible pairs in row-major order (application, then reviewer)."""

    n_apps: int
    n_reviewers: int
    rows: NDArray[np.int32]
    cols: NDArray[np.int32]
    keys: IntArray  # rows * n_reviewers + cols: strictly increasing
    values: NDArray[np.float64]

    @property
    def count(self) -> int:
        return int(self.rows.size)


def _candidates(affinity: Any, conflicts: Iterable[tuple[int, int]]) -> _Candidates:
    if sp.issparse(affinity):
        return _sparse_candidates(affinity, conflicts)

    try:
        dense = np.asarray(affinity, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"affinity must be a numeric matrix: {error}") from None
    if dense.ndim != 2:
        raise ValueError(f"affinity must be 2-D (applications x reviewers), got {dense.shape}.")
    n, m = dense.shape
    if np.isinf(dense).any():
        i, j = np.argwhere(np.isinf(dense))[0]
        raise ValueError(
            f"affinity must be finite or NaN; affinity[{i}, {j}] is {dense[i, j]}. "
            "Use NaN for 'not a candidate'."
        )
    eligible = ~np.isnan(dense)
    conflict_pairs = _conflict_array(conflicts, n, m)
    if conflict_pairs.size:
        eligible[conflict_pairs[:, 0], conflict_pairs[:, 1]] = False
    # flatnonzero is an order of magnitude faster than a 2-D nonzero on millions of pairs.
    keys = np.flatnonzero(eligible)
    rows = np.repeat(np.arange(n, dtype=np.int32), eligible.sum(axis=1))
    cols = np.empty(keys.size, dtype=np.int32)
    for part in _chunks(keys.size):
        cols[part] = keys[part] - rows[part].astype(np.int64) * m
    values = dense.ravel() if keys.size == dense.size else dense.ravel()[keys]
    return _Candidates(n, m, rows, cols, keys, values)


def _sparse_candidates(affinity: Any, conflicts: Iterable[tuple[int, int]]) -> _Candidates:
    # ``affinity`` is any scipy.sparse matrix or array (typed Any: scipy-stubs narrow issparse()
    # to a bare ABC without shape, and have no csr_array overload for a sparse input and a dtype).
    if len(affinity.shape) != 2:
        raise ValueError(f"affinity must be 2-D, got shape {affinity.shape}.")
    csr = sp.csr_array(affinity, dtype=np.float64, copy=True)
    csr.sum_duplicates()  # canonical: sorted column indices, one entry per pair
    n, m = (int(s) for s in csr.shape)
    data = csr.data
    rows = np.repeat(np.arange(n, dtype=np.int32), np.diff(csr.indptr))
    cols = csr.indices.astype(np.int32, copy=False)
    _check_finite(data, rows, cols)
    keep = ~np.isnan(data)
    keys = rows.astype(np.int64) * m + cols
    conflict_pairs = _conflict_array(conflicts, n, m)
    if conflict_pairs.size:
        conflict_keys = conflict_pairs[:, 0] * m + conflict_pairs[:, 1]
        keep &= ~np.isin(keys, conflict_keys)
    return _Candidates(n, m, rows[keep], cols[keep], keys[keep], data[keep])


def _chunks(size: int) -> Iterator[slice]:
    """Slices of at most ``_CHUNK`` items covering ``range(size)``.

    Working chunk by chunk on millions of pairs keeps temporaries small enough for the allocator
    to reuse them: first-touching fresh pages of huge temporaries costs more than the arithmetic.
    """
    for start in range(0, size, _CHUNK):
        yield slice(start, min(start + _CHUNK, size))


def _check_finite(data: NDArray[np.float64], rows: NDArray[Any], cols: NDArray[Any]) -> None:
    infinite = np.flatnonzero(np.isinf(data))
    if infinite.size:
        e = int(infinite[0])
        raise ValueError(
            f"affinity must be finite or NaN; affinity[{rows[e]}, {cols[e]}] is {data[e]}. "
            "Leave the entry out (or use NaN) for 'not a candidate'."
        )


def _conflict_array(conflicts: Iterable[tuple[int, int]], n: int, m: int) -> IntArray:
    pairs = list(conflicts)
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    try:
        array = np.asarray(pairs)
    except ValueError:
        raise ValueError("conflicts must be (application, reviewer) pairs.") from None
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError("conflicts must be (application, reviewer) pairs.")
    if not np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_:
        raise ValueError(f"conflict indices must be integers, got {array.dtype}.")
    array = array.astype(np.int64)
    bad = (array[:, 0] < 0) | (array[:, 0] >= n) | (array[:, 1] < 0) | (array[:, 1] >= m)
    if bad.any():
        i, j = array[np.flatnonzero(bad)[0]]
        raise ValueError(
            f"conflict ({i}, {j}) is out of range for {n} applications x {m} reviewers."
        )
    return array


def _integer_costs(values: NDArray[np.float64], num_nodes: int) -> tuple[float, IntArray, bool]:
    """Return ``(scale, costs, exact)``: ``costs = rint((max - values) * scale)``, all >= 0.

    ``exact`` tells whether no rounding happened, i.e. every total of integer costs is exactly
    ``scale`` times the gap to the best conceivable total.
    """
    max_cost = min(_MAX_COST_CAP, _MAX_COST_BUDGET // (num_nodes + 2) ** 2)
    if max_cost < 1 << 10:
        raise ValueError(f"problem too large for exact integer costs ({num_nodes} nodes).")
    if values.size == 0:
        return 1.0, np.zeros(0, dtype=np.int64), True
    top = float(values.max())
    spread = top - float(values.min())
    if spread == 0:  # every feasible assignment has the same total
        return 1.0, np.zeros(values.size, dtype=np.int64), True
    # A power of two: multiplying by it is exact, and rounding is the only approximation.
    scale = 2.0 ** min(math.floor(math.log2(max_cost / spread)), 1000)
    costs = np.empty(values.size, dtype=np.int64)
    exact = math.isfinite(top * scale) and top * scale == round(top * scale)
    for part in _chunks(values.size):
        scaled = np.subtract(top, values[part])
        scaled *= scale
        costs[part] = np.rint(scaled)
        if exact:
            # Multiples of 1 / scale within max_cost of each other subtract exactly.
            on_grid = values[part] * scale
            exact = bool(np.all(on_grid == np.rint(on_grid)))
    return scale, costs, exact


def _sorted_unique(values: NDArray[Any]) -> NDArray[Any]:
    """np.unique without its hash-table detour, which is much slower on large integer arrays."""
    ordered = np.sort(values)
    if ordered.size == 0:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]
