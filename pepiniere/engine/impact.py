"""Counterfactual impact of the support: what the funded firms would have done without it.

Two designs, both comparing funded applicants with rejected applicants of the same calls:

- :func:`estimate_did`: difference in differences with staggered awards (Callaway and Sant'Anna
  2021), on years of follow-up data; with an event study by year relative to the award and a
  pre-trend check. The model and its assumptions are in :mod:`pepiniere.engine._impact_did`.
- :func:`estimate_rdd`: sharp regression discontinuity at a call's selection-score cut-off (local
  linear, triangular kernel, Imbens-Kalyanaraman bandwidth, Calonico-Cattaneo-Titiunik robust
  bias-corrected interval, McCrary density check). Details in :mod:`pepiniere.engine._impact_rdd`.
- :func:`estimate_twfe`: plain two-way fixed effects, biased under staggered awards with effects
  that grow over time; kept only so the benchmark can show by how much.

Results are :class:`ImpactEstimate`. Warnings are user-facing sentences in French (``.warnings``);
``.notices`` holds the same as codes and numbers (:class:`~pepiniere.engine.calibration.Notice`)
for a page that words them in its reader's language. When the data cannot identify the effect
(no control units, no pre-period, too few units near the cut-off) ``.effect`` and its interval are
``None`` and a warning says why; malformed input raises ``ValueError`` (English message, meant for
the developer). Everything is deterministic: units are put in a canonical order
(:func:`~pepiniere.engine.ranking.canonical_order`) before any sum, so the input order does not
matter; bootstraps are not used.

Reading a DiD result for a page (outcome = FTE): ``effect`` is the jobs the support added per
funded firm and year, on average over the years since each award; ``by_calendar_year[t]`` times
``n_treated_by_calendar_year[t]`` is the total jobs attributable in year ``t`` (the interval
scales the same way); ``by_relative_year`` is the event-study chart. Cost per attributable job is
the money over that total.
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

from pepiniere.engine import _impact_did, _impact_rdd
from pepiniere.engine.calibration import Notice
from pepiniere.engine.ranking import canonical_order

__all__ = ["ImpactEstimate", "Notice", "estimate_did", "estimate_rdd", "estimate_twfe"]


@dataclass(frozen=True)
class ImpactEstimate:
    """An estimated average effect of the support on one outcome, with its interval.

    Contract fields (DESIGN.md, "Impact engine contract"):

    - ``effect``: the estimated average effect, in the outcome's unit (``None`` when the data
      cannot identify it; ``.warnings`` then says why);
    - ``std_error``, ``ci_low``, ``ci_high``: its standard error and ``1 - alpha`` interval. For
      the RDD the interval is the robust bias-corrected one and ``std_error`` its standard error,
      so the interval is centred on ``effect_bias_corrected``, not on ``effect``;
    - ``n_treated``, ``n_control``: units that entered the estimate (DiD: funded firms in some
      usable cohort and never-funded firms; RDD: applicants with positive kernel weight, above
      and below the cut-off);
    - ``method``: ``"callaway-santanna"``, ``"twfe"`` or ``"rdd-local-linear"``;
    - ``bandwidth``: RDD only, the main bandwidth ``h`` in running-variable units;
    - ``by_relative_year``: DiD only, ``{k: (effect, ci_low, ci_high)}`` for ``k`` = year minus
      award year, with pointwise ``1 - alpha`` intervals; ``k = -1`` is the reference year,
      reported as ``(0.0, 0.0, 0.0)``; ``k < -1`` are placebo (pre-trend) effects, each compared
      with the year before the award (long differences, not CS's varying base);
    - ``warnings``: French sentences for the page; ``notices``: the same as codes and numbers.

    Extras: ``alpha``; ``n_obs`` (rows used); ``by_relative_year_se`` (standard error of each
    event-study coefficient); ``pretrend_p_value`` (joint test that the ``k < -1``
    coefficients are 0; ``None`` when no placebo year has enough funded firms); RDD: ``effect_bias_corrected``,
    ``pilot_bandwidth`` (the bias-estimation bandwidth ``b``), ``density_p_value`` (McCrary test).
    DiD: ``by_calendar_year {t: (effect, ci_low, ci_high)}``, the average effect in year ``t`` on
    the firms funded by then, and ``n_treated_by_calendar_year {t: n}``, their number (the total
    caused in ``t``, e.g. attributable jobs, is the product, interval included);
    ``n_treated_obs``, the funded firm-years ``effect`` averages over.
    """

    effect: float | None
    std_error: float | None
    ci_low: float | None
    ci_high: float | None
    n_treated: int
    n_control: int
    method: str
    bandwidth: float | None = None
    by_relative_year: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    alpha: float = 0.05
    n_obs: int = 0
    by_relative_year_se: dict[int, float] = field(default_factory=dict)
    pretrend_p_value: float | None = None
    effect_bias_corrected: float | None = None
    pilot_bandwidth: float | None = None
    density_p_value: float | None = None
    by_calendar_year: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    n_treated_by_calendar_year: dict[int, int] = field(default_factory=dict)
    n_treated_obs: int = 0


def estimate_did(
    rows: Iterable[tuple[Hashable, int, int | None, float]], *, alpha: float = 0.05
) -> ImpactEstimate:
    """Average effect of the award on funded firms, by difference in differences.

    ``rows`` holds ``(unit_id, year, first_treated_year, outcome)``: one row per firm and year,
    ``first_treated_year`` the year of the firm's first award (the same on every row of a firm)
    or ``None`` for a never-funded applicant (a control). Estimator: Callaway and Sant'Anna's
    ATT(g, t) with never-treated controls, each compared with the year before the award, and
    their "simple" aggregation: every funded (firm, year at or after the award) weighs the same.
    Standard errors are clustered by firm. Model, assumptions and warnings:
    :mod:`pepiniere.engine._impact_did`.
    """
    level = _check_alpha(alpha)
    panel = _read_panel(rows)
    return _impact_did.callaway_santanna(panel, level)


def estimate_twfe(
    rows: Iterable[tuple[Hashable, int, int | None, float]], *, alpha: float = 0.05
) -> ImpactEstimate:
    """Plain two-way fixed effects: ``outcome = firm + year + effect * funded_since + noise``.

    Same input as :func:`estimate_did`. Biased when awards are staggered and effects change with
    time since the award (already-funded firms serve as controls; Goodman-Bacon 2021), which is
    why the platform shows :func:`estimate_did`; this one exists for the benchmark's comparison.
    Standard errors clustered by firm.
    """
    level = _check_alpha(alpha)
    panel = _read_panel(rows)
    return _impact_did.two_way_fixed_effects(panel, level)


def estimate_rdd(
    rows: Iterable[tuple[Hashable, float, float]], *, cutoff: float, alpha: float = 0.05
) -> ImpactEstimate:
    """Effect of being funded at the selection cut-off, by a sharp regression discontinuity.

    ``rows`` holds ``(unit_id, running, outcome)``, one row per applicant: ``running`` is the
    selection score and the applicant counts as funded exactly when ``running >= cutoff``.
    Local linear fit on each side, triangular kernel, Imbens-Kalyanaraman MSE-optimal bandwidth,
    Calonico-Cattaneo-Titiunik robust bias-corrected interval, McCrary density test. Model,
    assumptions and warnings: :mod:`pepiniere.engine._impact_rdd`.
    """
    level = _check_alpha(alpha)
    if isinstance(cutoff, bool) or not isinstance(cutoff, numbers.Real | Decimal):
        raise ValueError(f"cutoff must be a number, got {cutoff!r}")
    centre = float(cutoff)
    if not math.isfinite(centre):
        raise ValueError(f"cutoff must be a finite number, got {cutoff!r}")
    running, outcome = _read_scores(rows)
    return _impact_rdd.local_linear(running - centre, outcome, level)


# --- input --------------------------------------------------------------------------------------


def _check_alpha(alpha: float) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}")
    level = float(alpha)
    if not 0.0 < level < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    return level


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _number(value: object, what: str) -> float:
    if type(value) is float or type(value) is int:
        number = float(value)
    elif isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        raise ValueError(f"{what} is {value!r}, not a number")
    else:
        number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} is {value!r}, not a finite number")
    return number


def _columns(rows: Iterable[Any], width: int, expected: str) -> list[tuple[Any, ...]]:
    """The rows transposed into ``width`` columns; ValueError naming the first bad row."""
    data = rows if isinstance(rows, list) else list(rows)
    try:
        columns = list(zip(*data, strict=True))
    except (TypeError, ValueError):
        columns = []
    if len(columns) == width or not data:
        return columns or [() for _ in range(width)]
    for position, row in enumerate(data, start=1):
        try:
            size = len(row)
        except TypeError:
            size = -1
        if size != width:
            raise ValueError(f"row #{position} is {row!r}; expected {expected}")
    raise ValueError(f"rows must be tuples {expected}")  # pragma: no cover - zip said so


@dataclass(frozen=True)
class Panel:
    """A firm x year panel in canonical order: ``outcome[i, j]`` is firm ``unit_ids[i]`` in year
    ``years[j]`` (NaN when not observed); ``first_treated[i]`` is the award year or -1 for a
    never-funded firm (``treated[i]`` False)."""

    unit_ids: list[Hashable]
    years: NDArray[np.int64]
    outcome: NDArray[np.float64]
    first_treated: NDArray[np.int64]
    treated: NDArray[np.bool_]
    n_obs: int


def _read_panel(rows: Iterable[tuple[Hashable, int, int | None, float]]) -> Panel:
    expected = "(unit_id, year, first_treated_year or None, outcome)"
    units, years, firsts, outcomes = _columns(rows, 4, expected)
    n = len(units)
    # Fast paths for plain ints and floats (a million rows); anything else is checked one by one.
    plain_years = all(type(y) is int for y in years)
    if not plain_years:
        for unit, year in zip(units, years, strict=True):
            if not _is_int(year):
                raise ValueError(f"year of unit {unit!r} is {year!r}, not an integer")
    plain_outcomes = all(type(v) is float for v in outcomes)
    if not plain_outcomes:
        for unit, year, value in zip(units, years, outcomes, strict=True):
            _number(value, f"outcome of unit {unit!r} in {year}")
    if plain_outcomes:
        y = np.array(outcomes, dtype=np.float64)
    else:
        y = np.fromiter((float(v) for v in outcomes), dtype=np.float64, count=n)
    if n and not np.isfinite(y).all():
        bad = int(np.flatnonzero(~np.isfinite(y))[0])
        raise ValueError(f"outcome of unit {units[bad]!r} in {years[bad]} is not a finite number")
    if not all(f is None or type(f) is int for f in firsts):
        for unit, first in zip(units, firsts, strict=True):
            if first is not None and not _is_int(first):
                raise ValueError(
                    f"first_treated_year of unit {unit!r} is {first!r}; expected an integer or None"
                )
    never = np.fromiter((f is None for f in firsts), dtype=np.bool_, count=n)
    try:
        unit_ids = canonical_order(units)
    except TypeError:
        raise TypeError("unit ids must be hashable") from None
    position = {u: i for i, u in enumerate(unit_ids)}
    unit_index = np.array(list(map(position.__getitem__, units)), dtype=np.intp)
    if plain_years:
        year_values = np.array(years, dtype=np.int64)
    else:
        year_values = np.fromiter((int(v) for v in years), dtype=np.int64, count=n)
    first_values = np.fromiter(
        (0 if f is None else int(f) for f in firsts), dtype=np.int64, count=n
    )
    distinct_years, year_index = np.unique(year_values, return_inverse=True)
    n_units, n_years = len(unit_ids), len(distinct_years)

    cell = unit_index * n_years + year_index
    order = np.argsort(cell, kind="stable")
    repeated = np.flatnonzero(cell[order][1:] == cell[order][:-1])
    if repeated.size:
        row = int(order[repeated[0] + 1])
        raise ValueError(f"unit {units[row]!r} has two rows for year {years[row]}; keep one")

    # The award year must be a property of the firm, not of a row.
    treated = np.zeros(n_units, dtype=np.bool_)
    first_treated = np.full(n_units, -1, dtype=np.int64)
    seen = np.zeros(n_units, dtype=np.bool_)
    treated[unit_index] = ~never
    first_treated[unit_index] = np.where(never, -1, first_values)
    seen[unit_index] = True
    mismatch = (treated[unit_index] != ~never) | (
        ~never & (first_treated[unit_index] != first_values)
    )
    if mismatch.any():
        row = int(np.flatnonzero(mismatch)[0])
        raise ValueError(
            f"unit {units[row]!r} has different first_treated_year values on different rows"
            f" (one is {firsts[row]!r}); the award year belongs to the firm"
        )

    outcome = np.full((n_units, n_years), np.nan)
    outcome[unit_index, year_index] = y
    return Panel(
        unit_ids=unit_ids,
        years=distinct_years.astype(np.int64),
        outcome=outcome,
        first_treated=first_treated,
        treated=treated,
        n_obs=n,
    )


def _read_scores(
    rows: Iterable[tuple[Hashable, float, float]],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Running variable and outcome, sorted by (running, outcome) so that no sum depends on the
    input order; ids are only checked for duplicates."""
    units, runnings, outcomes = _columns(rows, 3, "(unit_id, running, outcome)")
    n = len(units)
    for column, name in ((runnings, "running"), (outcomes, "outcome")):
        if not all(type(v) is float for v in column):
            for unit, value in zip(units, column, strict=True):
                _number(value, f"{name} of unit {unit!r}")
    x = np.fromiter((float(v) for v in runnings), dtype=np.float64, count=n)
    y = np.fromiter((float(v) for v in outcomes), dtype=np.float64, count=n)
    for values, name in ((x, "running"), (y, "outcome")):
        if n and not np.isfinite(values).all():
            bad = int(np.flatnonzero(~np.isfinite(values))[0])
            raise ValueError(f"{name} of unit {units[bad]!r} is not a finite number")
    try:
        distinct = set(units)
    except TypeError:
        raise TypeError("unit ids must be hashable") from None
    if len(distinct) != n:
        seen: set[Hashable] = set()
        for unit in units:
            if unit in seen:
                raise ValueError(f"unit {unit!r} appears twice; keep one row per applicant")
            seen.add(unit)
    order = np.lexsort((y, x))
    return x[order], y[order]
