"""Reviewer severity/leniency correction ("calibration") of review scores.

Model
-----
Every review is ``score = quality[application] + bias[reviewer] + noise`` with

- ``quality``: one unknown number per application (a fixed effect, no prior: we do not want to pull
  applications towards each other);
- ``bias ~ N(0, tau^2)``, independent across reviewers: how much more lenient (> 0) or severe (< 0)
  a reviewer is than the average reviewer of their group;
- ``noise ~ N(0, sigma^2)``, independent across reviews.

Bias is identifiable only by comparing reviewers who scored the same applications, so everything
happens inside connected groups of the reviewer/application graph. Within a group the biases are
constrained to sum to zero (unweighted: every reviewer counts once, whatever their load), so a
group's average quality is the average of its reviews, as with the plain mean. Quality is therefore
comparable across groups only if their panels are equally severe on average; ``groups > 1`` comes
with a warning saying so. Per-reviewer z-scores are deliberately not used: they also remove real
quality differences between reviewers who each see one topic.

Estimation
----------
1. ``tau^2`` and ``sigma^2`` by REML (restricted maximum likelihood). REML rather than maximum
   likelihood because every application has its own quality parameter: ML would divide the residual
   sum of squares by the number of reviews instead of reviews minus applications and underestimate
   the noise by a third with three reviews per application (the Neyman-Scott problem). REML rather
   than the method of moments because it uses the data efficiently, never returns a negative
   variance, and puts ``tau^2`` exactly at 0 when the data show no bias. Only the ratio
   ``gamma = tau^2 / sigma^2`` is searched numerically (a grid, then Brent's method); ``sigma^2``
   has a closed form given ``gamma``.
2. Quality and bias by penalised least squares (ridge on bias, ``lambda = sigma^2 / tau^2``), i.e.
   the posterior mean under the model. Each application's quality block is diagonal, so it is
   eliminated: the reviewer block is the Schur complement ``M = Z'(I - P_X)Z`` (a weighted graph
   Laplacian over reviewers, built with scipy.sparse), and the biases solve ``(M + lambda I) b = c``
   with ``c = Z'(y - application means)``.
3. Standard errors from the posterior covariance of quality given the data (noise and bias
   uncertainty, with biases constrained to sum to zero per group; ``tau^2`` and ``sigma^2`` are
   plugged in, not integrated over).

When ``tau^2`` is estimated as 0, biases are exactly 0 and quality is exactly the plain mean.
Quality is reported on the scale of the scores and is not clipped: a harsh panel's favourite can be
calibrated to 5.2 on a 0-5 scale, and clipping it would create ties and hide information.

Cost: each REML step solves the sparse reviewer system by conjugate gradients; the log-determinant
comes from the eigenvalues of each group's reviewer block, computed once, and the standard errors
from the inverse of each block. Those dense steps grow with the cube of a group's number of
reviewers: 2 000 reviewers in one group take about a second; many small groups are batched.

Degenerate inputs, each with a warning: without any application reviewed twice, neither bias nor
noise can be estimated; quality is then the plain mean and standard errors assume the noise of a
uniformly random score on the scale. When the reviewer/application graph has no cycle (no two
reviewers can be compared twice, e.g. one application and its two reviewers), every disagreement
could be bias or noise alike, so bias is taken as 0 and quality is the plain mean. When reviewers of
the same application always agree exactly, the noise is 0 and so are the standard errors.

Ids are put in a canonical order (``ranking.canonical_order``) and reviews sorted before any sum is
taken, so the result does not depend on the order of the input, to the last bit.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.linalg import eigh, lapack
from scipy.optimize import minimize_scalar
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import LinearOperator, cg

from pepiniere.engine.ranking import canonical_order

__all__ = ["Calibration", "calibrate"]

# Search range of gamma = tau^2 / sigma^2 (scale-free); beyond it the calibrated values no longer
# change in any way a ranking could show.
_LOG10_GAMMA_GRID = np.arange(-4.0, 4.0 + 1e-9, 0.5)
# Fewer independent reviewer comparisons than this and the spread of bias is a rough guess.
MIN_REVIEWER_CONTRASTS = 5
# Differences in -2 log REML below this are rounding, not evidence.
_FLAT = 1e-8
_NAMES_IN_WARNINGS = 5
# Groups of up to this many reviewers are handled all at once with numpy (eigenvectors, batched
# inverses); larger ones one by one (conjugate gradients, a Cholesky inverse that costs half of
# numpy's LU-based one), where the per-group overhead no longer matters.
_BATCH_LIMIT = 64


@dataclass(frozen=True)
class Notice:
    """One warning as data, for an application that words it in its own language: ``code`` is
    one of ``no_reviews``, ``single_reviews``, ``identical_scores``, ``bias_not_identifiable``,
    ``few_contrasts`` (``contrasts``, ``wanted``), ``bias_dominates``, ``separate_groups``
    (``groups``, ``largest``, ``applications``) and ``isolated_reviewers`` (``count``,
    ``reviewers``: their ids); ``single_reviews`` has ``noise`` (the assumed noise SD)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Calibration[A: Hashable, R: Hashable]:
    """Calibrated scores of one call (or one criterion of one call).

    Per application: ``quality`` (calibrated score, original scale, not clipped), ``std_error``
    (posterior standard deviation of quality), ``raw_mean`` (plain mean of its scores),
    ``n_reviews`` and ``group_of`` (its connected group, 0 = the largest). Per reviewer: ``bias``
    (estimated leniency, summing to zero within each group). Overall: ``noise_sd`` (sigma),
    ``bias_sd`` (tau, the between-reviewer standard deviation), ``groups`` and ``warnings``
    (plain-English sentences; ``notices`` holds the same as :class:`Notice` codes and numbers, which
    a page words in its reader's language). Dictionaries list ids in canonical order.
    """

    quality: dict[A, float] = field(default_factory=dict)
    std_error: dict[A, float] = field(default_factory=dict)
    bias: dict[R, float] = field(default_factory=dict)
    raw_mean: dict[A, float] = field(default_factory=dict)
    n_reviews: dict[A, int] = field(default_factory=dict)
    group_of: dict[A, int] = field(default_factory=dict)
    groups: int = 0
    noise_sd: float = 0.0
    bias_sd: float = 0.0
    warnings: list[str] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def calibrate[A: Hashable, R: Hashable](
    reviews: Iterable[tuple[A, R, float | Decimal]],
    scale: tuple[float, float] = (0.0, 5.0),
) -> Calibration[A, R]:
    """Estimate each application's quality corrected for its reviewers' severity or leniency.

    ``reviews`` holds ``(application_id, reviewer_id, score)`` with any hashable ids and one review
    per (application, reviewer) pair; scores must be finite and within ``scale`` (inclusive), which
    catches scores entered on the wrong scale. The model, estimation method and the meaning of the
    result are described in the module docstring.
    """
    low, high = _check_scale(scale)
    scores = _read_reviews(reviews, low, high)
    if not scores:
        return Calibration(warnings=["No reviews to calibrate."], notices=[Notice("no_reviews")])
    return _Fit(scores, low, high).result()


