"""Jobs forecast of a portfolio for the next years, from the portfolio's own history.

Model
-----
The forecast is for the firms of the portfolio that reported in the last year of the data (the
origin ``T``): their total FTE in ``T + 1 ... T + horizon``. Firms funded later are not in it,
and neither are firms that did not report in ``T`` (warned).

A firm's yearly change is ``log(1 + fte_next) - log(1 + fte)`` (log growth of ``1 + FTE``, so a
firm with no employee can hire and a firm can fall to 0). The history is every such change the
portfolio recorded between two consecutive years, labelled with its calendar year and with the
firm's size band at the start (0-1, 1-5, 5-20, 20+ FTE: small firms grow faster in relative
terms). The forecast is a nonparametric posterior predictive simulation:

1. Bayesian bootstrap of calendar years (Rubin 1981): each simulated future draws Dirichlet(1, ...,
   1) weights over the historical years, which carries the uncertainty of a history of only a
   few years into the interval;
2. each future year picks one historical year with those weights: every firm gets a change
   recorded *in that same year*, so good and bad years (common shocks: the economy, a programme's
   rules) hit the whole portfolio together instead of averaging out across firms;
3. a smoothed bootstrap of that year (Silverman 1986): the whole portfolio's changes are shifted
   by a common ``N(0, s^2)``, ``s = 1.06 sd(yearly growth) m^(-1/5)`` over the ``m`` recorded
   years, so a future year can be somewhat better or worse than any recorded one (in 40 simulated
   portfolios x 3 years forecast from six recorded years of change, the 80 % and 95 % intervals
   covered 77 % and 89 % without it, 85 % and 97 % with it);
4. each firm draws its change uniformly among the changes of firms of its current size band in
   the picked year (the whole year when its band has none), and its FTE becomes
   ``max((1 + fte) * exp(change) - 1, 0)``; the band is updated every year.

The point forecast is the median of the simulated totals; the 80 % and 95 % intervals are central
quantiles. Assumptions: the future resembles the recorded years (no trend in growth rates beyond
what those years show), firm changes are independent given the year, and firms that stop
reporting have not closed (a closed firm should report 0; missing years are skipped, not counted
as losses). Deterministic: units are put in canonical order and the simulation uses a fixed seed
(``seed``).

:func:`backtest` re-runs the forecast as if the data stopped at a past year and compares it with
what the following years recorded.

Cost: ``draws * firms * horizon`` random draws, simulated in chunks; the number of draws is
lowered so that this stays under 20 million (at least 200 draws): measured 1.3 s CPU for 10 000
firms x 10 years (666 draws), 5.7 s for 100 000 firms (200 draws), so a page reads a forecast a
task computed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pepiniere.engine.calibration import Notice
from pepiniere.engine.ranking import canonical_order

__all__ = ["Backtest", "BacktestYear", "ForecastYear", "JobsForecast", "backtest", "forecast_jobs"]

SIZE_BANDS = (1.0, 5.0, 20.0)  # upper bounds of the first bands, in FTE
# Fewer recorded years of change than this and the interval rests on too few economic years.
FEW_HISTORY_YEARS = 4
_DRAW_BUDGET = 20_000_000  # draws x firms x years simulated at most (memory and time)
_CHUNK = 2_000_000  # simulated firm-values held at once
_MIN_DRAWS = 200


@dataclass(frozen=True)
class ForecastYear:
    """One future year: ``point`` (median of the simulated totals) and the central 80 % and 95 %
    intervals, in FTE."""

    year: int
    point: float
    low_80: float
    high_80: float
    low_95: float
    high_95: float


@dataclass(frozen=True)
class JobsForecast:
    """Forecast total FTE of the firms that reported in ``origin_year``.

    ``observed`` is their recorded total in ``origin_year``; ``years`` one :class:`ForecastYear`
    per future year (empty when the history cannot support a forecast, with a warning);
    ``n_firms`` the firms forecast, ``history_years`` the calendar years of change the simulation
    draws from, ``draws`` the number of simulated futures, ``method`` a short name.
    ``warnings`` are French sentences for the page, ``notices`` the same as codes and numbers.
    """

    origin_year: int | None
    observed: float
    years: list[ForecastYear] = field(default_factory=list)
    n_firms: int = 0
    history_years: list[int] = field(default_factory=list)
    draws: int = 0
    method: str = "year-block-bootstrap"
    warnings: list[str] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


@dataclass(frozen=True)
class BacktestYear:
    """A past year forecast from ``origin_year`` and what it recorded: ``actual`` is the recorded
    total of the forecast firms that reported that year (``reported`` of ``n_firms``), and the
    forecast is for those same firms."""

    year: int
    actual: float
    reported: int
    forecast: ForecastYear
    inside_80: bool
    inside_95: bool


@dataclass(frozen=True)
class Backtest:
    """:func:`backtest`'s result: one :class:`BacktestYear` per year after ``origin_year`` with
    data, the share of them inside each interval, and the forecast itself."""

    origin_year: int
    years: list[BacktestYear]
    coverage_80: float | None
    coverage_95: float | None
    forecast: JobsForecast


def forecast_jobs(
    rows: Iterable[tuple[Hashable, int, float]],
    *,
    horizon: int = 3,
    draws: int = 2000,
    seed: int = 0,
) -> JobsForecast:
    """Total FTE of the portfolio's current firms for the next ``horizon`` years, with 80 % and
    95 % intervals.

    ``rows`` holds ``(unit_id, year, fte)``, one row per firm and year (``fte`` a finite number
    >= 0). The model and its assumptions are in the module docstring.
    """
    _check_positive(horizon, "horizon")
    _check_positive(draws, "draws")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    history = _History.read(rows)
    return history.forecast(history.last_year, horizon, draws, int(seed), targets={})[0]


def backtest(
    rows: Iterable[tuple[Hashable, int, float]],
    *,
    origin_year: int,
    horizon: int = 3,
    draws: int = 2000,
    seed: int = 0,
) -> Backtest:
    """Forecast made with the rows up to ``origin_year`` against what the next years recorded.

    Each later year is compared on the forecast firms that reported in it (the forecast is summed
    over the same firms), so a firm missing that year changes neither side.
    """
    _check_positive(horizon, "horizon")
    _check_positive(draws, "draws")
    if isinstance(origin_year, bool) or not isinstance(origin_year, numbers.Integral):
        raise ValueError(f"origin_year must be an integer, got {origin_year!r}")
    history = _History.read(rows)
    origin = int(origin_year)
    if history.last_year is None or origin not in history.year_index:
        raise ValueError(f"origin_year {origin_year!r} is not a year of the data")
    column = history.year_index[origin]
    current = np.isfinite(history.fte[:, column])
    targets: dict[int, NDArray[np.bool_]] = {}
    for step in range(1, horizon + 1):
        later = history.year_index.get(origin + step)
        if later is not None:
            targets[origin + step] = current & np.isfinite(history.fte[:, later])
    past = history.until(origin)
    forecast, subsets = past.forecast(origin, horizon, draws, int(seed), targets)
    years = []
    for year, mask in targets.items():
        predicted = subsets[year]
        actual = float(np.nansum(history.fte[mask, history.year_index[year]]))
        years.append(
            BacktestYear(
                year=year,
                actual=actual,
                reported=int(mask.sum()),
                forecast=predicted,
                inside_80=predicted.low_80 <= actual <= predicted.high_80,
                inside_95=predicted.low_95 <= actual <= predicted.high_95,
            )
        )
    return Backtest(
        origin_year=origin,
        years=years,
        coverage_80=float(np.mean([y.inside_80 for y in years])) if years else None,
        coverage_95=float(np.mean([y.inside_95 for y in years])) if years else None,
        forecast=forecast,
    )


def _check_positive(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


class _History:
    """The firm x year FTE matrix in canonical firm order (NaN = not reported)."""

    def __init__(
        self, unit_ids: list[Hashable], years: list[int], fte: NDArray[np.float64]
    ) -> None:
        self.unit_ids, self.years, self.fte = unit_ids, years, fte
        self.year_index = {year: j for j, year in enumerate(years)}

    @classmethod
    def read(cls, rows: Iterable[tuple[Hashable, int, float]]) -> _History:
        units: list[Hashable] = []
        years: list[int] = []
        values: list[float] = []
        for position, row in enumerate(rows, start=1):
            try:
                unit, year, fte = row
            except (TypeError, ValueError):
                raise ValueError(
                    f"row #{position} is {row!r}; expected (unit_id, year, fte)"
                ) from None
            if isinstance(year, bool) or not isinstance(year, numbers.Integral):
                raise ValueError(f"year of unit {unit!r} is {year!r}, not an integer")
            if isinstance(fte, bool) or not isinstance(fte, numbers.Real | Decimal):
                raise ValueError(f"fte of unit {unit!r} in {year} is {fte!r}, not a number")
            value = float(fte)
            if not (math.isfinite(value) and value >= 0.0):
                raise ValueError(f"fte of unit {unit!r} in {year} is {fte!r}; expected >= 0")
            units.append(unit)
            years.append(int(year))
            values.append(value)
        try:
            unit_ids = canonical_order(units)
        except TypeError:
            raise TypeError("unit ids must be hashable") from None
        position_of = {u: i for i, u in enumerate(unit_ids)}
        distinct = sorted(set(years))
        column_of = {year: j for j, year in enumerate(distinct)}
        fte_matrix = np.full((len(unit_ids), len(distinct)), np.nan)
        for unit, year, value in zip(units, years, values, strict=True):
            i, j = position_of[unit], column_of[year]
            if not math.isnan(fte_matrix[i, j]):
                raise ValueError(f"unit {unit!r} has two rows for year {year}; keep one")
            fte_matrix[i, j] = value
        return cls(unit_ids, distinct, fte_matrix)

    @property
    def last_year(self) -> int | None:
        return self.years[-1] if self.years else None

    def until(self, year: int) -> _History:
        years = [y for y in self.years if y <= year]
        return _History(self.unit_ids, years, self.fte[:, : len(years)])

    def forecast(
        self,
        origin: int | None,
        horizon: int,
        draws: int,
        seed: int,
        targets: dict[int, NDArray[np.bool_]],
    ) -> tuple[JobsForecast, dict[int, ForecastYear]]:
        warnings: list[str] = []
        notices: list[Notice] = []

        def warn(code: str, text: str, **params: Any) -> None:
            warnings.append(text)
            notices.append(Notice(code, params))

        if origin is None:
            warn("no_data", "Aucune donnée d'emploi : pas de prévision possible.")
            return JobsForecast(None, 0.0, warnings=warnings, notices=notices), {}
        last = self.fte[:, self.year_index[origin]]
        current = np.isfinite(last)
        earlier = np.isfinite(self.fte[:, : self.year_index[origin]]).any(axis=1)
        silent = int((earlier & ~current).sum())
        if silent:
            warn(
                "not_reported",
                f"{silent} entreprise(s) suivie(s) auparavant n'ont pas déclaré leurs emplois en"
                f" {origin} : elles ne sont pas dans la prévision.",
                count=silent,
                year=origin,
            )
        start = last[current]
        observed = float(start.sum())
        change, change_year, change_band, history_years, spread = self._changes()
        base = JobsForecast(
            origin_year=origin,
            observed=observed,
            n_firms=int(current.sum()),
            history_years=history_years,
            warnings=warnings,
            notices=notices,
        )
        if not history_years or not start.size:
            warn(
                "no_history",
                "Pas assez d'historique (il faut au moins deux années consécutives de suivi des"
                " emplois) pour prévoir les emplois.",
            )
            return base, {}
        if len(history_years) < FEW_HISTORY_YEARS:
            warn(
                "short_history",
                f"La prévision s'appuie sur {len(history_years)} année(s) d'évolution seulement :"
                " les intervalles sont indicatifs.",
                years=len(history_years),
                wanted=FEW_HISTORY_YEARS,
            )
        draws = min(draws, max(_MIN_DRAWS, _DRAW_BUDGET // max(start.size * horizon, 1)))
        subsets = {year: mask[current] for year, mask in targets.items()}
        totals, subset_totals = _simulate(
            start,
            change,
            change_year,
            change_band,
            len(history_years),
            1.06 * spread * len(history_years) ** -0.2,
            horizon,
            draws,
            seed,
            {year - origin: mask for year, mask in subsets.items()},
        )
        years = [_summarise(origin + k + 1, totals[:, k]) for k in range(horizon)]
        by_target = {
            origin + step: _summarise(origin + step, values)
            for step, values in subset_totals.items()
        }
        forecast = JobsForecast(
            origin_year=origin,
            observed=observed,
            years=years,
            n_firms=int(current.sum()),
            history_years=history_years,
            draws=draws,
            warnings=warnings,
            notices=notices,
        )
        return forecast, by_target

    def _changes(
        self,
    ) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.intp], list[int], float]:
        """Every recorded yearly change, sorted by (calendar year, size band); the calendar
        years; the standard deviation of the portfolio's yearly growth across those years."""
        changes: list[NDArray[np.float64]] = []
        labels: list[NDArray[np.intp]] = []
        bands: list[NDArray[np.intp]] = []
        years: list[int] = []
        growth: list[float] = []
        for j in range(len(self.years) - 1):
            if self.years[j + 1] != self.years[j] + 1:
                continue
            both = np.isfinite(self.fte[:, j]) & np.isfinite(self.fte[:, j + 1])
            if not both.any():
                continue
            before, after = self.fte[both, j], self.fte[both, j + 1]
            changes.append(np.log1p(after) - np.log1p(before))
            # The year's growth of the portfolio's 1 + FTE total, for the year-to-year spread.
            growth.append(math.log((after.sum() + after.size) / (before.sum() + before.size)))
            bands.append(_band(before))
            labels.append(np.full(int(both.sum()), len(years), dtype=np.intp))
            years.append(self.years[j + 1])
        if not years:
            empty = np.zeros(0, dtype=np.intp)
            return np.zeros(0), empty, empty, [], 0.0
        change, label, band = np.concatenate(changes), np.concatenate(labels), np.concatenate(bands)
        order = np.lexsort((change, band, label))
        spread = float(np.std(growth, ddof=1)) if len(growth) > 1 else 0.0
        return change[order], label[order], band[order], years, spread


