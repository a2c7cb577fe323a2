"""Reviewer assignment as an exact min-cost flow.

Model
-----
Applications ``i`` and reviewers ``j`` form a bipartite graph whose edges are the *eligible* pairs:
the affinity is known (not NaN; for a sparse matrix, the entry is stored) and ``(i, j)`` is not a
declared conflict. We choose ``x_ij`` in {0, 1} on eligible pairs to

    maximise   sum_ij affinity_ij * x_ij
    subject to sum_j x_ij = k                        for every application (k distinct reviewers)
               min_load_j <= sum_i x_ij <= max_load_j  for every reviewer

This is a min-cost flow: every application node supplies ``k`` units, each eligible pair is an arc
application -> reviewer of capacity 1 and cost ``-affinity`` (made integer, see below), and every
reviewer has an arc to one sink node. The reviewer lower bound is removed by the standard lower-bound
transformation: the reviewer node gets a demand of ``min_load_j``, its arc to the sink the capacity
``max_load_j - min_load_j`` and the sink a demand of ``n * k - sum(min_load)``. The constraint matrix
is totally unimodular, so the integral optimum OR-Tools' cost-scaling push-relabel finds
(``SimpleMinCostFlow``) is also the optimum of the linear relaxation.

Integer costs and tolerance
---------------------------
OR-Tools needs integer costs. Affinities are shifted (every application gets exactly ``k``
reviewers, so adding a constant changes every feasible total by the same amount) and scaled:
``cost = rint((max_affinity - affinity) * scale)`` with ``scale`` a power of two chosen so that the
largest cost is at most ``min(2**40, 2**60 // (nodes + 2)**2)``. OR-Tools multiplies costs by
``nodes + 1`` internally and its node potentials can reach about ``nodes`` times that, so nothing
can overflow int64 (on the benchmark's 12 001 nodes this leaves costs up to about ``2**32``).
Affinities that are multiples of ``1 / scale`` (integers, halves, quarters...) are represented
exactly and the result is exactly optimal (``Assignment.optimality_gap_bound == 0``). Otherwise
each pair is off by at most ``0.5 / scale``, so the returned total is at most
``optimality_gap_bound = n * k / scale`` below the true optimum: about ``n * k * affinity_range *
2**-32`` on the benchmark, far below any meaningful difference between assignments.

Large candidate sets: working set and duality certificate
---------------------------------------------------------
When there are many more candidates than needed (e.g. every reviewer is a candidate of every
application), the flow is solved on a *working set*: the ``L`` best candidates of each application
(``L = 2k + 4`` by default) and the ``L'`` best of each reviewer (``L' = max(4, 2 * average load,
2 * largest min_load)``). It is used from 100 000 candidate pairs on, when the candidates are more
than three times the working set. Optimality on the whole candidate set is then *proved* with LP duality:
shortest-path distances ``d`` in the residual network of the working-set solution (computed exactly
on the integer costs with a Bellman-Ford that only relaxes arcs leaving nodes whose distance just
changed) are node potentials under which every residual arc has a non-negative reduced cost. If
every excluded pair also has ``cost_ij + d(i) - d(j) >= 0``, the full residual network has no
negative cycle and the solution is optimal for the whole candidate set (exactly, for the integer
costs). Otherwise the violating pairs are added (the most negative first, at most ``L`` per
application) and the flow is solved again; when the working set itself is infeasible, ``L`` is
doubled. Every round adds at least one pair, so the loop ends, at worst with the whole candidate
set. ``Assignment.rounds`` counts the flow solves.

Infeasibility
-------------
When no assignment exists, :class:`InfeasibleAssignment` explains why, in words an officer can act
on: applications with fewer eligible reviewers than ``k``; reviewers with fewer eligible
applications than their minimum load; total capacity or total minimum load out of balance;
otherwise a Hall-type shortage read from a minimum cut (the smallest set of applications whose
eligible reviewers cannot give them enough reviews, or of reviewers whose eligible applications
cannot give them their minimum loads). For bipartite degree-constrained subgraphs the two one-sided
conditions together are sufficient (linking property), so one of the two cuts always finds the
shortage.

Determinism: the same input gives the same output (no randomness, stable orderings, OR-Tools is
deterministic for a given arc order). Pairs are always given to the solver in row-major order, so a
dense matrix and its sparse equivalent give the same assignment.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

# Private helpers live in _assignment_*.py modules (see their docstrings); the names used outside
# this module (bench/assignment.py) are re-exported with "as" so that they stay importable here.
from pepiniere.engine._assignment_candidates import IntArray, _Candidates, _sorted_unique
from pepiniere.engine._assignment_candidates import _candidates as _candidates
from pepiniere.engine._assignment_candidates import _integer_costs as _integer_costs
from pepiniere.engine._assignment_certificate import _potentials, _violations
from pepiniere.engine._assignment_diagnosis import InfeasibleAssignment as InfeasibleAssignment
from pepiniere.engine._assignment_diagnosis import (
    _diagnose,
    _list_indices,
    _plural,
    _raise_if_obviously_infeasible,
)

__all__ = ["Assignment", "InfeasibleAssignment", "assign_reviewers"]

# Below this many candidate pairs the whole set is solved directly: pruning would not pay off.
_PRUNE_MIN_CANDIDATES = 100_000


@dataclass(frozen=True, eq=False)
class Assignment:
    """An optimal assignment.

    ``pairs`` are ``(application, reviewer)`` index pairs sorted by application then reviewer;
    ``loads[j]`` is the number of applications given to reviewer ``j``; ``total_affinity`` is the
    exact (``math.fsum``) sum of the affinities of the pairs. No assignment has a total larger than
    ``total_affinity + optimality_gap_bound``; the bound is 0 when the integer costs are exact
    (affinities on a grid of ``1 / scale``: integers, halves, quarters..., or all equal).
    ``candidate_pairs`` counts eligible pairs, ``arcs_solved`` the pairs in the final flow network
    and ``rounds`` the flow solves (1 when the first solve was certified optimal, 0 when there was
    nothing to assign).
    """

    pairs: list[tuple[int, int]]
    loads: IntArray
    total_affinity: float
    scale: float
    optimality_gap_bound: float
    candidate_pairs: int
    arcs_solved: int
    rounds: int


def assign_reviewers(
    affinity: Any,
    reviews_per_application: int,
    max_load: int | Sequence[int] | NDArray[np.integer[Any]],
    min_load: int | Sequence[int] | NDArray[np.integer[Any]] = 0,
    conflicts: Iterable[tuple[int, int]] = (),
    *,
    working_set_per_application: int | None = None,
) -> Assignment:
    """Give every application exactly ``reviews_per_application`` distinct reviewers, optimally.

    ``affinity`` is an ``(n_applications, n_reviewers)`` numpy array (NaN = not a candidate) or any
    scipy.sparse matrix/array (entries not stored = not a candidate; stored zeros are candidates
    with affinity 0; duplicate entries are summed as scipy does). Affinities may be negative.
    ``max_load`` and ``min_load`` are an integer or one integer per reviewer. ``conflicts`` are
    ``(application, reviewer)`` pairs that are never assigned (duplicates are fine).

    ``working_set_per_application`` tunes the size of the working set used on large candidate sets
    (see the module docstring); ``None`` chooses it from ``k`` and the average load, and solves
    small problems directly. It never changes the optimum, only the time taken.

    Raises ``ValueError`` for malformed input and :class:`InfeasibleAssignment` (a ``ValueError``)
    when no assignment exists.
    """
    k = _validate_k(reviews_per_application)
    candidates = _candidates(affinity, conflicts)
    n, m = candidates.n_apps, candidates.n_reviewers
    upper = _load_vector("max_load", max_load, m)
    lower = _load_vector("min_load", min_load, m)
    too_low = np.flatnonzero(lower > upper)
    if too_low.size:
        j = int(too_low[0])
        raise ValueError(
            f"min_load exceeds max_load for {_plural(too_low.size, 'reviewer')} "
            f"({_list_indices(too_low)}); reviewer {j} has min_load {lower[j]} > "
            f"max_load {upper[j]}."
        )
    if working_set_per_application is not None and (
        not _is_int(working_set_per_application) or working_set_per_application < 1
    ):
        raise ValueError(
            "working_set_per_application must be a positive integer or None, "
            f"got {working_set_per_application!r}."
        )

    app_degree = np.bincount(candidates.rows, minlength=n).astype(np.int64)
    reviewer_degree = np.bincount(candidates.cols, minlength=m).astype(np.int64)
    # A reviewer can never take more applications than it is eligible for: clamping keeps
    # capacities small (no int64 overflow with "unlimited" loads) and makes messages exact.
    upper = np.minimum(upper, reviewer_degree)
    _raise_if_obviously_infeasible(k, app_degree, reviewer_degree, lower, upper)

    if n * k == 0:
        return Assignment(
            pairs=[],
            loads=np.zeros(m, dtype=np.int64),
            total_affinity=0.0,
            scale=1.0,
            optimality_gap_bound=0.0,
            candidate_pairs=candidates.count,
            arcs_solved=0,
            rounds=0,
        )

    scale, costs, exact = _integer_costs(candidates.values, n + m + 1)
    chosen, arcs_solved, rounds = _solve(
        candidates, costs, k, lower, upper, app_degree, reviewer_degree, working_set_per_application
    )
    rows = candidates.rows[chosen]
    cols = candidates.cols[chosen]
    return Assignment(
        pairs=list(zip(rows.tolist(), cols.tolist(), strict=True)),
        loads=np.bincount(cols, minlength=m).astype(np.int64),
        total_affinity=math.fsum(candidates.values[chosen].tolist()),
        scale=scale,
        optimality_gap_bound=0.0 if exact else n * k / scale,
        candidate_pairs=candidates.count,
        arcs_solved=arcs_solved,
        rounds=rounds,
    )


# --- input ------------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _validate_k(k: object) -> int:
    if not _is_int(k):
        raise ValueError(f"reviews_per_application must be an integer, got {k!r}.")
    value = operator.index(k)  # type: ignore[arg-type]
    if value < 0:
        raise ValueError(f"reviews_per_application must be >= 0, got {value}.")
    return value


def _load_vector(name: str, value: object, m: int) -> IntArray:
    array = np.asarray(value)
    if array.ndim == 0:
        array = np.full(m, array)
    if array.shape != (m,):
        raise ValueError(
            f"{name} must be an integer or have one value per reviewer ({m}), "
            f"got shape {np.asarray(value).shape}."
        )
    if array.size and not (
        np.issubdtype(array.dtype, np.integer)
        or (
            np.issubdtype(array.dtype, np.floating)
            and np.all(np.isfinite(array))
            and np.all(array == np.round(array))
        )
    ):
        raise ValueError(f"{name} must hold integers, got {array!r}.")
    loads = array.astype(np.int64)
    negative = np.flatnonzero(loads < 0)
    if negative.size:
        raise ValueError(
            f"{name} must be >= 0; negative for reviewer(s) {_list_indices(negative)}."
        )
    return loads


# --- solving ----------------------------------------------------------------------------------


def _solve(
    candidates: _Candidates,
    costs: IntArray,
    k: int,
    lower: IntArray,
    upper: IntArray,
    app_degree: IntArray,
    reviewer_degree: IntArray,
    working_set_per_application: int | None,
) -> tuple[IntArray, int, int]:
    """Return (chosen candidate indices, arcs in the last flow, number of flow solves)."""
    n, m = candidates.n_apps, candidates.n_reviewers
    total = candidates.count
    if working_set_per_application is None:
        per_app = 2 * k + 4
        per_reviewer = max(4, 2 * math.ceil(n * k / max(m, 1)), 2 * int(lower.max(initial=0)))
        prune = total >= _PRUNE_MIN_CANDIDATES and total > 3 * (n * per_app + m * per_reviewer)
    else:
        per_app = per_reviewer = working_set_per_application
        prune = True
    prune = prune and (
        per_app < int(app_degree.max(initial=0))
        or per_reviewer < int(reviewer_degree.max(initial=0))
    )

    if prune:
        working = _initial_working_set(candidates, costs, per_app, per_reviewer)
    else:
        working = np.arange(total, dtype=np.int64)

    rounds = 0
    while True:
        rounds += 1
        solution = _solve_flow(candidates, costs, working, k, lower, upper)
        if solution is None:
            if working.size == total:
                raise _diagnose(candidates, k, lower, upper)
            per_app *= 2
            per_reviewer *= 2
            grown = _initial_working_set(candidates, costs, per_app, per_reviewer)
            working = _union(total, working, grown)
            continue
        arc_flow, reviewer_flow = solution
        if working.size == total:
            return working[arc_flow > 0], int(working.size), rounds
        potentials = _potentials(candidates, costs, working, arc_flow, reviewer_flow, lower, upper)
        violating, reduced = _violations(candidates, costs, working, potentials)
        if violating.size == 0:
            return working[arc_flow > 0], int(working.size), rounds
        # Most negative first, at most per_app per application: enough to fix real improvements
        # without flooding the working set when the potentials are merely loose.
        violating_rows = candidates.rows[violating].astype(np.int64)
        order = np.lexsort((reduced, violating_rows))
        ranked_rows = violating_rows[order]
        first = np.searchsorted(ranked_rows, ranked_rows, side="left")
        keep = order[np.arange(order.size) - first < per_app]
        working = _union(total, working, violating[keep])


def _solve_flow(
    candidates: _Candidates,
    costs: IntArray,
    working: IntArray,
    k: int,
    lower: IntArray,
    upper: IntArray,
) -> tuple[IntArray, IntArray] | None:
    """Min-cost flow on the working set; (flow per working pair, flow per reviewer arc) or None."""
    n, m = candidates.n_apps, candidates.n_reviewers
    sink = n + m
    reviewers = np.arange(n, n + m, dtype=np.int32)
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([candidates.rows[working], reviewers]),
        np.concatenate([candidates.cols[working] + np.int32(n), np.full(m, sink, np.int32)]),
        np.concatenate([np.ones(working.size, np.int64), upper - lower]),
        np.concatenate([costs[working], np.zeros(m, np.int64)]),
    )
    supplies = np.concatenate([np.full(n, k, np.int64), -lower, [-(n * k - int(lower.sum()))]])
    solver.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int32), supplies.astype(np.int64))
    status = solver.solve()
    if status == solver.INFEASIBLE:
        return None
    if status != solver.OPTIMAL:  # pragma: no cover - costs and capacities are range-checked
        raise RuntimeError(f"OR-Tools min-cost flow failed with status {status}.")
    flows = np.asarray(solver.flows(np.arange(working.size + m, dtype=np.int32)), np.int64)
    return flows[: working.size], flows[working.size :]


def _initial_working_set(
    candidates: _Candidates, costs: IntArray, per_app: int, per_reviewer: int
) -> IntArray:
    """The ``per_app`` cheapest candidates of each application and ``per_reviewer`` of each
    reviewer (indices into the candidates, ascending)."""
    n, m = candidates.n_apps, candidates.n_reviewers
    if per_app >= m and per_reviewer >= n:
        return np.arange(candidates.count, dtype=np.int64)
    if n * m <= 4 * candidates.count + (1 << 20):
        # Dense enough: partition a cost grid, with non-candidates as the most expensive cells.
        absent = np.iinfo(np.int64).max
        if candidates.count == n * m:
            grid = costs.reshape(n, m)
        else:
            cells = np.full(n * m, absent, dtype=np.int64)
            cells[candidates.keys] = costs
            grid = cells.reshape(n, m)
        chosen: list[IntArray] = []
        if per_app < m:
            best = np.argpartition(grid, per_app - 1, axis=1)[:, :per_app]
            chosen.append((np.arange(n, dtype=np.int64)[:, None] * m + best).ravel())
        else:
            chosen.append(candidates.keys)
        if per_reviewer < n:
            best = np.argpartition(grid, per_reviewer - 1, axis=0)[:per_reviewer]
            chosen.append((best * m + np.arange(m, dtype=np.int64)[None, :]).ravel())
        else:
            chosen.append(candidates.keys)
        keys = _sorted_unique(np.concatenate(chosen))
        keys = keys[grid.ravel()[keys] != absent]
        positions: IntArray = np.searchsorted(candidates.keys, keys).astype(np.int64)
        return positions
    # Sparse: partition within each application (candidates are stored by application) and
    # within each reviewer (grouped by a stable sort; a 16-bit key lets numpy use radix sort).
    app_starts = np.searchsorted(candidates.rows, np.arange(n + 1))
    by_app = np.arange(candidates.count, dtype=np.int64)
    key = candidates.cols.astype(np.uint16) if m <= 1 << 16 else candidates.cols
    by_reviewer = np.argsort(key, kind="stable").astype(np.int64)
    reviewer_starts = np.concatenate([[0], np.cumsum(np.bincount(candidates.cols, minlength=m))])
    return _union(
        candidates.count,
        _cheapest_per_group(costs, by_app, app_starts, per_app),
        _cheapest_per_group(costs, by_reviewer, reviewer_starts, per_reviewer),
    )


def _cheapest_per_group(
    costs: IntArray, members: IntArray, starts: NDArray[Any], limit: int
) -> IntArray:
    """The ``limit`` cheapest of each group; group g is ``members[starts[g]:starts[g + 1]]``."""
    lengths = np.diff(starts)
    groups = lengths.size
    if groups == 0 or limit >= int(lengths.max()):
        return members
    width = int(lengths.max())
    position = np.arange(members.size, dtype=np.int64) - np.repeat(starts[:-1], lengths)
    group_of = np.repeat(np.arange(groups, dtype=np.int64), lengths)
    if groups * width <= 4 * members.size + (1 << 20):
        padded = np.full(groups * width, np.iinfo(np.int64).max, dtype=np.int64)
        padded[group_of * width + position] = costs[members]
        best = np.argpartition(padded.reshape(groups, width), limit - 1, axis=1)[:, :limit]
        real = best < lengths[:, None]
        selected: IntArray = members[(starts[:-1, None] + best)[real]]
        return selected
    # Very uneven groups: a padded matrix would be mostly padding, rank by sorting instead.
    order = np.lexsort((costs[members], group_of))
    ranked: IntArray = members[order[position < limit]]
    return ranked


def _union(size: int, *index_arrays: IntArray) -> IntArray:
    """Sorted union of index arrays in ``range(size)`` (a mask beats np.union1d here)."""
    member = np.zeros(size, dtype=bool)
    for indices in index_arrays:
        member[indices] = True
    return np.flatnonzero(member).astype(np.int64)
