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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from ortools.graph.python import max_flow, min_cost_flow

__all__ = ["Assignment", "InfeasibleAssignment", "assign_reviewers"]

IntArray = NDArray[np.int64]

# Largest integer cost we ever hand to OR-Tools (see the module docstring for why).
_MAX_COST_CAP = 1 << 40
_MAX_COST_BUDGET = 1 << 60
# Below this many candidate pairs the whole set is solved directly: pruning would not pay off.
_PRUNE_MIN_CANDIDATES = 100_000
# Pairs processed at once in array passes over the whole candidate set (see _chunks).
_CHUNK = 1 << 20
# Indices listed in a message before "... (N in all)".
_MESSAGE_LIST_LIMIT = 20


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


class InfeasibleAssignment(ValueError):
    """No assignment meets the constraints.

    ``applications`` lists the applications (indices, ascending) that cannot get their reviews,
    ``reviewers`` the reviewers that cannot reach their minimum load (either may be empty when the
    shortage is global) and ``missing`` the number of reviews that cannot be provided (the largest
    of the shortfalls named in the message).
    """

    def __init__(
        self,
        message: str,
        *,
        applications: Sequence[int] = (),
        reviewers: Sequence[int] = (),
        missing: int,
    ) -> None:
        super().__init__(message)
        self.applications = [int(i) for i in applications]
        self.reviewers = [int(j) for j in reviewers]
        self.missing = int(missing)


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


# --- infeasibility ----------------------------------------------------------------------------


def _raise_if_obviously_infeasible(
    k: int,
    app_degree: IntArray,
    reviewer_degree: IntArray,
    lower: IntArray,
    upper: IntArray,
) -> None:
    n = app_degree.size
    needed = n * k
    reasons: list[str] = []
    shortfalls: list[int] = []
    applications: list[int] = []
    reviewers: list[int] = []

    short_apps = np.flatnonzero(app_degree < k)
    if short_apps.size:
        missing = int((k - app_degree[short_apps]).sum())
        details = ", ".join(
            f"application {i} has {app_degree[i]}" for i in short_apps[:_MESSAGE_LIST_LIMIT]
        )
        if short_apps.size > _MESSAGE_LIST_LIMIT:
            details += f", ... ({short_apps.size} in all)"
        reasons.append(
            f"{_plural(short_apps.size, 'application')} {_have(short_apps.size)} fewer eligible "
            f"reviewers than the {_plural(k, 'review')} each needs ({details}; non-candidates and "
            f"conflicts excluded): {_plural(missing, 'review')} missing."
        )
        shortfalls.append(missing)
        applications = short_apps.tolist()

    short_reviewers = np.flatnonzero(reviewer_degree < lower)
    if short_reviewers.size:
        missing = int((lower - reviewer_degree)[short_reviewers].sum())
        details = ", ".join(
            f"reviewer {j} has a minimum load of {lower[j]} but "
            f"{_plural(int(reviewer_degree[j]), 'eligible application')}"
            for j in short_reviewers[:_MESSAGE_LIST_LIMIT]
        )
        if short_reviewers.size > _MESSAGE_LIST_LIMIT:
            details += f", ... ({short_reviewers.size} in all)"
        reasons.append(
            f"{_plural(short_reviewers.size, 'reviewer')} cannot reach {_their(short_reviewers)} "
            f"minimum load ({details}): {_plural(missing, 'review')} missing."
        )
        shortfalls.append(missing)
        reviewers = short_reviewers.tolist()

    capacity = int(upper.sum())
    if capacity < needed:
        missing = needed - capacity
        reasons.append(
            f"The reviewers can take at most {_plural(capacity, 'review')} in total (their "
            f"maximum loads, each limited to the applications the reviewer is eligible for), "
            f"but {_plural(n, 'application')} x {_plural(k, 'review')} = {needed} are needed: "
            f"{_plural(missing, 'review')} missing."
        )
        shortfalls.append(missing)

    minimum = int(lower.sum())
    if minimum > needed:
        excess = minimum - needed
        reasons.append(
            f"The minimum loads add up to {_plural(minimum, 'review')}, but "
            f"{_plural(n, 'application')} x {_plural(k, 'review')} = {needed} are to be given: "
            f"lower the minimum loads by {excess}."
        )
        shortfalls.append(excess)

    if reasons:
        raise InfeasibleAssignment(
            "No assignment is possible. " + " ".join(reasons),
            applications=applications,
            reviewers=reviewers,
            missing=max(shortfalls),
        )


