"""Benchmark of the impact engine: does it recover a planted effect, and how fast is it?

Run from the repository root: ``.venv/bin/python bench/impact_simulation.py`` (``--quick`` for a
small, fast run). Prints figures; asserts nothing.

Difference in differences: each simulated portfolio has ``--firms`` applicants followed for 10
years (2012-2021). Firm fixed effects ``a_i ~ N(0, 1)`` drive selection (funded with probability
``logistic(a_i - 0.5)``: better firms get funded more often, so a plain comparison of levels is
biased), funded firms get their award in a year drawn uniformly in 2014-2020 (staggered), every
year has a common shock ``l_t ~ N(0, 0.5^2)``, and errors follow an AR(1) within the firm
(``rho = 0.5``, innovation sd 0.8: clustering matters). The planted effect grows with time since
the award: ``0.1 * (1 + t - g)`` at ``t >= g`` (0.1 in the award year, 0.5 four years on). The
target is the average planted effect over the funded firm-years of the sample (what
``estimate_did``'s "simple" aggregation estimates). Plain two-way fixed effects is printed beside
it: with growing effects and staggered awards it uses already-funded firms as controls and is
biased downwards (Goodman-Bacon 2021).

Regression discontinuity: each simulated call has ``--applicants`` applicants with a score
``~ N(12, 3^2)``, funded at or above 13; the outcome is
``1 + 0.25 (x - 13) - 0.03 (x - 13)^2 + 0.002 (x - 13)^3 + tau(x) [x >= 13] + noise``, with
``tau(x) = 1 + 0.1 (x - 13)`` (an effect that varies with the score; the target is ``tau(13) = 1``)
and heteroskedastic noise of sd ``1 + 0.05 |x - 13|``.

Scores on a grid: the same calls with scores rounded to half points (consensus averages of
marks), which puts many applicants on the same score.

Jobs forecast: portfolios of 300 firms whose ``log(1 + FTE)`` follows a random walk with a common
shock per year, backtested from 2018 on 2019-2021 (:func:`pepiniere.engine.forecast.backtest`);
coverage of the 80 % and 95 % intervals over all forecast years.

Speed: 100 000 firms x 10 years for ``estimate_did`` (target < 10 s, issue 13) and 100 000
applicants for ``estimate_rdd`` (target < 2 s), each against a plain numpy baseline on the same
data in the same run: two-way demeaning and OLS (DiD; once on ready arrays, once reading the rows
into arrays first), two weighted least squares fits at the chosen bandwidth (RDD).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

# One BLAS thread unless told otherwise, set before numpy loads OpenBLAS: on a shared machine a
# busy neighbour stalls multithreaded OpenBLAS 5-10x, so figures would measure the neighbour.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pepiniere.engine.forecast import backtest  # noqa: E402
from pepiniere.engine.impact import (  # noqa: E402
    ImpactEstimate,
    estimate_did,
    estimate_rdd,
    estimate_twfe,
)

FIRST_YEAR, YEARS = 2012, 10
CUTOFF = 13.0
PanelRows = list[tuple[int, int, int | None, float]]


def simulate_portfolio(rng: np.random.Generator, n_firms: int) -> tuple[PanelRows, float]:
    """Rows of one portfolio and its planted average effect over funded firm-years."""
    fixed = rng.normal(size=n_firms)
    funded = rng.random(n_firms) < 1.0 / (1.0 + np.exp(-(fixed - 0.5)))
    award = np.where(funded, rng.integers(FIRST_YEAR + 2, FIRST_YEAR + 9, size=n_firms), 0)
    shocks = rng.normal(scale=0.5, size=YEARS)
    noise = np.empty((n_firms, YEARS))
    noise[:, 0] = rng.normal(scale=0.8 / np.sqrt(1 - 0.25), size=n_firms)
    for j in range(1, YEARS):
        noise[:, j] = 0.5 * noise[:, j - 1] + rng.normal(scale=0.8, size=n_firms)
    years = FIRST_YEAR + np.arange(YEARS)
    since = years[None, :] - award[:, None]
    exposed = funded[:, None] & (since >= 0)
    effect = np.where(exposed, 0.1 * (1 + since), 0.0)
    outcome = 2.0 + fixed[:, None] + shocks[None, :] + effect + noise
    first: list[int | None] = [int(g) if f else None for g, f in zip(award, funded, strict=True)]
    rows: PanelRows = [
        (i, int(years[j]), first[i], float(outcome[i, j]))
        for i in range(n_firms)
        for j in range(YEARS)
    ]
    return rows, float(effect[exposed].mean())


def simulate_call(
    rng: np.random.Generator, n: int, grid: float = 0.0
) -> list[tuple[int, float, float]]:
    x = rng.normal(12.0, 3.0, size=n)
    if grid:
        x = np.round(x / grid) * grid
    c = x - CUTOFF
    tau = 1.0 + 0.1 * c
    y = (
        1.0
        + 0.25 * c
        - 0.03 * c**2
        + 0.002 * c**3
        + np.where(c >= 0, tau, 0.0)
        + rng.normal(size=n) * (1.0 + 0.05 * np.abs(c))
    )
    return [(i, float(a), float(b)) for i, (a, b) in enumerate(zip(x, y, strict=True))]


def _summary(label: str, estimates: list[ImpactEstimate], truths: list[float]) -> None:
    got = [(e, t) for e, t in zip(estimates, truths, strict=True) if e.effect is not None]
    covered = [
        e.ci_low is not None and e.ci_high is not None and e.ci_low <= t <= e.ci_high
        for e, t in got
    ]
    errors = np.array([e.effect - t for e, t in got if e.effect is not None])
    mean_truth = float(np.mean([t for _, t in got]))
    widths = [e.ci_high - e.ci_low for e, _ in got if e.ci_high is not None and e.ci_low]
    print(
        f"  {label:<34} {np.mean(covered):9.1%} {errors.mean():+9.4f}"
        f" {errors.mean() / mean_truth:+9.1%} {np.sqrt((errors**2).mean()):8.4f}"
        f" {np.mean(widths):8.4f} {len(estimates) - len(got):5d}"
    )


def did_experiment(portfolios: int, n_firms: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    did, twfe, truths = [], [], []
    warned = 0
    for _ in range(portfolios):
        rows, truth = simulate_portfolio(rng, n_firms)
        did.append(estimate_did(rows))
        twfe.append(estimate_twfe(rows))
        truths.append(truth)
        warned += bool(did[-1].warnings)
    print(
        f"Difference in differences: {portfolios} portfolios of {n_firms} firms x {YEARS} years,"
        f" planted average effect {np.mean(truths):.3f} (mean over portfolios)"
    )
    print(
        f"  {'estimator':<34} {'coverage':>9} {'bias':>9} {'bias/eff':>9} {'RMSE':>8}"
        f" {'CI width':>8} {'none':>5}"
    )
    _summary("estimate_did (Callaway-Sant'Anna)", did, truths)
    _summary("plain TWFE (comparison)", twfe, truths)
    pre_rejections = np.mean(
        [e.pretrend_p_value is not None and e.pretrend_p_value < 0.05 for e in did]
    )
    print(
        f"  targets: coverage of the 95 % interval >= 90 %, |bias| < 10 % of the effect."
        f" Pre-trend test rejected (at 5 %) in {pre_rejections:.1%} of portfolios (true"
        f" trends are parallel: ~5 % expected); portfolios with a warning: {warned}"
    )


def rdd_experiment(calls: int, n: int, seed: int, grid: float = 0.0) -> None:
    rng = np.random.default_rng(seed)
    estimates = [estimate_rdd(simulate_call(rng, n, grid), cutoff=CUTOFF) for _ in range(calls)]
    truths = [1.0] * calls
    scores = f"scores on a {grid:g}-point grid" if grid else "continuous scores"
    print(
        f"\nRegression discontinuity: {calls} calls of {n} applicants, {scores}, planted effect"
        " at the cut-off 1.000"
    )
    print(
        f"  {'estimator':<34} {'coverage':>9} {'bias':>9} {'bias/eff':>9} {'RMSE':>8}"
        f" {'CI width':>8} {'none':>5}"
    )
    _summary("estimate_rdd (effect, robust CI)", estimates, truths)
    corrected = [
        ImpactEstimate(
            effect=e.effect_bias_corrected,
            std_error=e.std_error,
            ci_low=e.ci_low,
            ci_high=e.ci_high,
            n_treated=e.n_treated,
            n_control=e.n_control,
            method=e.method,
        )
        for e in estimates
    ]
    _summary("  its bias-corrected point", corrected, truths)
    bandwidths = [e.bandwidth for e in estimates if e.bandwidth is not None]
    density = np.mean(
        [e.density_p_value is not None and e.density_p_value < 0.05 for e in estimates]
    )
    print(
        f"  mean bandwidth {np.mean(bandwidths):.2f} score points; density test rejected (at 5 %)"
        f" in {density:.1%} of calls (no manipulation: ~5 % expected)."
        " Targets: coverage >= 90 %, |bias| < 10 %."
    )


def simulate_jobs(rng: np.random.Generator, n_firms: int) -> list[tuple[int, int, float]]:
    """FTE of a portfolio 2012-2021: log(1 + FTE) random walks with a common shock per year
    (mean 3 %, sd 8 %), faster growth for firms under 3.5 FTE, idiosyncratic sd 30 %."""
    shocks = rng.normal(0.03, 0.08, size=YEARS)
    level = np.log1p(rng.gamma(1.5, 3.0, size=n_firms))
    rows = []
    for j in range(YEARS):
        if j:
            step = shocks[j] + 0.1 * (level < 1.5) + rng.normal(0.0, 0.3, size=n_firms)
            level = np.maximum(level + step, 0.0)
        rows += [(i, FIRST_YEAR + j, float(np.expm1(v))) for i, v in enumerate(level)]
    return rows


def forecast_experiment(portfolios: int, n_firms: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    inside_80, inside_95, errors = [], [], []
    for _ in range(portfolios):
        result = backtest(simulate_jobs(rng, n_firms), origin_year=2018, draws=1000)
        for year in result.years:
            inside_80.append(year.inside_80)
            inside_95.append(year.inside_95)
            errors.append(year.forecast.point / year.actual - 1.0)
    print(
        f"\nJobs forecast backtest: {portfolios} simulated portfolios of {n_firms} firms, forecast"
        " from 2012-2018 for 2019-2021 (forecast_jobs via backtest)"
    )
    print(
        f"  coverage of the 80 % interval {np.mean(inside_80):.1%}, of the 95 % interval"
        f" {np.mean(inside_95):.1%} ({len(inside_95)} forecast years); median relative error"
        f" of the point {np.median(errors):+.1%}, median absolute {np.median(np.abs(errors)):.1%}"
    )


def _timed(function: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds; CPU time is what a busy neighbour cannot inflate."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def _numpy_twfe(unit: np.ndarray, year: np.ndarray, d: np.ndarray, y: np.ndarray) -> float:
    """Baseline: two-way demeaning of a balanced panel and OLS, on ready numpy arrays."""
    n_units, n_years = int(unit.max()) + 1, int(year.max()) + 1

    def demean(v: np.ndarray) -> np.ndarray:
        v = v - (np.bincount(unit, weights=v, minlength=n_units) / np.bincount(unit))[unit]
        means = np.bincount(year, weights=v, minlength=n_years) / np.bincount(year)
        return np.asarray(v - means[year], dtype=float)

    dd, yy = demean(d), demean(y)
    return float(dd @ yy / (dd @ dd))


def _numpy_local_linear(x: np.ndarray, y: np.ndarray, h: float) -> float:
    """Baseline: two triangular-kernel weighted least squares fits at a given bandwidth."""
    intercepts = []
    for side in (x < 0, x >= 0):
        xs, ys = x[side], y[side]
        w = np.sqrt(np.clip(1 - np.abs(xs) / h, 0, None))
        design = np.column_stack([np.ones_like(xs), xs]) * w[:, None]
        intercepts.append(np.linalg.lstsq(design, ys * w, rcond=None)[0][0])
    return float(intercepts[1] - intercepts[0])


def did_speed(n_firms: int, runs: int, seed: int) -> None:
    rows, _ = simulate_portfolio(np.random.default_rng(seed), n_firms)
    did_wall, did_cpu = _timed(lambda: estimate_did(rows), runs)
    twfe_wall, twfe_cpu = _timed(lambda: estimate_twfe(rows), runs)

    def read() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        units, years, firsts, outcomes = zip(*rows, strict=True)
        year = np.array(years) - FIRST_YEAR
        first = np.array([9999 if f is None else f for f in firsts])
        return np.array(units), year, (year + FIRST_YEAR >= first).astype(float), np.array(outcomes)

    unit, year, d, y = read()
    base_wall, base_cpu = _timed(lambda: _numpy_twfe(unit, year, d, y), runs)
    read_wall, read_cpu = _timed(lambda: _numpy_twfe(*read()), runs)
    label = f"estimate_did, {n_firms} firms x {YEARS} years ({len(rows)} rows)"
    print(f"  {label:<54} {did_wall:7.3f} {did_cpu:7.3f} s (target < 10 s)")
    print(f"  {'estimate_twfe (same rows)':<54} {twfe_wall:7.3f} {twfe_cpu:7.3f} s")
    print(f"  {'baseline: numpy two-way demeaning + OLS':<54} {base_wall:7.3f} {base_cpu:7.3f} s")
    label = "baseline with reading the rows into numpy arrays"
    print(f"  {label:<54} {read_wall:7.3f} {read_cpu:7.3f} s")
    print(
        f"  {'ratio estimate_did / baseline':<54} {did_wall / base_wall:7.1f}"
        f" {did_cpu / base_cpu:7.1f} x"
    )
    print(
        f"  {'ratio estimate_did / baseline with reading':<54} {did_wall / read_wall:7.1f}"
        f" {did_cpu / read_cpu:7.1f} x"
    )


def rdd_speed(n_applicants: int, runs: int, seed: int) -> None:
    call = simulate_call(np.random.default_rng(seed), n_applicants)
    rdd_wall, rdd_cpu = _timed(lambda: estimate_rdd(call, cutoff=CUTOFF), runs)
    h = estimate_rdd(call, cutoff=CUTOFF).bandwidth or 1.0
    x = np.array([r[1] for r in call]) - CUTOFF
    y = np.array([r[2] for r in call])
    base_wall, base_cpu = _timed(lambda: _numpy_local_linear(x, y, h), runs)
    label = f"estimate_rdd, {n_applicants} applicants"
    print(f"  {label:<54} {rdd_wall:7.3f} {rdd_cpu:7.3f} s (target < 2 s)")
    label = "baseline: numpy local linear at that bandwidth"
    print(f"  {label:<54} {base_wall:7.3f} {base_cpu:7.3f} s")
    print(
        f"  {'ratio estimate_rdd / baseline':<54} {rdd_wall / base_wall:7.1f}"
        f" {rdd_cpu / base_cpu:7.1f} x"
    )


def speed_experiment(n_firms: int, n_applicants: int, runs: int, seed: int) -> None:
    print(
        f"\nSpeed (median of {runs} run(s); input as a list of tuples, parsing included in the"
        " engine's time; the second baseline reads them too)"
    )
    print(f"  {'':<54} {'wall':>7} {'CPU':>7}")
    did_speed(n_firms, runs, seed)
    rdd_speed(n_applicants, runs, seed)
    threads = os.environ["OPENBLAS_NUM_THREADS"]
    print(
        f"  machine: {os.cpu_count()} CPUs, OPENBLAS_NUM_THREADS={threads},"
        f" 1-minute load average {os.getloadavg()[0]:.2f} at the end"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few portfolios, small speed case")
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--portfolios", type=int, default=200)
    parser.add_argument("--firms", type=int, default=400, help="firms per simulated portfolio")
    parser.add_argument("--applicants", type=int, default=2000, help="applicants per call")
    args = parser.parse_args()
    if args.quick:
        did_experiment(20, args.firms, args.seed)
        rdd_experiment(20, args.applicants, args.seed)
        rdd_experiment(20, args.applicants, args.seed, grid=0.5)
        forecast_experiment(10, 300, args.seed)
        speed_experiment(10_000, 10_000, runs=1, seed=args.seed)
    else:
        did_experiment(args.portfolios, args.firms, args.seed)
        rdd_experiment(args.portfolios, args.applicants, args.seed)
        rdd_experiment(args.portfolios, args.applicants, args.seed, grid=0.5)
        forecast_experiment(100, 300, args.seed)
        speed_experiment(100_000, 100_000, runs=3, seed=args.seed)


if __name__ == "__main__":
    main()
