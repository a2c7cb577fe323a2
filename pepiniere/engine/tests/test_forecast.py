"""Behaviour of forecast_jobs and backtest as a caller sees them."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from pepiniere.engine.forecast import backtest, forecast_jobs

Row = tuple[object, int, float]


def make_portfolio(seed: int, n: int = 200, years: range = range(2012, 2022)) -> list[Row]:
    """log(1 + FTE) random walks: a common shock per year, faster growth for small firms."""
    rng = np.random.default_rng(seed)
    shocks = rng.normal(0.03, 0.08, size=len(years))
    level = np.log1p(rng.gamma(1.5, 3.0, size=n))
    rows: list[Row] = []
    for j, year in enumerate(years):
        if j:
            step = shocks[j] + 0.1 * (level < 1.5) + rng.normal(0.0, 0.3, size=n)
            level = np.maximum(level + step, 0.0)
        rows += [(f"firm{i}", year, float(np.expm1(level[i]))) for i in range(n)]
    return rows


def test_a_portfolio_that_never_changes_is_forecast_flat_and_certain() -> None:
    rows = [(i, year, float(i % 7)) for i in range(30) for year in range(2015, 2021)]
    result = forecast_jobs(rows, draws=200)
    assert result.origin_year == 2020 and result.observed == sum(i % 7 for i in range(30))
    assert [y.year for y in result.years] == [2021, 2022, 2023]
    for year in result.years:
        values = (year.low_95, year.low_80, year.point, year.high_80, year.high_95)
        assert values == pytest.approx((result.observed,) * 5)
    assert result.warnings == []


def test_steady_growth_is_extrapolated_exactly() -> None:
    # Every firm's 1 + FTE grows by 10 % a year.
    rows = [
        (i, year, (1.0 + i) * 1.1 ** (year - 2015) - 1.0)
        for i in range(20)
        for year in range(2015, 2021)
    ]
    result = forecast_jobs(rows, draws=200)
    for step, year in enumerate(result.years, start=1):
        expected = sum((1.0 + i) * 1.1 ** (5 + step) - 1.0 for i in range(20))
        assert year.point == pytest.approx(expected)
        assert year.high_95 - year.low_95 == pytest.approx(0.0, abs=1e-6)


def test_intervals_are_nested_and_widen_with_the_horizon() -> None:
    result = forecast_jobs(make_portfolio(1), draws=500)
    assert result.n_firms == 200 and result.draws == 500
    assert result.history_years == list(range(2013, 2022))
    widths = []
    for year in result.years:
        assert year.low_95 <= year.low_80 <= year.point <= year.high_80 <= year.high_95
        widths.append(year.high_95 - year.low_95)
    assert widths == sorted(widths) and widths[0] > 0


def test_deterministic_and_independent_of_row_order() -> None:
    rows = make_portfolio(2, n=80)
    shuffled = rows[:]
    random.Random(2).shuffle(shuffled)
    assert forecast_jobs(shuffled, draws=300) == forecast_jobs(rows, draws=300)
    assert forecast_jobs(rows, draws=300, seed=1) != forecast_jobs(rows, draws=300)


def test_backtest_compares_the_forecast_with_what_was_recorded() -> None:
    rows = make_portfolio(3, n=150)
    result = backtest(rows, origin_year=2018, draws=400)
    assert [y.year for y in result.years] == [2019, 2020, 2021]
    recorded_2020 = sum(fte for _, year, fte in rows if year == 2020)
    assert result.years[1].actual == pytest.approx(recorded_2020)
    assert result.forecast.origin_year == 2018
    assert result.forecast.history_years == list(range(2013, 2019))
    assert result.coverage_80 is not None and result.coverage_95 is not None
    for year in result.years:
        assert year.inside_95 == (year.forecast.low_95 <= year.actual <= year.forecast.high_95)


def test_backtest_compares_only_firms_that_reported() -> None:
    rows = make_portfolio(4, n=60)
    silent = [r for r in rows if not (r[0] == "firm0" and r[1] == 2020)]
    result = backtest(silent, origin_year=2018, draws=300)
    assert [y.reported for y in result.years] == [60, 59, 60]
    full = backtest(rows, origin_year=2018, draws=300)
    assert result.years[1].forecast.point < full.years[1].forecast.point


def test_warnings_for_short_history_and_silent_firms() -> None:
    rows = make_portfolio(5, n=40, years=range(2018, 2021))
    rows = [r for r in rows if not (r[0] == "firm1" and r[1] == 2020)]
    result = forecast_jobs(rows, draws=200)
    codes = {n.code for n in result.notices}
    assert codes == {"short_history", "not_reported"}
    assert result.n_firms == 39
    assert any("2020" in text for text in result.warnings)


def test_a_single_year_gives_no_forecast_but_says_why() -> None:
    result = forecast_jobs([(1, 2020, 3.0), (2, 2020, 4.0)])
    assert result.years == [] and result.observed == 7.0
    assert [n.code for n in result.notices] == ["no_history"]
    assert forecast_jobs([]).notices[0].code == "no_data"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(1, 2020)], "row #1"),
        ([(1, 2020.0, 1.0)], "not an integer"),
        ([(1, 2020, "3")], "not a number"),
        ([(1, 2020, -1.0)], ">= 0"),
        ([(1, 2020, math.nan)], ">= 0"),
        ([(1, 2020, 1.0), (1, 2020, 2.0)], "two rows"),
    ],
)
def test_malformed_rows_are_refused(rows: list[object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        forecast_jobs(rows)  # type: ignore[arg-type]


def test_bad_parameters_are_refused() -> None:
    rows = make_portfolio(6, n=5)
    with pytest.raises(ValueError, match="horizon"):
        forecast_jobs(rows, horizon=0)
    with pytest.raises(ValueError, match="draws"):
        forecast_jobs(rows, draws=0)
    with pytest.raises(ValueError, match="origin_year"):
        backtest(rows, origin_year=1999)