def _diagnose(
    candidates: _Candidates, k: int, lower: IntArray, upper: IntArray
) -> InfeasibleAssignment:
    """Explain an infeasible flow with minimum cuts on the whole candidate graph."""
    n, m = candidates.n_apps, candidates.n_reviewers
    rows, cols = candidates.rows, candidates.cols
    reasons: list[str] = []
    shortfalls: list[int] = []
    applications: list[int] = []
    reviewers: list[int] = []

    # Upper side: can every application get k reviews within the maximum loads?
    flow, source_side = _max_flow_min_cut(
        supplies=np.full(n, k, dtype=np.int64),
        tails=rows,
        heads=cols.astype(np.int64) + n,
        demands=upper,
        n_left=n,
    )
    if flow < n * k:
        missing = n * k - flow
        apps = np.sort(source_side[source_side < n])
        their_reviewers = _sorted_unique(cols[np.isin(rows, apps)])
        reasons.append(
            f"{_name_list('Application', apps)} {_need(apps)} {len(apps) * k} reviews but "
            f"{_their_eligible_reviewers(their_reviewers)} can take only "
            f"{len(apps) * k - missing} of them within the maximum loads: "
            f"{_plural(missing, 'review')} missing."
        )
        shortfalls.append(missing)
        applications = apps.tolist()

    # Lower side: can every reviewer reach its minimum load with at most k per application?
    needy = np.flatnonzero(lower > 0)
    if needy.size:
        flow, source_side = _max_flow_min_cut(
            supplies=lower,
            tails=cols,
            heads=rows.astype(np.int64) + m,
            demands=np.full(n, k, dtype=np.int64),
            n_left=m,
        )
        wanted = int(lower.sum())
        if flow < wanted:
            missing = wanted - flow
            stuck = np.sort(source_side[source_side < m])
            stuck = stuck[lower[stuck] > 0]
            need = int(lower[stuck].sum())
            their_apps = _sorted_unique(rows[np.isin(cols, stuck)])
            reasons.append(
                f"{_name_list('Reviewer', stuck)} {_need(stuck)} at least {need} reviews in total "
                f"(minimum loads) but {_their_eligible_applications(their_apps)} can give them "
                f"only {need - missing}: {_plural(missing, 'review')} missing."
            )
            shortfalls.append(missing)
            reviewers = stuck.tolist()

    if not reasons:  # pragma: no cover - excluded by the linking property (module docstring)
        return InfeasibleAssignment(
            "No assignment is possible within the loads and conflicts given.", missing=0
        )
    return InfeasibleAssignment(
        "No assignment is possible. " + " ".join(reasons),
        applications=applications,
        reviewers=reviewers,
        missing=max(shortfalls),
    )


def _max_flow_min_cut(
    *,
    supplies: IntArray,
    tails: NDArray[Any],
    heads: NDArray[Any],
    demands: IntArray,
    n_left: int,
) -> tuple[int, IntArray]:
    """Max flow source -> left (supplies) -> right (unit arcs) -> sink (demands).

    Returns the flow value and the source side of the minimum cut (node indices: left nodes first,
    then right nodes; source and sink excluded), the smallest source side OR-Tools can find.
    """
    n_right = demands.size
    source = n_left + n_right
    sink = source + 1
    solver = max_flow.SimpleMaxFlow()
    left = np.arange(n_left, dtype=np.int32)
    right = np.arange(n_left, n_left + n_right, dtype=np.int32)
    solver.add_arcs_with_capacity(
        np.concatenate([np.full(n_left, source, np.int32), tails.astype(np.int32), right]),
        np.concatenate([left, heads.astype(np.int32), np.full(n_right, sink, np.int32)]),
        np.concatenate([supplies, np.ones(tails.size, np.int64), demands]).astype(np.int64),
    )
    status = solver.solve(source, sink)
    if status != solver.OPTIMAL:  # pragma: no cover - capacities are small and valid
        raise RuntimeError(f"OR-Tools max flow failed with status {status}.")
    cut = np.asarray(solver.get_source_side_min_cut(), dtype=np.int64)
    return int(solver.optimal_flow()), cut[cut < source]


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


