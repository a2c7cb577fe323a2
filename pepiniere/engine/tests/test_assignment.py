"""Reviewer assignment: what a caller of ``assign_reviewers`` sees.

The reference for optimality is the linear relaxation solved by HiGHS (``scipy.optimize.linprog``):
the flow polytope is integral, so its optimum is the best assignment.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from pepiniere.engine.assignment import Assignment, InfeasibleAssignment, assign_reviewers

NAN = np.nan


# --- reference: the LP relaxation --------------------------------------------------------------


def lp_optimum(
    affinity: np.ndarray,
    k: int,
    lower: np.ndarray,
    upper: np.ndarray,
    conflicts: list[tuple[int, int]],
    *,
    apps_exactly_k: bool = True,
) -> float | None:
    """Optimal total of the LP relaxation, or None when it is infeasible."""
    n, m = affinity.shape
    eligible = ~np.isnan(affinity)
    for i, j in conflicts:
        eligible[i, j] = False
    rows, cols = np.nonzero(eligible)
    if rows.size == 0:
        apps_ok = n * k == 0 or not apps_exactly_k
        return 0.0 if apps_ok and not np.any(lower > 0) else None
    by_app = sp.csr_array((np.ones(rows.size), (rows, np.arange(rows.size))), shape=(n, rows.size))
    by_reviewer = sp.csr_array(
        (np.ones(rows.size), (cols, np.arange(rows.size))), shape=(m, rows.size)
    )
    a_ub = [by_reviewer, -by_reviewer]
    b_ub = [upper, -lower]
    a_eq: sp.csr_array | None = None
    b_eq: np.ndarray | None = None
    if apps_exactly_k:
        a_eq, b_eq = by_app, np.full(n, k)
    else:
        a_ub.append(by_app)
        b_ub.append(np.full(n, k))
    # scipy-stubs type A_ub / A_eq as dense arrays only; HiGHS takes sparse ones.
    result = linprog(  # type: ignore[call-overload]
        -affinity[rows, cols],
        A_ub=sp.vstack(a_ub),
        b_ub=np.concatenate(b_ub),
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=(0, 1),
        method="highs",
    )
    if result.status == 2:
        return None
    assert result.status == 0, result.message
    return -float(result.fun)


def assert_valid(
    result: Assignment,
    affinity: np.ndarray,
    k: int,
    lower: np.ndarray,
    upper: np.ndarray,
    conflicts: list[tuple[int, int]],
) -> None:
    n, m = affinity.shape
    assert result.pairs == sorted(result.pairs)
    assert len(set(result.pairs)) == len(result.pairs) == n * k
    assert Counter(i for i, _ in result.pairs) == Counter(dict.fromkeys(range(n), k) if k else {})
    assert not set(result.pairs) & {tuple(c) for c in conflicts}
    assert all(not math.isnan(affinity[i, j]) for i, j in result.pairs)
    loads = np.bincount([j for _, j in result.pairs], minlength=m)
    assert np.array_equal(result.loads, loads)
    assert np.all(lower <= loads) and np.all(loads <= upper)
    assert result.total_affinity == math.fsum(affinity[i, j] for i, j in result.pairs)


# --- property tests ----------------------------------------------------------------------------


@st.composite
def instances(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(0, 8))
    m = draw(st.integers(0, 8))
    k = draw(st.integers(0, 3))
    # Quarter values are exact in binary (no rounding at all); free floats exercise the scale.
    value = st.one_of(
        st.integers(-20, 20).map(lambda v: v / 4),
        st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
    )
    nan_rate = draw(st.sampled_from([0.0, 0.2, 0.5]))
    cells = draw(st.lists(st.tuples(value, st.floats(0, 1)), min_size=n * m, max_size=n * m))
    affinity = np.array([v if u >= nan_rate else NAN for v, u in cells]).reshape(n, m)
    pair = st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, max(m - 1, 0)))
    conflicts = draw(st.lists(pair, max_size=6)) if n and m else []
    upper = np.array(draw(st.lists(st.integers(0, 6), min_size=m, max_size=m)), dtype=np.int64)
    lower = np.array(
        [draw(st.integers(0, int(u)) if draw(st.booleans()) else st.just(0)) for u in upper],
        dtype=np.int64,
    )
    return {
        "affinity": affinity,
        "k": k,
        "upper": upper,
        "lower": lower,
        "conflicts": conflicts,
        "sparse": draw(st.booleans()),
        "working_set": draw(st.sampled_from([None, 1, 2])),
    }


def as_sparse(affinity: np.ndarray) -> sp.csr_array:
    """Stored entries = candidates (including zeros), NaN cells left out."""
    rows, cols = np.nonzero(~np.isnan(affinity))
    return sp.csr_array((affinity[rows, cols], (rows, cols)), shape=affinity.shape)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_assignment_is_valid_and_optimal_or_infeasibility_is_real(case: dict[str, Any]) -> None:
    affinity, k = case["affinity"], case["k"]
    lower, upper, conflicts = case["lower"], case["upper"], case["conflicts"]
    matrix = as_sparse(affinity) if case["sparse"] else affinity
    optimum = lp_optimum(affinity, k, lower, upper, conflicts)
    try:
        result = assign_reviewers(
            matrix,
            k,
            upper,
            lower,
            conflicts,
            working_set_per_application=case["working_set"],
        )
    except InfeasibleAssignment as error:
        assert optimum is None, f"LP is feasible (optimum {optimum}) but got: {error}"
        assert_explains_infeasibility(error, affinity, k, lower, upper, conflicts)
        return
    assert optimum is not None, "assignment returned for an infeasible instance"
    assert_valid(result, affinity, k, lower, upper, conflicts)
    tolerance = result.optimality_gap_bound + 1e-7 * (1 + abs(optimum))
    assert result.total_affinity >= optimum - tolerance
    assert result.total_affinity <= optimum + 1e-7 * (1 + abs(optimum))


def assert_explains_infeasibility(
    error: InfeasibleAssignment,
    affinity: np.ndarray,
    k: int,
    lower: np.ndarray,
    upper: np.ndarray,
    conflicts: list[tuple[int, int]],
) -> None:
    """The shortage named in the message is real, not just present."""
    message = str(error)
    assert error.missing > 0
    assert str(error.missing) in message
    n, m = affinity.shape
    if error.applications:
        assert str(error.applications[0]) in message
        # The named applications cannot get their reviews even if no other application needed any.
        named = affinity[error.applications]
        named_conflicts = [
            (error.applications.index(i), j) for i, j in conflicts if i in error.applications
        ]
        assert lp_optimum(named, k, np.zeros(m), upper, named_conflicts) is None
    if error.reviewers:
        assert str(error.reviewers[0]) in message
        # The named reviewers cannot reach their minimum loads even if nobody else had one.
        only_named = np.zeros(m)
        only_named[error.reviewers] = lower[error.reviewers]
        assert lp_optimum(affinity, k, only_named, upper, conflicts, apps_exactly_k=False) is None
    if not error.applications and not error.reviewers:
        assert "in total" in message or "minimum loads add up" in message


# --- examples ----------------------------------------------------------------------------------


def test_hand_computed_three_by_three() -> None:
    # Greedy would take the 9 and end with 9 + 1 + 5 = 15; swapping the first two gives 21.
    affinity = np.array([[9.0, 8.0, 1.0], [8.0, 1.0, 1.0], [1.0, 1.0, 5.0]])
    result = assign_reviewers(affinity, 1, max_load=1)
    assert result.pairs == [(0, 1), (1, 0), (2, 2)]
    assert result.total_affinity == 21.0
    assert result.loads.tolist() == [1, 1, 1]


def test_minimum_load_forces_a_less_liked_reviewer() -> None:
    # Everyone prefers reviewer 0, then 1; reviewer 2 must take two applications. Best: reviewer 0
    # reviews all three, reviewer 2 two of them, reviewer 1 the last: 5 + 4 + 4 = 13.
    affinity = np.array([[3.0, 2.0, 1.0]] * 3)
    result = assign_reviewers(affinity, 2, max_load=3, min_load=[0, 0, 2])
    assert result.total_affinity == 13.0
    assert result.loads.tolist() == [3, 1, 2]


def test_sparse_and_dense_give_the_same_assignment() -> None:
    rng = np.random.default_rng(7)
    affinity = rng.normal(size=(40, 12))
    affinity[rng.random(affinity.shape) < 0.3] = NAN
    conflicts = [(0, 1), (5, 3), (5, 3), (39, 11)]
    for working_set in (None, 2):
        dense = assign_reviewers(
            affinity, 2, 9, 1, conflicts, working_set_per_application=working_set
        )
        sparse = assign_reviewers(
            as_sparse(affinity), 2, 9, 1, conflicts, working_set_per_application=working_set
        )
        assert dense.pairs == sparse.pairs
        assert dense.total_affinity == sparse.total_affinity


def test_sparse_explicit_zero_is_a_candidate_but_an_absent_entry_is_not() -> None:
    with_zero = sp.csr_array(([5.0, 0.0], ([0, 0], [0, 1])), shape=(1, 2))
    assert assign_reviewers(with_zero, 2, max_load=1).pairs == [(0, 0), (0, 1)]
    without = sp.csr_array(([5.0], ([0], [0])), shape=(1, 2))
    with pytest.raises(InfeasibleAssignment, match="application 0 has 1"):
        assign_reviewers(without, 2, max_load=1)


def test_sparse_input_is_not_modified() -> None:
    matrix = sp.coo_array(([1.0, 2.0, 3.0], ([1, 0, 0], [0, 1, 1])), shape=(2, 2)).tocsr()
    before = (matrix.data.copy(), matrix.indices.copy(), matrix.indptr.copy())
    assign_reviewers(matrix, 1, 2)
    assert all(
        np.array_equal(a, b)
        for a, b in zip(before, (matrix.data, matrix.indices, matrix.indptr), strict=True)
    )


def test_negative_affinities_are_maximised_too() -> None:
    affinity = np.array([[-1.0, -3.0], [-2.0, -0.5]])
    result = assign_reviewers(affinity, 1, max_load=1)
    assert result.pairs == [(0, 0), (1, 1)]
    assert result.total_affinity == -1.5


def test_same_input_same_output() -> None:
    rng = np.random.default_rng(3)
    affinity = rng.integers(0, 4, size=(300, 50)).astype(float)  # many ties
    affinity[rng.random(affinity.shape) < 0.5] = NAN
    runs = [
        assign_reviewers(affinity, 3, 25, working_set_per_application=ws)
        for ws in (None, None, 2, 2)
    ]
    assert runs[0].pairs == runs[1].pairs
    assert runs[2].pairs == runs[3].pairs
    assert runs[0].total_affinity == runs[2].total_affinity


def test_working_set_with_certificate_matches_the_full_solve() -> None:
    # Correlated preferences: every application wants the same popular reviewers, so the best
    # few candidates of each application are not enough and the certificate must add pairs.
    rng = np.random.default_rng(11)
    affinity = rng.normal(size=60)[None, :] + 0.3 * rng.normal(size=(400, 60))
    full = assign_reviewers(affinity, 3, 22, min_load=10)
    for working_set in (1, 3):
        pruned = assign_reviewers(
            affinity, 3, 22, min_load=10, working_set_per_application=working_set
        )
        assert pruned.arcs_solved < full.arcs_solved
        assert pruned.rounds > 1
        assert abs(pruned.total_affinity - full.total_affinity) <= full.optimality_gap_bound
    assert lp_optimum(affinity, 3, np.full(60, 10), np.full(60, 22), []) == pytest.approx(
        full.total_affinity, abs=1e-6
    )


def test_quarter_values_are_exact() -> None:
    affinity = np.array([[4.25, 1.5, 3.75], [2.0, 4.75, 1.0]])
    result = assign_reviewers(affinity, 2, max_load=2)
    assert result.total_affinity == 4.25 + 3.75 + 2.0 + 4.75
    assert result.optimality_gap_bound == 0.0


def test_gap_bound_is_stated_when_affinities_are_rounded() -> None:
    affinity = np.array([[0.1, 0.2, 0.3], [0.3, 0.1, 0.2]])
    result = assign_reviewers(affinity, 1, max_load=1)
    assert result.total_affinity == pytest.approx(0.6)
    assert 0 < result.optimality_gap_bound <= 2 * 2.0**-20
    equal = assign_reviewers(np.full((2, 3), 0.1), 1, max_load=1)
    assert equal.optimality_gap_bound == 0.0


def test_huge_maximum_loads_do_not_overflow() -> None:
    result = assign_reviewers(np.ones((3, 2)), 2, max_load=10**17)
    assert result.loads.tolist() == [3, 3]


# --- edge cases --------------------------------------------------------------------------------


def test_no_applications() -> None:
    result = assign_reviewers(np.zeros((0, 4)), 3, max_load=2)
    assert result.pairs == []
    assert result.loads.tolist() == [0, 0, 0, 0]
    assert result.total_affinity == 0.0


def test_no_applications_but_a_minimum_load() -> None:
    with pytest.raises(InfeasibleAssignment, match="minimum loads add up to 1 review") as info:
        assign_reviewers(np.zeros((0, 2)), 3, max_load=2, min_load=[0, 1])
    assert info.value.missing == 1


def test_zero_reviews_per_application() -> None:
    result = assign_reviewers(np.ones((5, 3)), 0, max_load=0)
    assert result.pairs == []
    assert result.loads.tolist() == [0, 0, 0]


def test_reviewer_without_candidates_cannot_have_a_minimum_load() -> None:
    affinity = np.array([[1.0, NAN], [2.0, NAN]])
    with pytest.raises(InfeasibleAssignment) as info:
        assign_reviewers(affinity, 1, max_load=2, min_load=[0, 1])
    assert info.value.reviewers == [1]
    assert info.value.missing == 1
    assert "reviewer 1 has a minimum load of 1 but 0 eligible applications" in str(info.value)


def test_duplicate_conflicts_are_harmless() -> None:
    affinity = np.array([[5.0, 1.0, 1.0]])
    result = assign_reviewers(affinity, 1, 1, conflicts=[(0, 0), (0, 0), (0, 0)])
    assert result.pairs in ([(0, 1)], [(0, 2)])


def test_all_nan_row_is_named() -> None:
    affinity = np.array([[1.0, 2.0], [NAN, NAN], [3.0, 1.0]])
    with pytest.raises(InfeasibleAssignment) as info:
        assign_reviewers(affinity, 1, max_load=3)
    assert info.value.applications == [1]
    assert "application 1 has 0" in str(info.value)


# --- infeasibility messages --------------------------------------------------------------------


def test_infeasible_a_applications_with_too_few_candidates() -> None:
    affinity = np.array([[1.0, NAN, NAN], [1.0, 1.0, 1.0], [NAN, NAN, 1.0]])
    with pytest.raises(InfeasibleAssignment) as info:
        assign_reviewers(affinity, 2, max_load=3, conflicts=[(1, 0), (1, 1)])
    error = info.value
    assert isinstance(error, ValueError)
    assert error.applications == [0, 1, 2]
    assert error.missing == 3
    assert "application 0 has 1, application 1 has 1, application 2 has 1" in str(error)
    assert "3 reviews missing" in str(error)


def test_infeasible_b_total_capacity() -> None:
    with pytest.raises(InfeasibleAssignment) as info:
        assign_reviewers(np.ones((10, 3)), 2, max_load=[4, 4, 5])
    assert info.value.missing == 7
    assert info.value.applications == []
    assert "at most 13 reviews in total" in str(info.value)
    assert "10 applications x 2 reviews = 20" in str(info.value)


def test_infeasible_b_capacity_counts_only_eligible_applications() -> None:
    # Reviewer 1 may take 100 but is a candidate for one application only.
    affinity = np.array([[1.0, 1.0], [1.0, NAN], [1.0, NAN]])
    with pytest.raises(InfeasibleAssignment, match="at most 2 reviews in total") as info:
        assign_reviewers(affinity, 1, max_load=[1, 100])
    assert info.value.missing == 1


def test_infeasible_c_minimum_loads_exceed_the_reviews_to_give() -> None:
    with pytest.raises(InfeasibleAssignment) as info:
        assign_reviewers(np.ones((4, 3)), 1, max_load=3, min_load=2)
    assert info.value.missing == 2
    assert "minimum loads add up to 6 reviews" in str(info.value)
    assert "lower the minimum loads by 2" in str(info.value)


def test_infeasible_d_hall_shortage_names_the_applications() -> None:
    # Applications 0 and 1 both depend on reviewer 0, who can take one of them. Totals are fine.
    affinity = np.array(
        [[1.0, NAN, NAN], [2.0, NAN, NAN], [NAN, 1.0, 1.0], [NAN, 1.0, 1.0], [5.0, 1.0, 1.0]]
    )
    with pytest.raises(InfeasibleAssignment) as info:
        assign_reviewers(affinity, 1, max_load=[1, 2, 2])
    error = info.value
    assert error.applications == [0, 1]
    assert error.missing == 1
    assert str(error) == (
        "No assignment is possible. Applications 0 and 1 need 2 reviews but their only eligible "
        "reviewer (0) can take only 1 of them within the maximum loads: 1 review missing."
    )


def test_infeasible_d_hall_shortage_on_minimum_loads_names_the_reviewers() -> None:
    # Reviewers 0 and 1 must each review one application, but both are eligible for application
    # 0 only, which takes one reviewer.
    affinity = np.array([[1.0, 1.0, 1.0], [NAN, NAN, 1.0], [NAN, NAN, 1.0]])
    with pytest.raises(InfeasibleAssignment) as info:
        assign_reviewers(affinity, 1, max_load=[1, 1, 3], min_load=[1, 1, 0])
    error = info.value
    assert error.reviewers == [0, 1]
    assert error.missing == 1
    assert "Reviewers 0 and 1 need at least 2 reviews in total" in str(error)
    assert "their only eligible application (0) can give them only 1" in str(error)


def test_hall_shortage_is_found_with_a_working_set_too() -> None:
    rng = np.random.default_rng(5)
    affinity = rng.random((200, 30))
    affinity[:5, 1:] = NAN  # five applications depend on reviewer 0 alone
    with pytest.raises(InfeasibleAssignment) as info:
        assign_reviewers(affinity, 1, max_load=[3] + [20] * 29, working_set_per_application=2)
    assert info.value.applications == [0, 1, 2, 3, 4]
    assert info.value.missing == 2


# --- input validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"reviews_per_application": -1}, "reviews_per_application must be >= 0"),
        ({"reviews_per_application": 1.5}, "reviews_per_application must be an integer"),
        ({"reviews_per_application": True}, "reviews_per_application must be an integer"),
        ({"max_load": [1, 2]}, r"max_load must be an integer or have one value per reviewer \(3\)"),
        ({"min_load": np.ones((3, 1), dtype=int)}, "min_load must be an integer or have one"),
        ({"max_load": [1, 2, 3], "min_load": [0, 3, 0]}, "min_load exceeds max_load"),
        ({"max_load": -1}, "max_load must be >= 0"),
        ({"min_load": [0, -2, 0]}, "min_load must be >= 0"),
        ({"max_load": 1.5}, "max_load must hold integers"),
        ({"conflicts": [(0, 3)]}, r"conflict \(0, 3\) is out of range"),
        ({"conflicts": [(-1, 0)]}, r"conflict \(-1, 0\) is out of range"),
        ({"conflicts": [(0, 1, 2)]}, "conflicts must be"),
        ({"conflicts": [(0.5, 1)]}, "conflict indices must be integers"),
        ({"working_set_per_application": 0}, "working_set_per_application"),
    ],
)
def test_invalid_input_is_refused(kwargs: dict[str, Any], match: str) -> None:
    arguments: dict[str, Any] = {
        "affinity": np.ones((2, 3)),
        "reviews_per_application": 1,
        "max_load": 2,
    }
    arguments |= kwargs
    with pytest.raises(ValueError, match=match) as info:
        assign_reviewers(**arguments)
    assert not isinstance(info.value, InfeasibleAssignment)


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_affinity_is_refused(bad: float) -> None:
    dense = np.ones((2, 3))
    dense[1, 2] = bad
    with pytest.raises(ValueError, match=r"affinity\[1, 2\] is"):
        assign_reviewers(dense, 1, 2)
    with pytest.raises(ValueError, match=r"affinity\[1, 2\] is"):
        assign_reviewers(sp.csr_array(dense), 1, 2)


@pytest.mark.parametrize("shape", [(3,), (2, 2, 2)])
def test_affinity_must_be_a_matrix(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="affinity must be 2-D"):
        assign_reviewers(np.ones(shape), 1, 2)
