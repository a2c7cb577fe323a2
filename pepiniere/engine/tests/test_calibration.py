"""Behaviour of calibrate() as a caller sees it: examples, reference computations, properties."""

from __future__ import annotations

import math
import random
import statistics
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from pepiniere.engine.calibration import Calibration, calibrate


def make_call(
    *,
    seed: int,
    n_apps: int,
    n_reviewers: int,
    per_app: int,
    true_bias: np.ndarray,
    noise_sd: float,
) -> tuple[np.ndarray, list[tuple[str, str, float]]]:
    """Reviews where every reviewer has the same load and no application repeats a reviewer."""
    rng = np.random.default_rng(seed)
    quality = rng.uniform(1.7, 3.3, size=n_apps)
    assignment = rng.permutation(np.resize(np.arange(n_reviewers), n_apps * per_app))
    assignment = assignment.reshape(n_apps, per_app)
    while clashes := [a for a, row in enumerate(assignment.tolist()) if len(set(row)) < per_app]:
        for a in clashes:  # a swap with a random slot keeps every load unchanged
            other, k, j = rng.integers(n_apps), rng.integers(per_app), rng.integers(per_app)
            assignment[a, k], assignment[other, j] = assignment[other, j], assignment[a, k]
    reviews = [
        (f"app{a}", f"rev{r}", float(quality[a] + true_bias[r] + rng.normal(scale=noise_sd)))
        for a in range(n_apps)
        for r in assignment[a]
    ]
    return quality, reviews


Review = tuple[Any, Any, Any]


def reviewer_groups(result: Calibration[Any, Any], reviews: list[Review]) -> dict[Any, int]:
    return {r: result.group_of[a] for a, r, _ in reviews}


# --- examples -----------------------------------------------------------------------------------


def test_recovers_known_reviewer_bias() -> None:
    true_bias = np.zeros(40)
    true_bias[[0, 1]] = -1.0  # two harsh reviewers
    true_bias[[2, 3]] = +1.0  # two lenient ones
    quality, reviews = make_call(
        seed=1, n_apps=200, n_reviewers=40, per_app=4, true_bias=true_bias, noise_sd=0.15
    )

    result = calibrate(reviews)

    estimated = np.array([result.bias[f"rev{r}"] for r in range(40)])
    assert np.corrcoef(estimated, true_bias)[0, 1] > 0.9
    assert result.bias["rev0"] < -0.7 and result.bias["rev1"] < -0.7
    assert result.bias["rev2"] > 0.7 and result.bias["rev3"] > 0.7
    calibrated = np.array([result.quality[f"app{a}"] for a in range(200)])
    plain = np.array([result.raw_mean[f"app{a}"] for a in range(200)])
    assert np.abs(calibrated - quality).mean() < 0.5 * np.abs(plain - quality).mean()
    assert 0.05 < result.noise_sd < 0.3
    assert result.groups == 1 and result.warnings == []


