"""Behaviour of the ranking helpers: rank intervals, bootstrap intervals, disagreement."""

from __future__ import annotations

import math
import statistics
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pepiniere.engine.ranking import (
    bootstrap_rank_intervals,
    canonical_order,
    disagreement,
    point_ranks,
    rank_intervals,
)

# --- rank_intervals -----------------------------------------------------------------------------


def test_rank_intervals_are_deterministic_for_a_seed_and_ignore_mapping_order() -> None:
    estimates = {f"app{i}": 3.0 + 0.1 * (i % 7) for i in range(30)}
    errors = {f"app{i}": 0.2 + 0.01 * i for i in range(30)}
    first = rank_intervals(estimates, errors, seed=7)
    assert rank_intervals(estimates, errors, seed=7) == first
    reversed_estimates = dict(reversed(estimates.items()))
    assert rank_intervals(reversed_estimates, errors, seed=7) == first


def test_a_dominant_application_is_certainly_first_and_a_hopeless_one_last() -> None:
    estimates = {"star": 4.9, "a": 3.0, "b": 3.1, "c": 2.9, "dud": 0.2}
    errors = {"star": 0.1, "a": 0.3, "b": 0.3, "c": 0.3, "dud": 0.1}
    intervals = rank_intervals(estimates, errors)
    assert intervals["star"] == (1, 1)
    assert intervals["dud"] == (5, 5)
    assert intervals["a"][0] >= 2 and intervals["a"][1] <= 4


@pytest.mark.parametrize(("gap", "expected"), [(3.0, ((1, 1), (2, 2))), (1.5, ((1, 2), (1, 2)))])
def test_two_applications_swap_when_their_gap_is_small_against_the_errors(
    gap: float, expected: tuple[tuple[int, int], tuple[int, int]]
) -> None:
    # With two unit errors they swap with probability Phi(-gap / sqrt 2): 1.7 % or 14 %.
    intervals = rank_intervals({"x": gap, "y": 0.0}, {"x": 1.0, "y": 1.0}, draws=4000)
    assert (intervals["x"], intervals["y"]) == expected


def test_zero_errors_give_the_point_ranks_with_ties_sharing_the_best_rank() -> None:
    estimates = {"a": 3.0, "b": 3.0, "c": 4.0, "d": 1.0}
    assert point_ranks(estimates) == {"a": 2, "b": 2, "c": 1, "d": 4}
    intervals = rank_intervals(estimates, dict.fromkeys(estimates, 0.0))
    assert intervals == {"a": (2, 2), "b": (2, 2), "c": (1, 1), "d": (4, 4)}


def test_a_higher_level_never_gives_a_narrower_interval() -> None:
    estimates = {i: float(i % 5) for i in range(12)}
    errors = dict.fromkeys(estimates, 1.0)
    narrow = rank_intervals(estimates, errors, level=0.5)
    wide = rank_intervals(estimates, errors, level=0.99)
    for i in estimates:
        assert wide[i][0] <= narrow[i][0] <= narrow[i][1] <= wide[i][1]


def test_empty_inputs_give_empty_results() -> None:
    assert rank_intervals({}, {}) == {}
    assert bootstrap_rank_intervals({}) == {}
    assert point_ranks({}) == {}


@pytest.mark.parametrize(
    ("estimates", "errors", "kwargs", "message"),
    [
        ({"a": 1.0}, {"b": 1.0}, {}, "same applications"),
        ({"a": 1.0}, {"a": -0.1}, {}, "std_error of 'a' is negative"),
        ({"a": math.nan}, {"a": 1.0}, {}, "estimate of 'a' is nan, not a finite number"),
        ({"a": 1.0}, {"a": math.inf}, {}, "std_error of 'a' is inf"),
        ({"a": "high"}, {"a": 1.0}, {}, "estimate of 'a' is 'high', not a number"),
        ({"a": 1.0}, {"a": 1.0}, {"level": 1.0}, "level must be between 0 and 1"),
        ({"a": 1.0}, {"a": 1.0}, {"level": 0.0}, "level must be between 0 and 1"),
        ({"a": 1.0}, {"a": 1.0}, {"draws": 0}, "draws must be a positive integer"),
        ({"a": 1.0}, {"a": 1.0}, {"draws": 10.5}, "draws must be a positive integer"),
    ],
)
def test_rank_interval_errors(
    estimates: dict[str, Any], errors: dict[str, Any], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        rank_intervals(estimates, errors, **kwargs)


finite = st.floats(-10, 10, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.integers(0, 50), st.tuples(finite, st.floats(0, 3)), max_size=15),
    st.floats(0.5, 0.99),
    st.integers(0, 2**32 - 1),
)
def test_property_intervals_hold_the_point_rank_and_stay_in_bounds(
    data: dict[int, tuple[float, float]], level: float, seed: int
) -> None:
    estimates = {k: v for k, (v, _) in data.items()}
    errors = {k: e for k, (_, e) in data.items()}
    intervals = rank_intervals(estimates, errors, level=level, draws=200, seed=seed)
    ranks = point_ranks(estimates)
    assert set(intervals) == set(estimates)
    for key, (best, worst) in intervals.items():
        assert 1 <= best <= ranks[key] <= worst <= len(estimates)


