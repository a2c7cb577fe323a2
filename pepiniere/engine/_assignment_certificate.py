"""Duality certificate: proof that a working-set solution is optimal on all candidates.

On large candidate sets :func:`pepiniere.engine.assignment.assign_reviewers` solves the flow on a
working set only, so its optimum is a priori only optimal for that subset. Rather than trust a
heuristic pruning, the solution is certified with LP duality: :func:`_potentials` computes exact
shortest-path node potentials in the residual network of the working-set solution (Bellman-Ford on
the integer costs), and :func:`_violations` scans the whole candidate set for excluded pairs with a
negative reduced cost under them. None means the solution is optimal for every candidate pair; the
violating pairs otherwise tell the solve loop what to add. The argument is detailed in the
docstring of :mod:`pepiniere.engine.assignment`.
"""

from __future__ import annotations

import numpy as np

from pepiniere.engine._assignment_candidates import IntArray, _Candidates, _chunks


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