def dense_design(
    result: Calibration, reviews: list[Review]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores y and the indicator matrices of applications (x) and reviewers (z)."""
    apps, reviewers = list(result.quality), list(result.bias)
    y = np.array([s for _, _, s in reviews])
    x = np.zeros((len(y), len(apps)))
    z = np.zeros((len(y), len(reviewers)))
    for i, (a, r, _) in enumerate(reviews):
        x[i, apps.index(a)] = z[i, reviewers.index(r)] = 1.0
    return y, x, z


def assert_matches_dense_posterior(result: Calibration, reviews: list[Review]) -> None:
    """Posterior of (quality, bias) given the variances, conditioned on sum(bias) = 0 per group."""
    y, x, z = dense_design(result, reviews)
    n_apps, n_reviewers = x.shape[1], z.shape[1]
    noise, bias = result.noise_sd**2, result.bias_sd**2
    precision = np.block(
        [[x.T @ x, x.T @ z], [z.T @ x, z.T @ z + noise / bias * np.eye(n_reviewers)]]
    )
    covariance = np.linalg.inv(precision / noise)
    mean = covariance @ np.r_[x.T @ y, z.T @ y] / noise
    groups = reviewer_groups(result, reviews)
    constraint = np.zeros((result.groups, n_apps + n_reviewers))
    for j, reviewer in enumerate(result.bias):
        constraint[groups[reviewer], n_apps + j] = 1.0
    gain = covariance @ constraint.T @ np.linalg.inv(constraint @ covariance @ constraint.T)
    mean = mean - gain @ (constraint @ mean)
    covariance = covariance - gain @ constraint @ covariance
    assert list(result.quality.values()) == pytest.approx(mean[:n_apps], abs=1e-9)
    assert list(result.bias.values()) == pytest.approx(mean[n_apps:], abs=1e-9)
    se = np.sqrt(np.diag(covariance)[:n_apps])
    assert list(result.std_error.values()) == pytest.approx(se, abs=1e-9)


def test_estimates_match_a_dense_reference_computation() -> None:
    """REML variances and posterior quality/SE equal the textbook formulas computed densely."""
    rng = np.random.default_rng(5)
    pairs = {(a, int(r)) for a in range(25) for r in rng.choice(8, rng.integers(1, 4), False)}
    pairs |= {(100, 50), (100, 51), (101, 50), (101, 51), (102, 52)}  # two more groups
    app_effect, reviewer_effect = rng.normal(size=200), rng.normal(scale=0.8, size=60)
    reviews = [
        (a, r, float(2.5 + app_effect[a] + reviewer_effect[r] + rng.normal(scale=0.5)))
        for a, r in sorted(pairs)
    ]
    result = calibrate(reviews, scale=(-10, 15))
    y, x, z = dense_design(result, reviews)

    def minus_two_reml(log_variances: np.ndarray) -> float:
        noise, bias = np.exp(log_variances)
        v = noise * np.eye(len(y)) + bias * z @ z.T
        vi = np.linalg.inv(v)
        xvx = x.T @ vi @ x
        p = vi - vi @ x @ np.linalg.solve(xvx, x.T @ vi)
        return float(np.linalg.slogdet(v)[1] + np.linalg.slogdet(xvx)[1] + y @ p @ y)

    best = minimize(minus_two_reml, np.log([0.3, 0.5]), method="Nelder-Mead")
    ours = np.log([result.noise_sd**2, result.bias_sd**2])
    assert minus_two_reml(ours) <= best.fun + 1e-9
    assert np.sqrt(np.exp(best.x)) == pytest.approx([result.noise_sd, result.bias_sd], rel=1e-3)
    assert_matches_dense_posterior(result, reviews)


def test_large_reviewer_groups_match_the_dense_reference_too() -> None:
    # Groups of more than 64 reviewers go through a different linear-algebra path.
    rng = np.random.default_rng(9)
    _, reviews = make_call(
        seed=8,
        n_apps=180,
        n_reviewers=90,
        per_app=3,
        true_bias=rng.normal(scale=0.3, size=90),
        noise_sd=0.4,
    )
    # Plus a group of two reviewers sharing two applications, and a reviewer on their own.
    reviews += [("pair", "p1", 2.0), ("pair", "p2", 3.0), ("pair2", "p1", 1.0)]
    reviews += [("pair2", "p2", 1.5), ("lone", "solo", 3.0)]
    result = calibrate(reviews, scale=(-5, 10))
    assert result.groups == 3 and result.bias_sd > 0
    assert_matches_dense_posterior(result, reviews)


def test_no_bias_in_the_data_gives_exactly_the_plain_mean() -> None:
    # Each reviewer is above the other as often and by as much as below: no evidence of bias.
    reviews = [
        ("a", "r1", 3.0), ("a", "r2", 4.0),
        ("b", "r1", 4.0), ("b", "r2", 3.0),
        ("c", "r1", 2.0), ("c", "r2", 3.0),
        ("d", "r1", 3.5), ("d", "r2", 2.5),
    ]  # fmt: skip
    result = calibrate(reviews)
    assert result.bias_sd == 0.0
    assert result.bias == {"r1": 0.0, "r2": 0.0}
    assert result.quality == result.raw_mean == {"a": 3.5, "b": 3.5, "c": 2.5, "d": 3.0}
    # Eight deviations of 0.5 from their application's mean, on 8 - 4 degrees of freedom.
    assert result.noise_sd == pytest.approx(math.sqrt(8 * 0.25 / 4))


def test_quality_is_not_clipped_to_the_scale() -> None:
    # "h" is a point below "r" on the four shared applications, then gives "x" the top score.
    reviews = [(a, "r", 4.0) for a in "abcd"] + [(a, "h", 3.0) for a in "abcd"]
    reviews += [("e", "r", 3.0), ("e", "h", 2.0), ("f", "r", 3.5), ("f", "h", 2.6)]
    reviews += [("x", "h", 5.0)]
    result = calibrate(reviews)
    assert result.bias["h"] < 0
    assert result.quality["x"] > 5.0
    assert result.raw_mean["x"] == 5.0


def test_single_reviews_by_distinct_reviewers_fall_back_to_the_plain_mean() -> None:
    reviews = [(f"app{i}", f"rev{i}", float(i)) for i in range(5)]
    result = calibrate(reviews)
    assert result.quality == result.raw_mean == {f"app{i}": float(i) for i in range(5)}
    assert result.groups == 5
    assert set(result.group_of.values()) == set(range(5))
    assert all(math.isfinite(se) and se > 0 for se in result.std_error.values())
    assert result.std_error["app0"] == pytest.approx(5 / math.sqrt(12))
    assert result.bias_sd == 0.0
    assert any("No application has two reviews" in w for w in result.warnings)


def test_one_reviewer_for_everything_cannot_estimate_bias() -> None:
    result = calibrate([("a", "solo", 1.0), ("b", "solo", 4.0), ("c", "solo", 2.5)])
    assert result.quality == {"a": 1.0, "b": 4.0, "c": 2.5}
    assert result.bias == {"solo": 0.0}
    assert result.groups == 1
    assert any("cannot be estimated" in w for w in result.warnings)


@pytest.mark.parametrize(
    "reviews",
    [
        [("a", "r1", 1.0), ("a", "r2", 4.0)],
        # A chain: r1 and r2 share "a", r2 and r3 share "b"; no comparison is made twice.
        [("a", "r1", 1.0), ("a", "r2", 3.0), ("b", "r2", 2.0), ("b", "r3", 4.5)],
    ],
)
def test_bias_and_noise_that_cannot_be_separated_give_the_plain_mean(reviews: list[Review]) -> None:
    result = calibrate(reviews)
    assert result.quality == result.raw_mean
    assert result.bias_sd == 0.0 and result.noise_sd > 0
    assert any("cannot be told apart from noise" in w for w in result.warnings)


def test_a_single_review() -> None:
    result = calibrate([("only", "someone", 3.0)])
    assert result.quality == {"only": 3.0}
    assert result.n_reviews == {"only": 1}
    assert math.isfinite(result.std_error["only"]) and result.std_error["only"] > 0
    assert result.groups == 1 and result.group_of == {"only": 0}


def test_empty_input_returns_an_empty_calibration() -> None:
    result: Calibration[str, str] = calibrate([])
    assert result.quality == result.std_error == result.bias == result.raw_mean == {}
    assert result.groups == 0
    assert result.warnings == ["No reviews to calibrate."]
    assert calibrate(iter(())) == result


def test_reviewers_who_always_agree_give_zero_noise() -> None:
    reviews = [(a, r, 4.0) for a in "abc" for r in ("r1", "r2")] + [("d", "r1", 2.0)]
    result = calibrate(reviews)
    assert result.noise_sd == 0.0 and result.bias_sd == 0.0
    assert result.quality == {"a": 4.0, "b": 4.0, "c": 4.0, "d": 2.0}
    assert set(result.std_error.values()) == {0.0}
    assert any("always gave the same score" in w for w in result.warnings)


@pytest.mark.parametrize("reviewers", [["r1"], ["r1", "r2"], ["r1", "r2", "r3"]])
def test_all_equal_scores(reviewers: list[str]) -> None:
    result = calibrate([(a, r, 2.5) for a in "abcd" for r in reviewers])
    assert result.quality == result.raw_mean == dict.fromkeys("abcd", 2.5)
    assert set(result.bias.values()) == {0.0}
    assert all(math.isfinite(se) for se in result.std_error.values())


def test_bias_that_explains_every_difference_is_flagged_without_crashing() -> None:
    reviews = [(a, "low", float(s)) for a, s in zip("abcdef", [1, 2, 3, 2, 1, 3], strict=True)]
    reviews += [(a, "high", s + 1.0) for a, s in zip("abcdef", [1, 2, 3, 2, 1, 3], strict=True)]
    result = calibrate(reviews)
    assert result.bias["high"] - result.bias["low"] == pytest.approx(1.0, abs=1e-3)
    assert result.quality["c"] - result.quality["a"] == pytest.approx(2.0, abs=1e-6)
    assert all(math.isfinite(v) for v in result.std_error.values())
    assert any("almost all disagreement" in w for w in result.warnings)


def test_disconnected_groups_are_counted_and_calibrated_separately() -> None:
    first = [(f"a{i}", r, 2.0 + i % 3 + (0.5 if r == "r1" else 0.0)) for i in range(6)
             for r in ("r1", "r2")]  # fmt: skip
    second = [(f"b{i}", r, 1.0 + i % 2 + (0.3 if r == "s1" else 0.0)) for i in range(3)
              for r in ("s1", "s2", "s3")]  # fmt: skip
    result = calibrate(first + second)
    assert result.groups == 2
    assert {result.group_of[f"a{i}"] for i in range(6)} == {0}  # the larger group is 0
    assert {result.group_of[f"b{i}"] for i in range(3)} == {1}
    assert any("2 separate groups" in w for w in result.warnings)
    assert result.bias["r1"] + result.bias["r2"] == pytest.approx(0.0, abs=1e-12)
    assert sum(result.bias[s] for s in ("s1", "s2", "s3")) == pytest.approx(0.0, abs=1e-12)
    assert result.bias["r1"] > result.bias["r2"]


def test_isolated_reviewers_are_named_in_a_warning() -> None:
    reviews = [(a, r, 3.0 + (a == "b") - (r == "r2") * 0.5) for a in "abc" for r in ("r1", "r2")]
    reviews += [("z", "loner", 4.0)]
    result = calibrate(reviews)
    assert result.bias["loner"] == 0.0
    assert any("'loner'" in w and "share no application" in w for w in result.warnings)
    assert any("Too few reviewers" in w for w in result.warnings)


def test_input_order_does_not_change_anything() -> None:
    _, reviews = make_call(
        seed=3, n_apps=60, n_reviewers=12, per_app=3, true_bias=np.linspace(-1, 1, 12), noise_sd=0.3
    )
    expected = calibrate(reviews)
    for seed in range(3):
        shuffled = reviews[:]
        random.Random(seed).shuffle(shuffled)
        result = calibrate(shuffled)
        assert result == expected
        assert list(result.quality) == list(expected.quality)


def test_ids_may_be_any_hashable_values() -> None:
    class Token:
        def __init__(self, name: str) -> None:
            self.name = name

        def __repr__(self) -> str:
            return f"Token({self.name})"

    apps = [1, "1", (2, "x"), frozenset({3}), None, Decimal("2.5")]
    reviewers = [Token("t"), ("panel", 1), 7.5]
    scores = [[3.0, 3.5, 4.0], [1.0, 2.0, 1.5], [4.5, 5.0, 4.0], [2.0, 2.5, 3.0], [0.0, 1.0, 0.5],
              [3.0, 4.0, 3.0]]  # fmt: skip
    reviews = [(a, r, s) for a, row in zip(apps, scores, strict=True)
               for r, s in zip(reviewers, row, strict=True)]  # fmt: skip
    result = calibrate(reviews)
    plain = calibrate([(apps.index(a), reviewers.index(r), s) for a, r, s in reviews])

    assert set(result.quality) == set(apps) and set(result.bias) == set(reviewers)
    for i, a in enumerate(apps):
        assert result.quality[a] == pytest.approx(plain.quality[i], abs=1e-7)
        assert result.std_error[a] == pytest.approx(plain.std_error[i], abs=1e-7)
    assert list(calibrate(reversed(reviews)).quality) == list(result.quality)


def test_accepts_decimal_and_numpy_scores() -> None:
    result = calibrate([("a", "r", Decimal("3.5")), ("b", "r", np.float64(2.0)), ("c", "r", 4)])
    assert result.raw_mean == {"a": 3.5, "b": 2.0, "c": 4.0}


@pytest.mark.parametrize(
    ("reviews", "message"),
    [
        ([("a", "r", 7.0)], "score 7.0 of application 'a' by reviewer 'r' is outside the scale"),
        ([("a", "r", -0.5)], r"outside the scale \[0, 5\]"),
        ([("a", "r", float("nan"))], "score of application 'a' by reviewer 'r' is nan, not a fin"),
        ([("a", "r", float("inf"))], "is inf, not a finite number"),
        ([("a", "r", Decimal("NaN"))], "not a finite number"),
        ([("a", "r", "3")], "score of application 'a' by reviewer 'r' is '3', not a number"),
        ([("a", "r", None)], "is None, not a number"),
        ([("a", "r", True)], "is True, not a number"),
        (
            [("a", "r", 3.0), ("b", "r", 2.0), ("a", "r", 4.0)],
            r"reviewer 'r' scored application 'a' twice \(3 and 4\)",
        ),
        ([("a", "r", 3.0), ("b", "r")], r"review #2 is \('b', 'r'\); expected \(application_id"),
        ([("a", "r", 3.0), 5], "review #2 is 5"),
    ],
)
def test_bad_reviews_are_refused_with_a_clear_message(reviews: list[Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calibrate(reviews)


def test_unhashable_ids_are_refused() -> None:
    with pytest.raises(TypeError, match="ids must be hashable"):
        calibrate([(["a"], "r", 3.0)])  # type: ignore[type-var]


@pytest.mark.parametrize("scale", [(5, 0), (1, 1), (0, float("inf")), ("low", 5), (1,), None])
def test_bad_scales_are_refused(scale: object) -> None:
    with pytest.raises(ValueError, match="scale must be"):
        calibrate([("a", "r", 1.0)], scale=scale)  # type: ignore[arg-type]


def test_scale_bounds_are_inclusive_and_configurable() -> None:
    assert calibrate([("a", "r", 0.0), ("b", "r", 5.0)]).raw_mean == {"a": 0.0, "b": 5.0}
    assert calibrate([("a", "r", 20)], scale=(0, 20)).quality == {"a": 20.0}


# --- properties ---------------------------------------------------------------------------------

score = st.one_of(st.integers(0, 10).map(lambda k: k / 2), st.floats(0.0, 5.0))


@st.composite
def review_sets(draw: st.DrawFn) -> list[tuple[int, str, float]]:
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, 9), st.sampled_from(["r0", "r1", "r2", "r3", "r4", "r5"])),
            min_size=1,
            max_size=36,
            unique=True,
        )
    )
    return [(a, r, draw(score)) for a, r in pairs]


@st.composite
def well_connected_review_sets(draw: st.DrawFn) -> list[tuple[int, str, float]]:
    """Every application reviewed at least twice, so bias is usually estimable."""
    n_reviewers = draw(st.integers(2, 6))
    reviews = []
    for app in range(draw(st.integers(2, 10))):
        panel = draw(st.sets(st.integers(0, n_reviewers - 1), min_size=2, max_size=n_reviewers))
        reviews += [(app, f"r{r}", draw(score)) for r in sorted(panel)]
    return reviews


any_reviews = st.one_of(review_sets(), well_connected_review_sets())

fast = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(any_reviews)
def test_property_means_counts_and_errors_are_sound(reviews: list[tuple[int, str, float]]) -> None:
    result = calibrate(reviews)
    for app in {a for a, _, _ in reviews}:
        own = [s for a, _, s in reviews if a == app]
        assert result.n_reviews[app] == len(own)
        assert result.raw_mean[app] == pytest.approx(statistics.fmean(own), rel=1e-12, abs=1e-12)
        assert math.isfinite(result.quality[app])
        se = result.std_error[app]
        assert math.isfinite(se) and se >= 0
        if result.noise_sd > 0:
            assert se > 0
        assert 0 <= result.group_of[app] < result.groups
    assert math.isfinite(result.noise_sd) and math.isfinite(result.bias_sd)
    assert (result.groups > 1) == any("separate groups" in w for w in result.warnings)


@fast
@given(any_reviews)
def test_property_biases_sum_to_zero_in_each_group(reviews: list[tuple[int, str, float]]) -> None:
    result = calibrate(reviews)
    totals: dict[int, float] = {}
    for reviewer, group in reviewer_groups(result, reviews).items():
        totals[group] = totals.get(group, 0.0) + result.bias[reviewer]
    assert all(abs(total) < 1e-9 for total in totals.values())


@fast
@given(any_reviews)
def test_property_no_estimated_bias_means_the_plain_mean(reviews: list[Review]) -> None:
    result = calibrate(reviews)
    if result.bias_sd == 0.0:
        assert result.quality == result.raw_mean
        assert set(result.bias.values()) == {0.0}


@fast
@given(any_reviews, st.floats(-4.0, 4.0))
def test_property_adding_a_constant_to_every_score_shifts_quality_by_it(
    reviews: list[tuple[int, str, float]], shift: float
) -> None:
    wide = (-10.0, 15.0)
    before = calibrate(reviews, scale=wide)
    after = calibrate([(a, r, s + shift) for a, r, s in reviews], scale=wide)
    for app, quality in before.quality.items():
        assert after.quality[app] == pytest.approx(quality + shift, abs=1e-6)
        assert after.std_error[app] == pytest.approx(before.std_error[app], abs=1e-6)
    for reviewer, bias in before.bias.items():
        assert after.bias[reviewer] == pytest.approx(bias, abs=1e-6)


@fast
@given(any_reviews, st.randoms(use_true_random=False))
def test_property_permuting_the_input_changes_nothing(
    reviews: list[tuple[int, str, float]], rnd: random.Random
) -> None:
    shuffled = reviews[:]
    rnd.shuffle(shuffled)
    assert calibrate(shuffled) == calibrate(reviews)


@fast
@given(any_reviews)
def test_property_estimates_are_the_posterior_of_the_model(
    reviews: list[tuple[int, str, float]],
) -> None:
    result = calibrate(reviews)
    if result.bias_sd > 0 and result.noise_sd > 0:
        assert_matches_dense_posterior(result, reviews)
    else:
        assert result.quality == result.raw_mean
