"""Why no reviewer assignment exists, in words an officer can act on.

When :func:`pepiniere.engine.assignment.assign_reviewers` finds no feasible flow, a bare "infeasible"
would leave the officer guessing which loads, conflicts or candidates to change. This module builds
:class:`InfeasibleAssignment` with the reason: cheap counting checks first (applications with fewer
eligible reviewers than ``k``, reviewers with fewer eligible applications than their minimum load,
total capacity or total minimum load out of balance), then, when those pass, a Hall-type shortage
read from a minimum cut on the whole candidate graph, naming the applications or reviewers
concerned. Why the two one-sided cuts always find the shortage is explained in the docstring of
:mod:`pepiniere.engine.assignment`. It also holds the wording helpers shared by every message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import max_flow

from pepiniere.engine._assignment_candidates import IntArray, _Candidates, _sorted_unique

# Indices listed in a message before "... (N in all)".
_MESSAGE_LIST_LIMIT = 20


class InfeasibleAssignment(ValueError):
    """No assignment meets the constraints.

    ``applications`` lists the applications (indices, ascending) that cannot get their reviews,
    ``reviewers`` the reviewers that cannot reach their minimum load (either may be empty when the
    shortage is global) and ``missing`` the number of reviews that cannot be provided (the largest
    of the shortfalls named in the message).
    """

    # Public as pepiniere.engine.assignment.InfeasibleAssignment: keep that name in reprs
    # and tracebacks.
    __module__ = "pepiniere.engine.assignment"

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