def _check_scale(scale: tuple[float, float]) -> tuple[float, float]:
    try:
        low, high = (float(bound) for bound in scale)
    except (TypeError, ValueError):
        raise ValueError(f"scale must be a pair of numbers (low, high), got {scale!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"scale must be two finite numbers with low < high, got {scale!r}")
    return low, high


def _read_reviews[A: Hashable, R: Hashable](
    reviews: Iterable[tuple[A, R, float | Decimal]], low: float, high: float
) -> dict[tuple[A, R], float]:
    scores: dict[tuple[A, R], float] = {}
    for position, review in enumerate(reviews, start=1):
        try:
            application_id, reviewer_id, score = review
        except (TypeError, ValueError):
            raise ValueError(
                f"review #{position} is {review!r}; expected (application_id, reviewer_id, score)"
            ) from None
        if type(score) is float or type(score) is int:  # the common case, checked cheaply
            value = float(score)
        else:
            value = _number(score, application_id, reviewer_id)
        if not low <= value <= high:  # also catches NaN, which compares false with anything
            pair = f"application {application_id!r} by reviewer {reviewer_id!r}"
            if not math.isfinite(value):
                raise ValueError(f"score of {pair} is {score!r}, not a finite number")
            raise ValueError(
                f"score {score!r} of {pair} is outside the scale [{low:g}, {high:g}]"
                " (was it entered on another scale?)"
            )
        key = (application_id, reviewer_id)
        try:
            previous = scores.get(key)
        except TypeError:
            raise TypeError(f"ids must be hashable; review #{position} has {key!r}") from None
        if previous is not None:
            raise ValueError(
                f"reviewer {reviewer_id!r} scored application {application_id!r} twice"
                f" ({previous:g} and {value:g}); keep one review per pair"
            )
        scores[key] = value
    return scores


def _number(score: object, application_id: Hashable, reviewer_id: Hashable) -> float:
    pair = f"application {application_id!r} by reviewer {reviewer_id!r}"
    if isinstance(score, bool) or not isinstance(score, numbers.Real | Decimal):
        raise ValueError(f"score of {pair} is {score!r}, not a number")
    return math.nan if isinstance(score, Decimal) and score.is_snan() else float(score)


class _Fit[A: Hashable, R: Hashable]:
    """One calibration run; arrays are indexed by canonical application / reviewer position."""

    def __init__(self, scores: dict[tuple[A, R], float], low: float, high: float) -> None:
        self.low, self.high = low, high
        self.app_ids = canonical_order(a for a, _ in scores)
        self.reviewer_ids = canonical_order(r for _, r in scores)
        app_pos = {a: i for i, a in enumerate(self.app_ids)}
        reviewer_pos = {r: j for j, r in enumerate(self.reviewer_ids)}
        app = np.fromiter((app_pos[a] for a, _ in scores), dtype=np.intp, count=len(scores))
        rev = np.fromiter((reviewer_pos[r] for _, r in scores), dtype=np.intp, count=len(scores))
        y = np.fromiter(scores.values(), dtype=float, count=len(scores))
        # A canonical review order makes every floating-point sum independent of input order.
        order = np.lexsort((rev, app))
        self.app, self.rev, self.y = app[order], rev[order], y[order]
        self.n_apps, self.n_reviewers = len(self.app_ids), len(self.reviewer_ids)
        self.warnings: list[str] = []
        self.notices: list[Notice] = []

        self.counts = np.bincount(self.app, minlength=self.n_apps)
        self.raw_mean = np.bincount(self.app, weights=self.y, minlength=self.n_apps) / self.counts
        # Within-application deviations: all that bias and noise estimation ever looks at.
        self.deviation = self.y - self.raw_mean[self.app]
        self.residual_df = len(self.y) - self.n_apps
        self._find_groups()
        # The Schur complement of the diagonal application block, M = Z'Z - Z'X (X'X)^-1 X'Z,
        # adds [j = k] - 1/n_a for every application a that reviewers j and k both scored.
        self.pair_first, self.pair_second = _review_pairs(self.app, self.counts)
        self.pair_value = (self.pair_first == self.pair_second) - 1.0 / self.counts[
            self.app[self.pair_first]
        ]
        self.block = sp.csr_matrix(
            (self.pair_value, (self.rev[self.pair_first], self.rev[self.pair_second])),
            shape=(self.n_reviewers, self.n_reviewers),
        )
        self.rhs = np.bincount(self.rev, weights=self.deviation, minlength=self.n_reviewers)

    def _find_groups(self) -> None:
        graph = sp.coo_matrix(
            (np.ones(len(self.y)), (self.app, self.n_apps + self.rev)),
            shape=(self.n_apps + self.n_reviewers,) * 2,
        )
        self.groups, labels = connected_components(graph, directed=False)
        sizes = np.bincount(labels[: self.n_apps], minlength=self.groups)
        first_app = np.full(self.groups, self.n_apps)
        np.minimum.at(first_app, labels[: self.n_apps], np.arange(self.n_apps))
        # Group 0 is the largest; equal sizes are ordered by their first application.
        relabel = np.empty(self.groups, dtype=np.intp)
        relabel[np.lexsort((first_app, -sizes))] = np.arange(self.groups)
        self.app_group = relabel[labels[: self.n_apps]]
        self.reviewer_group = relabel[labels[self.n_apps :]]
        self.group_sizes = np.bincount(self.app_group, minlength=self.groups)
        self.panel_sizes = np.bincount(self.reviewer_group, minlength=self.groups)

    @cached_property
    def layout(self) -> _GroupLayout:
        return _GroupLayout(self)

    def result(self) -> Calibration[A, R]:
        self._warn_about_structure()
        within_ss = float(self.deviation @ self.deviation)
        if self.residual_df == 0:
            noise_var = (self.high - self.low) ** 2 / 12.0
            gamma = 0.0
            self._warn(
                "single_reviews",
                "No application has two reviews, so reviewer bias and noise cannot be estimated:"
                " quality is the plain mean, and standard errors assume a noise of"
                f" {math.sqrt(noise_var):.2f} (a score drawn at random on the scale).",
                noise=math.sqrt(noise_var),
            )
        elif within_ss == 0.0:
            noise_var, gamma = 0.0, 0.0
            self._warn(
                "identical_scores",
                "Reviewers of the same application always gave the same score, so noise and bias"
                " are estimated as 0 and standard errors are 0.",
            )
        elif self.residual_df == self.n_reviewers - self.groups:
            # Every within-application degree of freedom is a reviewer contrast (the reviewer /
            # application graph has no cycle): the likelihood cannot separate bias from noise.
            noise_var, gamma = within_ss / self.residual_df, 0.0
            self._warn(
                "bias_not_identifiable",
                "Reviewer bias cannot be told apart from noise with this assignment (no two"
                " reviewers can be compared in two independent ways, e.g. on two shared"
                " applications), so quality is the plain mean.",
            )
        else:
            contrasts = self.n_reviewers - self.groups
            if contrasts < MIN_REVIEWER_CONTRASTS:
                self._warn(
                    "few_contrasts",
                    "Too few reviewers share applications to measure how much reviewers differ"
                    f" ({contrasts} independent comparison(s), {MIN_REVIEWER_CONTRASTS} wanted):"
                    " the bias correction is rough.",
                    contrasts=int(contrasts),
                    wanted=MIN_REVIEWER_CONTRASTS,
                )
            gamma = self._estimate_gamma(within_ss)
            residual_ss = self._residual_ss(gamma) if gamma > 0.0 else within_ss
            noise_var = residual_ss / self.residual_df
            if gamma >= 10.0 ** _LOG10_GAMMA_GRID[-1] * (1 - 1e-6):
                self._warn(
                    "bias_dominates",
                    "Reviewer bias explains almost all disagreement between reviewers (noise near"
                    " 0); check for reviewers who gave the same score to every application.",
                )
        bias = np.zeros(self.n_reviewers)
        quality_var = noise_var / self.counts
        if gamma > 0.0:
            bias, extra_var = self._posterior(1.0 / gamma, noise_var)
            quality_var = quality_var + extra_var
        bias_total = np.bincount(self.app, weights=bias[self.rev], minlength=self.n_apps)
        # Exactly the plain mean when there is no bias, not a mean minus a sum of zeros.
        quality = self.raw_mean - bias_total / self.counts if gamma > 0.0 else self.raw_mean
        return Calibration(
            quality=_by_id(self.app_ids, quality),
            std_error=_by_id(self.app_ids, np.sqrt(quality_var)),
            bias=_by_id(self.reviewer_ids, bias),
            raw_mean=_by_id(self.app_ids, self.raw_mean),
            n_reviews={a: int(n) for a, n in zip(self.app_ids, self.counts, strict=True)},
            group_of={a: int(g) for a, g in zip(self.app_ids, self.app_group, strict=True)},
            groups=int(self.groups),
            noise_sd=math.sqrt(noise_var),
            bias_sd=math.sqrt(gamma * noise_var),
            warnings=self.warnings,
            notices=self.notices,
        )

    def _warn(self, code: str, text: str, **params: Any) -> None:
        self.warnings.append(text)
        self.notices.append(Notice(code, params))

    def _warn_about_structure(self) -> None:
        if self.groups > 1:
            self._warn(
                "separate_groups",
                f"The reviews form {self.groups} separate groups with no reviewer in common"
                f" (largest: {self.group_sizes[0]} of {self.n_apps} applications). Scores are"
                " calibrated within each group; comparing applications across groups assumes"
                " their reviewers are equally severe on average.",
                groups=int(self.groups),
                largest=int(self.group_sizes[0]),
                applications=int(self.n_apps),
            )
        solo_groups = self.panel_sizes[self.reviewer_group] == 1
        alone = [self.reviewer_ids[j] for j in np.flatnonzero(solo_groups)]
        if self.residual_df == 0:
            alone = []  # already said: nobody can be compared
        if alone:
            names = ", ".join(repr(r) for r in alone[:_NAMES_IN_WARNINGS])
            extra = len(alone) - _NAMES_IN_WARNINGS
            more = f" and {extra} more" if extra > 0 else ""
            self._warn(
                "isolated_reviewers",
                f"{len(alone)} reviewer(s) share no application with another reviewer ({names}"
                f"{more}); their bias cannot be estimated and is taken as 0.",
                count=len(alone),
                reviewers=list(alone),
            )

    def _estimate_gamma(self, within_ss: float) -> float:
        """REML estimate of tau^2 / sigma^2, profiled over sigma^2.

        -2 log REML = (n - A) log S(gamma) + log det(I + gamma M) + constant, where S is the
        penalised residual sum of squares; gamma = 0 (no bias) is a candidate in its own right.
        """
        eigenvalues = self.layout.eigenvalues()

        def objective(log_gamma: float) -> float:
            gamma = math.exp(log_gamma)
            residual = max(self._residual_ss(gamma), 1e-300)
            log_det = float(np.log1p(gamma * eigenvalues).sum())
            return self.residual_df * math.log(residual) + log_det

        at_zero = self.residual_df * math.log(within_ss)
        grid = _LOG10_GAMMA_GRID * math.log(10.0)
        values = [objective(g) for g in grid]
        best = int(np.argmin(values))
        # Ties go to "no bias": a likelihood flat to rounding error is no evidence of bias.
        if at_zero <= values[best] + _FLAT:
            return 0.0
        lower = grid[best - 1] if best > 0 else grid[0] - 2 * math.log(10.0)
        upper = grid[min(best + 1, len(grid) - 1)]
        refined = minimize_scalar(
            objective, bounds=(lower, upper), method="bounded", options={"xatol": 1e-7}
        )
        candidates = [(values[best], grid[best]), (float(refined.fun), float(refined.x))]
        value, log_gamma = min(candidates)
        return 0.0 if at_zero <= value + _FLAT else math.exp(log_gamma)

    def _residual_ss(self, gamma: float) -> float:
        """S(gamma) = ||(I - P_X)(y - Zb)||^2 + lambda ||b||^2 at the ridge solution b.

        Written as a sum of squares rather than y'(I - P_X)y - c'b so it cannot turn negative
        through cancellation when the bias model fits almost exactly.
        """
        penalty = 1.0 / gamma
        bias = self.layout.solve(penalty, self.rhs)
        shifted = bias[self.rev]
        shifted_mean = np.bincount(self.app, weights=shifted, minlength=self.n_apps) / self.counts
        residual = self.deviation - shifted + shifted_mean[self.app]
        return float(residual @ residual + penalty * (bias @ bias))

    def _posterior(
        self, penalty: float, noise_var: float
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Posterior mean of bias, and the bias part of each application's quality variance.

        Within a group g of q reviewers the posterior covariance of the sum-to-zero biases is
        sigma^2 P (M + lambda I)^-1 P with P = I - J/q. Because the all-ones vector is an
        eigenvector of M (eigenvalue 0), that equals sigma^2 [K^-1 - J / (q (lambda + alpha))]
        with K = M + lambda I + alpha J / q for any alpha > 0. K stays well conditioned as lambda
        goes to 0, where the direct formula would subtract two huge numbers. An application's
        quality variance gains sigma^2 z'P K^-1 P z / n^2, z the indicator of its n reviewers.
        """
        layout = self.layout
        bias = np.zeros(self.n_reviewers)
        # Each bucket's K is built in this buffer and replaced by its inverse in place, which
        # keeps one extra copy of the dense blocks in memory, not three.
        inverse = np.empty_like(layout.blocks)
        shift = np.zeros(self.groups)  # the J / (q (lambda + alpha)) term, per group
        for q, groups, cells, seats in layout.buckets:
            blocks = layout.blocks[cells].reshape(len(groups), q, q)
            alpha = np.trace(blocks, axis1=1, axis2=2) / q
            k = inverse[cells].reshape(len(groups), q, q)
            np.add(blocks, (alpha / q)[:, None, None], out=k)
            diagonal = np.arange(q)
            k[:, diagonal, diagonal] += penalty
            rhs = self.rhs[layout.seat_reviewer[seats]].reshape(len(groups), q)
            local_bias = _solve_and_invert_in_place(k, rhs)
            bias[layout.seat_reviewer[seats]] = (
                local_bias - local_bias.mean(axis=1, keepdims=True)
            ).ravel()
            shift[groups] = 1.0 / (q * (penalty + alpha))
        pair_sums = np.bincount(
            self.app[layout.pair_first],
            weights=inverse[layout.pair_cells],
            minlength=self.n_apps,
        )
        # Applications in a group of one reviewer get 0: that bias is fixed at 0, not estimated.
        extra = pair_sums / self.counts.astype(float) ** 2 - shift[self.app_group]
        return bias, noise_var * extra


class _GroupLayout:
    """Dense reviewer blocks of all groups with two or more reviewers, in one flat buffer.

    Groups of the same size q ("bucket") sit next to each other, so a bucket is a (count, q, q)
    array on which numpy works in one call: many small groups cost no Python loop each. Seats
    are the reviewers in the same order (group by group, each group's reviewers ascending).
    """

    def __init__(self, fit: _Fit[Any, Any]) -> None:
        self.fit = fit
        sizes = fit.panel_sizes
        multi = np.flatnonzero(sizes >= 2)
        self.group_order = multi[np.lexsort((multi, sizes[multi]))]  # by size, then number
        q = self.sizes = sizes[self.group_order]
        self.cell_start = np.zeros(fit.groups, dtype=np.intp)
        self.cell_start[self.group_order] = np.r_[0, np.cumsum(q * q)[:-1]]
        self.seat_start = np.zeros(fit.groups, dtype=np.intp)
        self.seat_start[self.group_order] = np.r_[0, np.cumsum(q)[:-1]]
        self.total_cells = int((q * q).sum())

        # Position of each reviewer inside its group (ascending reviewer index).
        by_group = np.argsort(fit.reviewer_group, kind="stable")
        group_start = np.r_[0, np.cumsum(sizes)[:-1]]
        local = np.empty(fit.n_reviewers, dtype=np.intp)
        local[by_group] = np.arange(fit.n_reviewers) - group_start[fit.reviewer_group[by_group]]
        in_blocks = sizes[fit.reviewer_group] >= 2
        seats = self.seat_start[fit.reviewer_group] + local
        self.seat_reviewer = np.empty(int(q.sum()), dtype=np.intp)
        self.seat_reviewer[seats[in_blocks]] = np.flatnonzero(in_blocks)

        # The same review pairs as the sparse block, placed in their group's dense block.
        group = fit.app_group[fit.app[fit.pair_first]]
        keep = sizes[group] >= 2
        first, second, group = fit.pair_first[keep], fit.pair_second[keep], group[keep]
        j, k = local[fit.rev[first]], local[fit.rev[second]]
        width = sizes[group]
        self.blocks = np.bincount(
            self.cell_start[group] + j * width + k,
            weights=fit.pair_value[keep],
            minlength=self.total_cells,
        )
        # Only the upper triangle of an inverse is guaranteed (see _solve_and_invert_in_place).
        self.pair_first = first
        self.pair_cells = self.cell_start[group] + np.minimum(j, k) * width + np.maximum(j, k)

    @cached_property
    def buckets(self) -> list[tuple[int, NDArray[np.intp], slice, slice]]:
        """(q, groups, cells, seats) for each distinct group size q."""
        buckets = []
        for q in np.unique(self.sizes).tolist():
            groups = self.group_order[self.sizes == q]
            cells_from = int(self.cell_start[groups[0]])
            seats_from = int(self.seat_start[groups[0]])
            n = len(groups)
            cells = slice(cells_from, cells_from + n * q * q)
            buckets.append((q, groups, cells, slice(seats_from, seats_from + n * q)))
        return buckets

    @cached_property
    def spectra(self) -> dict[int, tuple[NDArray[np.float64], NDArray[np.float64]]]:
        """Eigenvalues and eigenvectors of the blocks of each bucket of small groups."""
        spectra = {}
        for q, groups, cells, _ in self.buckets:
            if q <= _BATCH_LIMIT:
                values, vectors = np.linalg.eigh(self.blocks[cells].reshape(len(groups), q, q))
                spectra[q] = (values.clip(min=0.0), vectors)
        return spectra

    @cached_property
    def large(self) -> tuple[NDArray[np.intp], sp.csr_matrix]:
        """Reviewers of the groups too large for eigenvectors, and their part of the block."""
        reviewers = np.sort(
            np.concatenate(
                [np.zeros(0, dtype=np.intp)]
                + [
                    self.seat_reviewer[seats]
                    for q, _, _, seats in self.buckets
                    if q not in self.spectra
                ]
            )
        )
        return reviewers, self.fit.block[reviewers][:, reviewers].tocsr()

    def solve(self, penalty: float, rhs: NDArray[np.float64]) -> NDArray[np.float64]:
        """x with (M + penalty I) x = rhs, for rhs summing to zero over each group.

        Small groups use their eigenvectors (a few vector operations per REML step); large ones
        conjugate gradients, which only ever multiply by the sparse block.
        """
        solution = np.zeros_like(rhs)
        for q, groups, _, seats in self.buckets:
            if q in self.spectra:
                values, vectors = self.spectra[q]
                local = rhs[self.seat_reviewer[seats]].reshape(len(groups), q)
                weights = np.einsum("gji,gj->gi", vectors, local) / (values + penalty)
                x = np.einsum("gij,gj->gi", vectors, weights)
                solution[self.seat_reviewer[seats]] = x.ravel()
        reviewers, block = self.large
        if reviewers.size and rhs[reviewers].any():
            solution[reviewers] = _conjugate_gradients(block, penalty, rhs[reviewers])
        return solution

    def eigenvalues(self) -> NDArray[np.float64]:
        """Eigenvalues of every group's block (groups of one reviewer contribute only 0).

        Large blocks are decomposed in single precision, which halves the dominant cost and is
        ample: REML needs the log-determinant to a few digits. The smallest eigenvalue of each
        group is exactly 0 (the all-ones vector; the group is connected), so it is set to 0
        rather than left as rounding noise that gamma would amplify.
        """
        parts = [np.zeros(0)]
        for q, groups, cells, _ in self.buckets:
            if q in self.spectra:
                values = self.spectra[q][0].copy()
            else:
                blocks = self.blocks[cells].reshape(len(groups), q, q).astype(np.float32)
                values = np.stack([eigh(b, eigvals_only=True, driver="evd") for b in blocks])
                values = np.sort(values, axis=1).clip(min=0.0)
            values[:, 0] = 0.0
            parts.append(values.ravel())
        return np.concatenate(parts)


def _conjugate_gradients(
    block: sp.csr_matrix, penalty: float, rhs: NDArray[np.float64]
) -> NDArray[np.float64]:
    system = block + penalty * sp.identity(block.shape[0], format="csr")
    inverse_diagonal = 1.0 / system.diagonal()
    preconditioner = LinearOperator(
        system.shape, matvec=lambda v: inverse_diagonal * v.ravel(), dtype=float
    )
    solution, info = cg(
        system, rhs, rtol=1e-11, atol=0.0, maxiter=10 * block.shape[0], M=preconditioner
    )
    if info != 0:
        # Badly connected groups can stall conjugate gradients; a dense solve always works.
        solution = np.linalg.solve(system.toarray(), rhs)
    return np.asarray(solution, dtype=float)


def _solve_and_invert_in_place(
    k: NDArray[np.float64], rhs: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Solve k[i] x = rhs[i] for symmetric positive definite k[i], replacing k[i] by its inverse.

    Only the upper triangle of each inverse is guaranteed: large blocks go through LAPACK's
    Cholesky inverse, which fills one triangle of the transposed (Fortran-ordered) view in place.
    """
    if k.shape[1] <= _BATCH_LIMIT:
        k[...] = np.linalg.inv(k)
        batched: NDArray[np.float64] = np.einsum("gij,gj->gi", k, rhs)
        return batched
    solutions = np.empty_like(rhs)
    for i in range(k.shape[0]):
        # k[i].T is Fortran-ordered and, k[i] being symmetric, the same matrix: LAPACK then
        # works in place, and its lower triangle is the upper triangle of k[i].
        factor, info = lapack.dpotrf(k[i].T, lower=1, overwrite_a=1)
        if info != 0:
            raise ArithmeticError("a reviewer block is not positive definite")
        solutions[i], _ = lapack.dpotrs(factor, rhs[i], lower=1)
        _, info = lapack.dpotri(factor, lower=1, overwrite_c=1)
        if info != 0:
            raise ArithmeticError("a reviewer block could not be inverted")
    return solutions


def _review_pairs(
    app: NDArray[np.intp], counts: NDArray[np.intp]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """All ordered pairs (i, i') of reviews of the same application; reviews sorted by app."""
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    firsts, seconds = [np.zeros(0, dtype=np.intp)], [np.zeros(0, dtype=np.intp)]
    for size in np.unique(counts):
        rows = starts[counts == size][:, None] + np.arange(size)  # (apps, size)
        firsts.append(np.repeat(rows, size, axis=1).ravel())
        seconds.append(np.tile(rows, (1, size)).ravel())
    return np.concatenate(firsts), np.concatenate(seconds)


def _by_id[K: Hashable](ids: list[K], values: NDArray[np.float64]) -> dict[K, float]:
    return {i: float(v) for i, v in zip(ids, values, strict=True)}