def _sorted_unique(values: NDArray[Any]) -> NDArray[Any]:
    """np.unique without its hash-table detour, which is much slower on large integer arrays."""
    ordered = np.sort(values)
    if ordered.size == 0:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def _potentials(
    candidates: _Candidates,
    costs: IntArray,
    working: IntArray,
    arc_flow: IntArray,
    reviewer_flow: IntArray,
    lower: IntArray,
    upper: IntArray,
) -> IntArray:
    """Shortest-path distances from a virtual root in the residual network of the solution.

    Nodes: applications ``0..n-1``, reviewers ``n..n+m-1``, the sink ``n+m``. The root reaches
    every node at cost 0, so every distance is <= 0. The residual network of an optimal flow has no
    negative cycle, so Bellman-Ford ends within ``nodes`` passes; each pass only relaxes the arcs
    leaving the nodes whose distance changed in the previous one.
    """
    n, m = candidates.n_apps, candidates.n_reviewers
    sink = n + m
    nodes = n + m + 1
    apps = candidates.rows[working].astype(np.int64)
    reviewers = candidates.cols[working].astype(np.int64) + n
    cost = costs[working]
    used = arc_flow > 0
    reviewer_nodes = np.arange(n, n + m, dtype=np.int64)
    room = reviewer_flow < upper - lower  # reviewer -> sink can carry more
    above_min = reviewer_flow > 0  # sink -> reviewer: the flow can be pushed back
    tails = np.concatenate(
        [apps[~used], reviewers[used], reviewer_nodes[room], np.full(above_min.sum(), sink)]
    )
    heads = np.concatenate(
        [reviewers[~used], apps[used], np.full(room.sum(), sink), reviewer_nodes[above_min]]
    )
    weights = np.concatenate(
        [cost[~used], -cost[used], np.zeros(room.sum() + above_min.sum(), np.int64)]
    )
    order = np.argsort(tails, kind="stable")
    tails, heads, weights = tails[order], heads[order], weights[order]
    out_start = np.searchsorted(tails, np.arange(nodes + 1))

    distance = np.zeros(nodes, dtype=np.int64)
    active = np.arange(nodes, dtype=np.int64)
    for _ in range(nodes + 1):
        counts = out_start[active + 1] - out_start[active]
        if counts.sum() == 0:
            return distance
        arcs = np.repeat(out_start[active] - np.cumsum(counts) + counts, counts) + np.arange(
            counts.sum()
        )
        candidate = distance[tails[arcs]] + weights[arcs]
        better = candidate < distance[heads[arcs]]
        if not better.any():
            return distance
        np.minimum.at(distance, heads[arcs][better], candidate[better])
        changed = np.zeros(nodes, dtype=bool)
        changed[heads[arcs][better]] = True
        active = np.flatnonzero(changed)
    raise RuntimeError("negative cycle in an optimal residual network")  # pragma: no cover


def _violations(
    candidates: _Candidates, costs: IntArray, working: IntArray, potentials: IntArray
) -> tuple[IntArray, IntArray]:
    """Excluded pairs whose reduced cost is negative under ``potentials`` (and those costs)."""
    n = candidates.n_apps
    app_potential = potentials[:n]
    reviewer_potential = potentials[n : n + candidates.n_reviewers]
    excluded = np.ones(candidates.count, dtype=bool)
    excluded[working] = False
    found: list[IntArray] = []
    reduced: list[IntArray] = []
    for part in _chunks(candidates.count):
        rc = (
            costs[part]
            + app_potential[candidates.rows[part]]
            - reviewer_potential[candidates.cols[part]]
        )
        bad = np.flatnonzero((rc < 0) & excluded[part])
        found.append(bad + part.start)
        reduced.append(rc[bad])
    return np.concatenate(found), np.concatenate(reduced)


# --- wording ----------------------------------------------------------------------------------


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _have(count: int) -> str:
    return "has" if count == 1 else "have"


def _their(indices: NDArray[Any]) -> str:
    return "its" if len(indices) == 1 else "their"


def _list_indices(indices: Sequence[int] | NDArray[Any]) -> str:
    values = [str(int(i)) for i in indices[:_MESSAGE_LIST_LIMIT]]
    if len(indices) > _MESSAGE_LIST_LIMIT:
        return ", ".join(values) + f", ... ({len(indices)} in all)"
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + " and " + values[-1]


def _name_list(noun: str, indices: NDArray[Any]) -> str:
    suffix = "" if len(indices) == 1 else "s"
    return f"{noun}{suffix} {_list_indices(indices)}"


def _need(indices: NDArray[Any]) -> str:
    return "needs" if len(indices) == 1 else "need"


def _their_eligible_reviewers(reviewers: NDArray[Any]) -> str:
    if len(reviewers) == 0:
        return "no eligible reviewer"
    if len(reviewers) == 1:
        return f"their only eligible reviewer ({_list_indices(reviewers)})"
    return f"their {len(reviewers)} eligible reviewers ({_list_indices(reviewers)})"


def _their_eligible_applications(apps: NDArray[Any]) -> str:
    if len(apps) == 0:
        return "no eligible application"
    if len(apps) == 1:
        return f"their only eligible application ({_list_indices(apps)})"
    return f"their {len(apps)} eligible applications ({_list_indices(apps)})"