def _band(fte: NDArray[np.float64]) -> NDArray[np.intp]:
    return np.searchsorted(np.asarray(SIZE_BANDS), fte, side="right").astype(np.intp)


def _simulate(
    start: NDArray[np.float64],
    change: NDArray[np.float64],
    change_year: NDArray[np.intp],
    change_band: NDArray[np.intp],
    n_years: int,
    jitter: float,
    horizon: int,
    draws: int,
    seed: int,
    subsets: dict[int, NDArray[np.bool_]],
) -> tuple[NDArray[np.float64], dict[int, NDArray[np.float64]]]:
    """Simulated totals (draws x horizon), and per step in ``subsets`` the totals over a subset."""
    n_bands = len(SIZE_BANDS) + 1
    group = change_year * n_bands + change_band
    group_start = np.searchsorted(group, np.arange(n_years * n_bands), side="left")
    group_count = np.bincount(group, minlength=n_years * n_bands)
    year_start = np.searchsorted(change_year, np.arange(n_years), side="left")
    year_count = np.bincount(change_year, minlength=n_years)
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(n_years), size=draws)
    picked = np.empty((draws, horizon), dtype=np.intp)
    for b in range(draws):
        picked[b] = rng.choice(n_years, size=horizon, p=weights[b])
    shift = (
        rng.normal(scale=jitter, size=(draws, horizon))
        if jitter > 0
        else np.zeros((draws, horizon))
    )
    totals = np.empty((draws, horizon))
    subset_totals = {step: np.empty(draws) for step in subsets}
    chunk = max(1, _CHUNK // max(start.size, 1))
    for first in range(0, draws, chunk):
        rows = slice(first, min(first + chunk, draws))
        state = np.broadcast_to(start, (rows.stop - rows.start, start.size)).copy()
        for k in range(horizon):
            year = picked[rows, k][:, None]
            cell = year * n_bands + _band(state)
            count = group_count[cell]
            offset = group_start[cell]
            fallback = count == 0
            count = np.where(fallback, year_count[year], count)
            offset = np.where(fallback, year_start[year], offset)
            index = offset + (rng.random(state.shape) * count).astype(np.intp)
            moved = change[index] + shift[rows, k][:, None]
            state = np.maximum((1.0 + state) * np.exp(moved) - 1.0, 0.0)
            totals[rows, k] = state.sum(axis=1)
            if k + 1 in subsets:
                subset_totals[k + 1][rows] = state[:, subsets[k + 1]].sum(axis=1)
    return totals, subset_totals


def _summarise(year: int, values: NDArray[np.float64]) -> ForecastYear:
    low95, low80, point, high80, high95 = np.quantile(values, [0.025, 0.1, 0.5, 0.9, 0.975])
    return ForecastYear(
        year=year,
        point=float(point),
        low_80=float(low80),
        high_80=float(high80),
        low_95=float(low95),
        high_95=float(high95),
    )
