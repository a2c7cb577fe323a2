"""Sharp regression discontinuity at a selection-score cut-off.

Model
-----
Applicant ``i`` has a selection score ``X_i`` (the running variable, centred here so the cut-off
is 0) and is funded exactly when ``X_i >= 0`` (sharp design: every applicant above is funded,
none below). The effect at the cut-off is ``tau = lim_{x->0+} E[Y | X=x] - lim_{x->0-} E[Y|X=x]``.
Assumptions: ``E[Y(0) | X]`` and ``E[Y(1) | X]`` are smooth (twice continuously differentiable)
near 0, and applicants cannot place themselves precisely on either side (no manipulation of the
score; checked, not guaranteed, by the density test). The estimate is local: it is the effect for
applicants near the cut-off, not for the whole portfolio.

Estimation
----------
1. Bandwidth ``h``: Imbens and Kalyanaraman (2012, "Optimal bandwidth choice for the regression
   discontinuity estimator", ReStud), the MSE-optimal bandwidth of the local linear estimator
   with triangular kernel (constant 3.4375), with their three steps: pilot density and
   conditional variances in ``1.84 sd(X) n^(-1/5)``; a global cubic (with a jump) between the
   two side medians for the third derivative, giving each side's pilot bandwidth for the second
   derivative; local quadratics there and the regularisation terms that keep ``h`` finite.
2. Point estimate (``effect``): local linear regression on each side, triangular kernel
   ``(1 - |x|/h)+``, the difference of the two intercepts (the "conventional" estimate).
3. Robust bias-corrected interval (Calonico, Cattaneo and Titiunik 2014, Econometrica): the
   leading bias of each intercept, ``(m''(0)/2) * sum_i a_i x_i^2`` with ``a`` the intercept's
   weights, is estimated with a local quadratic (triangular kernel) at the pilot bandwidth ``b``
   and subtracted (``effect_bias_corrected``). Its standard error treats the bias-corrected
   estimate as what it is, one linear combination ``sum_i w_i Y_i`` of the outcomes, so the
   variance of the bias estimate is included: ``sum_i w_i^2 sigma_i^2``. The ``sigma_i^2`` are
   nearest-neighbour estimates (three neighbours on the same side, as rdrobust's default): they
   need no bandwidth and stay valid under heteroskedasticity. The interval is normal.
   The pilot bandwidth is ``b = h`` (``rho = h / b = 1``, which Calonico, Cattaneo and Farrell
   2018, JASA, show keeps robust bias-corrected intervals valid, with good coverage accuracy):
   measured in ``bench/impact_simulation.py``, IK's separate second-derivative bandwidth
   (``b > h``) left the robust standard error 7 % too small and covered 92.5 % instead of 95 %;
   ``b = h`` covers 95 % with a standard error matching the estimate's spread.
4. Density test (McCrary 2008): histogram of the scores in bins of width ``2 sd(X) n^(-1/2)``
   that never straddle the cut-off, local linear fits of the bin heights on each side at
   0.7 times McCrary's rule-of-thumb bandwidth (undersmoothed, see ``UNDERSMOOTHING``), the log difference of the two densities at 0 and its
   standard error by the delta method, bin counts taken as independent Poisson (McCrary's
   asymptotic ``sqrt((24/5) (1/f+ + 1/f-) / (n h))`` when bins are fine; honest when a coarse
   score grid leaves few bins within the bandwidth). A significant jump (at
   ``alpha``) is warned: scores may have been nudged over the line.

Scores on a grid (mass points, e.g. averages of whole marks): the nearest-neighbour variances
include every applicant tied with the third neighbour (so tie order cannot matter), the bandwidth
is widened until each side has three score values with positive weight, the density test's bins
hold a whole number of grid steps and sit at their applicants' mean score, and fewer than
:data:`MIN_SCORE_VALUES` score values on a side within the bandwidth are warned.

With fewer than :data:`MIN_NEAR_CUTOFF` applicants on either side within the bandwidth, the
estimate is not reported (``effect`` is ``None``, with a warning): an estimate from a handful of
applicants would be shown as evidence while saying almost nothing. The bandwidth is still filled.

Cost: sorting and a few passes over the data; a fraction of a second for 100 000 applicants.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from pepiniere.engine._impact_did import _fr, _Warnings

if TYPE_CHECKING:
    from pepiniere.engine.impact import ImpactEstimate

# Applicants wanted on each side of the cut-off, within the bandwidth, to report an estimate.
MIN_NEAR_CUTOFF = 20
# Distinct score values wanted on each side within the bandwidth (scores on a coarse grid).
MIN_SCORE_VALUES = 5
_TRIANGULAR_MSE_CONSTANT = 3.4375  # IK (2012), C_K for the edge (triangular) kernel
_NEIGHBOURS = 3
UNDERSMOOTHING = 0.7  # density test bandwidth, as a share of McCrary's rule of thumb

FloatArray = NDArray[np.float64]


def local_linear(x: FloatArray, y: FloatArray, alpha: float) -> ImpactEstimate:
    from pepiniere.engine.impact import ImpactEstimate

    said = _Warnings()
    method = "rdd-local-linear"
    left, right = x < 0, x >= 0
    n_left, n_right = int(left.sum()), int(right.sum())

    def empty(
        code: str, text: str, bandwidth: float | None = None, **params: object
    ) -> ImpactEstimate:
        said.add(code, text, **params)
        return ImpactEstimate(
            effect=None,
            std_error=None,
            ci_low=None,
            ci_high=None,
            n_treated=int((right & (x < (bandwidth or 0.0))).sum()),
            n_control=int((left & (x > -(bandwidth or 0.0))).sum()),
            method=method,
            bandwidth=bandwidth,
            warnings=said.warnings,
            notices=said.notices,
            alpha=alpha,
            n_obs=len(x),
        )

    if min(n_left, n_right) < 5 or _distinct(x[left]) < 3 or _distinct(x[right]) < 3:
        return empty(
            "too_few_near_cutoff",
            f"Trop peu de candidats de part et d'autre du seuil ({n_left} en dessous,"
            f" {n_right} au-dessus) pour une estimation par discontinuité.",
            below=n_left,
            above=n_right,
        )

    h = _ik_bandwidth(x, y)
    xl, yl, xr, yr = -x[left][::-1], y[left][::-1], x[right], y[right]  # both sides as distances
    # Scores on a coarse grid: widen the bandwidth until each side has three score values with
    # positive weight, the fewest a local linear fit and its variance need (rdrobust's
    # "masspoints" adjustment does the same in spirit).
    h = max(h, _reach_for_values(xl), _reach_for_values(xr))
    b = h  # see the module docstring, step 3
    near_left, near_right = int((xl < h).sum()), int((xr < h).sum())
    density_p = _density_test(x, alpha, said)
    if min(near_left, near_right) < MIN_NEAR_CUTOFF:
        estimate = empty(
            "too_few_near_cutoff",
            f"Trop peu de candidats près du seuil ({near_left} juste en dessous, {near_right}"
            f" juste au-dessus, à moins de {_fr(h)} points ; il en faudrait {MIN_NEAR_CUTOFF}"
            " de chaque côté) : l'estimation par discontinuité n'est pas présentée.",
            bandwidth=h,
            below=near_left,
            above=near_right,
            wanted=MIN_NEAR_CUTOFF,
        )
        return replace(estimate, pilot_bandwidth=b, density_p_value=density_p)

    values = min(_distinct(xl[xl < h]), _distinct(xr[xr < h]))
    if values < MIN_SCORE_VALUES:
        said.add(
            "few_score_values",
            f"Les scores ne prennent que {values} valeur(s) différente(s) d'un côté du seuil à"
            f" moins de {_fr(h)} points : l'estimation repose sur peu de niveaux de score.",
            values=values,
            wanted=MIN_SCORE_VALUES,
        )
    conventional, robust, variance_robust = 0.0, 0.0, 0.0
    for sign, distance, outcome in ((1.0, xr, yr), (-1.0, xl, yl)):
        a = _intercept_weights(distance, h, degree=1)
        c = _coefficient_weights(distance, b, degree=2, power=2)
        bias_factor = float(a @ distance**2)
        w = a - bias_factor * c
        sigma2 = _nn_variance(distance, outcome)
        conventional += sign * float(a @ outcome)
        robust += sign * float(w @ outcome)
        variance_robust += float(w**2 @ sigma2)
    se = math.sqrt(variance_robust)
    critical = float(stats.norm.ppf(1.0 - alpha / 2.0))
    return ImpactEstimate(
        effect=conventional,
        std_error=se,
        ci_low=robust - critical * se,
        ci_high=robust + critical * se,
        n_treated=near_right,
        n_control=near_left,
        method=method,
        bandwidth=h,
        warnings=said.warnings,
        notices=said.notices,
        alpha=alpha,
        n_obs=len(x),
        effect_bias_corrected=robust,
        pilot_bandwidth=b,
        density_p_value=density_p,
    )


def _reach_for_values(distance: FloatArray, wanted: int = 3) -> float:
    """The smallest bandwidth giving ``wanted`` distinct distances a positive triangular weight."""
    values = np.unique(distance)
    if values.size > wanted:
        return float(values[wanted])
    return float(values[-1] + (values[-1] - values[-2]))  # the caller ensured >= wanted values


def _distinct(values: FloatArray) -> int:
    return int(np.unique(values).size)


def _polyfit_weights(
    distance: FloatArray, bandwidth: float, degree: int, kernel: str
) -> tuple[NDArray[np.bool_], FloatArray, FloatArray]:
    """Rows used, kernel weights and the (X'WX)^-1 X'W matrix of a local polynomial in
    ``distance / bandwidth`` (scaled for conditioning)."""
    inside = distance < bandwidth if kernel == "triangular" else distance <= bandwidth
    u = distance[inside] / bandwidth
    k = 1.0 - u if kernel == "triangular" else np.ones_like(u)
    design = np.vander(u, degree + 1, increasing=True)
    gram = design.T @ (design * k[:, None])
    solve = np.linalg.lstsq(gram, (design * k[:, None]).T, rcond=None)[0]
    return inside, k, solve


def _intercept_weights(distance: FloatArray, bandwidth: float, degree: int) -> FloatArray:
    return _coefficient_weights(distance, bandwidth, degree, power=0)


def _coefficient_weights(
    distance: FloatArray, bandwidth: float, degree: int, power: int
) -> FloatArray:
    """Weights ``w`` with ``w @ y`` the coefficient of ``distance**power`` in a local polynomial
    of ``degree`` with triangular kernel (zero outside the bandwidth)."""
    inside, _, solve = _polyfit_weights(distance, bandwidth, degree, "triangular")
    weights = np.zeros_like(distance)
    weights[inside] = solve[power] / bandwidth**power
    return weights


def _nn_variance(distance: FloatArray, outcome: FloatArray) -> FloatArray:
    """``m / (m + 1) * (Y_i - mean of its neighbours)^2`` on one side (Abadie-Imbens; rdrobust's
    default ``vce="nn"``): the neighbours are the three nearest, plus every one tied with the
    third, so with mass points (scores on a grid) the result does not depend on how ties are
    ordered. ``distance`` is sorted ascending."""
    n = len(distance)
    j = min(_NEIGHBOURS, n - 1)
    offsets = np.concatenate([np.arange(-_NEIGHBOURS, 0), np.arange(1, _NEIGHBOURS + 1)])
    index = np.arange(n)[:, None] + offsets[None, :]
    valid = (index >= 0) & (index < n)
    gap = np.where(valid, np.abs(distance[np.clip(index, 0, n - 1)] - distance[:, None]), np.inf)
    reach = np.sort(gap, axis=1)[:, j - 1]  # distance to the j-th nearest other applicant
    low = np.searchsorted(distance, distance - reach, side="left")
    high = np.searchsorted(distance, distance + reach, side="right")
    running = np.concatenate([[0.0], np.cumsum(outcome)])
    count = (high - low - 1).astype(float)
    neighbour_mean = (running[high] - running[low] - outcome) / count
    return np.asarray(count / (count + 1) * (outcome - neighbour_mean) ** 2, dtype=np.float64)


def _local_coefficients(
    distance: FloatArray, outcome: FloatArray, bandwidth: float, degree: int
) -> FloatArray:
    """Coefficients (in ``distance`` units) of a uniform-kernel local polynomial."""
    inside, _, solve = _polyfit_weights(distance, bandwidth, degree, "uniform")
    scaled = solve @ outcome[inside]
    return scaled / bandwidth ** np.arange(degree + 1)


def _ik_bandwidth(x: FloatArray, y: FloatArray) -> float:
    """Imbens-Kalyanaraman (2012) MSE-optimal bandwidth of the local linear estimator."""
    n = len(x)
    left, right = x < 0, x >= 0
    n_left, n_right = int(left.sum()), int(right.sum())
    spread = float(np.std(x, ddof=1))
    span = float(max(-x.min(), x.max()))
    # Step 1: density and conditional variances at the cut-off.
    h1 = 1.84 * spread * n ** (-0.2)
    near_l, near_r = left & (x >= -h1), right & (x <= h1)
    if near_l.sum() < 2 or near_r.sum() < 2:
        h1 = span
        near_l, near_r = left, right
    density = (near_l.sum() + near_r.sum()) / (2.0 * n * h1)
    var_l = float(np.var(y[near_l], ddof=1))
    var_r = float(np.var(y[near_r], ddof=1))
    # Step 2: third derivative from a global cubic with a jump, between the side medians.
    low, high = float(np.median(x[left])), float(np.median(x[right]))
    middle = (x >= low) & (x <= high)
    if middle.sum() < 10:
        middle = np.ones(n, dtype=np.bool_)
    xm = x[middle]
    design = np.column_stack([np.ones_like(xm), (xm >= 0).astype(float), xm, xm**2, xm**3])
    third = 6.0 * float(np.linalg.lstsq(design, y[middle], rcond=None)[0][4])
    pilots = []
    for variance, count in ((var_l, n_left), (var_r, n_right)):
        if third == 0.0 or density == 0.0:
            pilots.append(span)
        else:
            pilots.append(3.56 * (variance / (density * third**2)) ** (1 / 7) * count ** (-1 / 7))
    # Local quadratics (uniform kernel) at the pilot bandwidths: second derivatives.
    xl, yl = -x[left], y[left]
    xr, yr = x[right], y[right]
    second, regulariser = [], 0.0
    for distance, outcome, pilot, variance in (
        (xl, yl, pilots[0], var_l),
        (xr, yr, pilots[1], var_r),
    ):
        pilot = min(pilot, span)
        inside = distance <= pilot
        if int(inside.sum()) < 4 or _distinct(distance[inside]) < 3:
            pilot = float(distance.max())
            inside = np.ones(len(distance), dtype=np.bool_)
        coefficients = _local_coefficients(distance, outcome, pilot, 2)
        # Distances on the left are -x, which leaves the second derivative unchanged.
        second.append(2.0 * float(coefficients[2]))
        regulariser += 2160.0 * variance / (int(inside.sum()) * pilot**4)
    curvature = (second[1] - second[0]) ** 2
    h = (
        _TRIANGULAR_MSE_CONSTANT
        * ((var_l + var_r) / (density * (curvature + regulariser))) ** 0.2
        * n ** (-0.2)
    )
    if not math.isfinite(h) or h <= 0.0:
        h = span
    return float(h)


def _grid_step(x: FloatArray) -> float:
    """The step of the grid the scores lie on (median gap between distinct values, ignoring
    rounding noise), or 0 when they look continuous (most values distinct)."""
    gaps = np.diff(np.unique(x))
    gaps = gaps[gaps > 1e-9 * max(1.0, float(np.abs(x).max()))]
    if gaps.size + 1 > 0.5 * x.size or gaps.size == 0:
        return 0.0
    return float(np.median(gaps))


def _density_test(x: FloatArray, alpha: float, said: _Warnings) -> float | None:
    """McCrary (2008) test of a jump in the density of the score at the cut-off; p-value."""
    n = len(x)
    spread = float(np.std(x, ddof=1))
    if spread == 0.0:
        return None
    width = 2.0 * spread * n ** (-0.5)
    # Scores on a grid (averages of marks): bins hold a whole number of grid steps, else some
    # bins would be empty by construction and the histogram would jump everywhere.
    step = _grid_step(x)
    if step > 0.0:
        width = step * math.ceil(width / step - 1e-9)
    index = np.floor(x / width + 1e-6).astype(np.int64)  # [k w, (k + 1) w): none straddles 0
    first, last = int(index.min()), int(index.max())
    counts = np.bincount(index - first, minlength=last - first + 1)
    # Each bin sits where its applicants are (their mean score), the midpoint when empty.
    sums = np.bincount(index - first, weights=x, minlength=last - first + 1)
    mids = np.where(
        counts > 0, sums / np.maximum(counts, 1), (np.arange(first, last + 1) + 0.5) * width
    )
    heights = counts / (n * width)
    right = np.arange(first, last + 1) >= 0
    sides = [(-mids[~right][::-1], heights[~right][::-1]), (mids[right], heights[right])]
    if min(len(s[0]) for s in sides) < 6:
        return None
    bandwidths = []
    for distance, height in sides:
        design = np.vander(distance, 5, increasing=True)
        beta, *_ = np.linalg.lstsq(design, height, rcond=None)
        residual = height - design @ beta
        sigma2 = float(residual @ residual) / max(len(distance) - 5, 1)
        second = 2 * beta[2] + 6 * beta[3] * distance + 12 * beta[4] * distance**2
        curvature = float(second @ second)
        span = float(distance.max() - distance.min()) + width
        if curvature > 0:
            bandwidths.append(3.348 * (sigma2 * span / curvature) ** 0.2)
        else:
            bandwidths.append(span)
    # Undersmoothed, as conventional (not bias-corrected) inference needs: with the plain rule
    # of thumb the test rejected 8 % of manipulation-free normal scores at 5 %; with 0.7, 5 %.
    bandwidth = max(UNDERSMOOTHING * 0.5 * (bandwidths[0] + bandwidths[1]), 3.0 * width)
    densities, log_variance = [], 0.0
    for distance, height in sides:
        inside = distance < bandwidth
        if int(inside.sum()) < 3:
            return None
        a = _intercept_weights(distance, bandwidth, degree=1)
        density = float(a @ height)
        if density <= 0.0:
            return None
        densities.append(density)
        # Bin counts are (nearly) independent Poisson: var(height) = height / (n w); the delta
        # method gives var(log density). Exact for the bins used, which McCrary's asymptotic
        # formula is not when a coarse score grid leaves few bins within the bandwidth.
        log_variance += float(a**2 @ height) / (n * width) / density**2
    f_left, f_right = densities
    theta = math.log(f_right) - math.log(f_left)
    se = math.sqrt(log_variance)
    p_value = float(2.0 * stats.norm.sf(abs(theta / se)))
    if p_value < alpha:
        direction = "plus" if theta > 0 else "moins"
        said.add(
            "density_jump",
            f"Il y a nettement {direction} de candidats juste au-dessus du seuil que juste en"
            f" dessous (test de densité de McCrary : p = {_fr(p_value, 3)}) : des scores ont pu"
            " être ajustés autour du seuil, l'estimation par discontinuité est alors douteuse.",
            p_value=p_value,
            log_ratio=theta,
        )
    return p_value