# --- bootstrap_rank_intervals -------------------------------------------------------------------


def test_bootstrap_is_deterministic_and_separates_clear_cases() -> None:
    ratings = {
        "loved": [9, 9, 10, 9],
        "mixed": [3, 8, 5, 7],
        "split": [8, 2, 6],
        "weak": [2, 1, 3, 2],
        "unknown": [6],
    }
    intervals = bootstrap_rank_intervals(ratings, seed=3)
    assert intervals == bootstrap_rank_intervals(dict(reversed(ratings.items())), seed=3)
    assert intervals["loved"] == (1, 1)
    assert intervals["weak"] == (5, 5)
    assert intervals["mixed"] == intervals["split"] == (2, 4)
    # A single rating never moves, but "mixed" and "split" can resample above it.
    assert intervals["unknown"] == (2, 4)


def test_bootstrap_ties_share_the_best_rank() -> None:
    # "a" resamples to a mean of 5 (32 %), 4 (42 %, tied with "b") or less: ranks 1 or 2.
    intervals = bootstrap_rank_intervals({"a": [5, 5, 5, 1], "b": [4, 4, 4, 4]}, draws=3000)
    assert intervals == {"a": (1, 2), "b": (1, 2)}
    steady = bootstrap_rank_intervals({"a": [4, 4], "b": [4], "c": [1, 1]})
    assert steady == {"a": (1, 1), "b": (1, 1), "c": (3, 3)}


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.integers(0, 99), st.lists(st.integers(1, 10), min_size=1, max_size=5), max_size=12
    ),
    st.integers(0, 1000),
)
def test_property_bootstrap_intervals_hold_the_rank_of_the_mean(
    ratings: dict[int, list[int]], seed: int
) -> None:
    intervals = bootstrap_rank_intervals(ratings, draws=100, seed=seed)
    ranks = point_ranks({k: statistics.fmean(v) for k, v in ratings.items()})
    for key, (best, worst) in intervals.items():
        assert 1 <= best <= ranks[key] <= worst <= len(ratings)


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ({"a": []}, "application 'a' has no ratings"),
        ({"a": [3, math.nan]}, "rating of 'a' is nan"),
        ({"a": [3, None]}, "rating of 'a' is None, not a number"),
    ],
)
def test_bootstrap_errors(ratings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bootstrap_rank_intervals(ratings)


# --- disagreement and ordering ------------------------------------------------------------------


def test_disagreement_is_the_sample_standard_deviation() -> None:
    assert disagreement([3.5]) == 0.0
    assert disagreement([1, 3]) == pytest.approx(math.sqrt(2))
    scores = [2, 4, 4, 4, 5, 5, 7, 9]
    assert disagreement(scores) == pytest.approx(statistics.stdev(scores))
    assert disagreement([Decimal("2.5"), 2.5, 2.5]) == 0.0


@pytest.mark.parametrize(
    ("scores", "message"), [([], "at least one score"), ([1, math.inf], "inf")]
)
def test_disagreement_errors(scores: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        disagreement(scores)


def test_canonical_order_does_not_depend_on_input_order() -> None:
    ids = [3, "b", (1, "x"), None, 1.5, "a", (1, 2), frozenset({2}), -2]
    expected = [-2, 1.5, 3, "a", "b", (1, 2), (1, "x"), None, frozenset({2})]
    assert canonical_order(ids) == expected
    assert canonical_order(reversed(ids)) == expected
    assert canonical_order(["b", "a", "b"]) == ["a", "b"]
