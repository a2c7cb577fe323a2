"""The call's ranking: raw consensus against thresholds, weights for the order, calibration for
reviewer severity, rank intervals for honest uncertainty. One computation, used by every page."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pepiniere.applications.models import Application, Status
from pepiniere.calls.models import Call, Criterion
from pepiniere.engine.calibration import Calibration, calibrate
from pepiniere.engine.ranking import disagreement, rank_intervals
from pepiniere.reviews.models import CriterionScore, Review

# Spread (sample standard deviation of reviewers' weighted scores, on the 0–5 scale) above which
# the page flags high disagreement between reviewers.
DISAGREEMENT_FLAG = 1.0
RANKED_STATES = {
    Status.IN_REVIEW,
    Status.REVIEWED,
    Status.SELECTED,
    Status.RESERVE,
    Status.REJECTED,
    Status.AWARDED,
    Status.CONTRACTED,
}


@dataclass
class RankedApplication:
    application: Application
    n_reviews: int
    criterion_means: dict[int, float]  # raw consensus per criterion (criterion id → mean)
    total_raw: float  # sum of criterion means, compared with the overall threshold
    weighted_raw: float  # weighted mean on the criteria scale, used for the order
    median: float
    spread: float
    calibrated: float | None
    std_error: float | None
    fundable: bool
    failed_thresholds: list[str] = field(default_factory=list)
    rank: int = 0
    interval: tuple[int, int] | None = None

    @property
    def high_disagreement(self) -> bool:
        return self.spread >= DISAGREEMENT_FLAG


@dataclass
class Ranking:
    call: Call
    rows: list[RankedApplication]
    calibration: Calibration[int, int]
    reviewer_bias: list[tuple[Any, float, int]]  # (reviewer, bias, number of reviews)


def _weighted(scores: dict[int, float], criteria: list[Criterion]) -> float | None:
    weights = [(float(c.weight), scores[c.pk]) for c in criteria if c.pk in scores]
    total = sum(w for w, _s in weights)
    if not weights or total == 0:
        return None
    return sum(w * s for w, s in weights) / total


def _tie_key(row: RankedApplication, keys: list[str], criteria: list[Criterion]) -> tuple:
    parts: list[Any] = []
    for key in keys:
        if key.startswith("criterion:"):
            position = int(key.split(":", 1)[1])
            criterion = next((c for c in criteria if c.position == position), None)
            parts.append(-(row.criterion_means.get(criterion.pk, 0.0)) if criterion else 0.0)
        elif key == "submitted_at" and row.application.submitted_at:
            parts.append(row.application.submitted_at.timestamp())
    return tuple(parts)


def compute_ranking(call: Call, *, use_calibration: bool = True) -> Ranking:
    criteria = list(call.criteria.all())
    applications = {
        a.pk: a
        for a in Application.objects.filter(call=call, status__in=RANKED_STATES).select_related(
            "organisation", "organisation__departement"
        )
    }
    scores = CriterionScore.objects.filter(
        review__in=Review.objects.counted(),
        review__assignment__application_id__in=applications,
        score__isnull=False,
    ).values_list(
        "review__assignment__application_id",
        "review__assignment__reviewer_id",
        "criterion_id",
        "score",
    )
    per_review: dict[tuple[int, int], dict[int, float]] = {}
    for application_id, reviewer_id, criterion_id, score in scores:
        assert score is not None  # score__isnull=False above
        per_review.setdefault((application_id, reviewer_id), {})[criterion_id] = float(score)
    weighted_by_review = {
        key: value for key, s in per_review.items() if (value := _weighted(s, criteria)) is not None
    }
    scale_low = min((float(c.scale_min) for c in criteria), default=0.0)
    scale_high = max((float(c.scale_max) for c in criteria), default=5.0)
    calibration: Calibration[int, int] = (
        calibrate(
            [(a, r, v) for (a, r), v in sorted(weighted_by_review.items())],
            scale=(scale_low, scale_high),
        )
        if weighted_by_review
        else Calibration()
    )

    rows: list[RankedApplication] = []
    for application_id, application in applications.items():
        reviews = {r: s for (a, r), s in per_review.items() if a == application_id}
        criterion_means: dict[int, float] = {}
        for criterion in criteria:
            values = [s[criterion.pk] for s in reviews.values() if criterion.pk in s]
            if values:
                criterion_means[criterion.pk] = statistics.fmean(values)
        weighted_values = [v for (a, _r), v in weighted_by_review.items() if a == application_id]
        failed = []
        for criterion in criteria:
            mean = criterion_means.get(criterion.pk)
            if criterion.threshold is not None and (
                mean is None or Decimal(str(round(mean, 6))) < criterion.threshold
            ):
                failed.append(criterion.title)
        total = sum(criterion_means.values())
        if (
            call.overall_threshold is not None
            and Decimal(str(round(total, 6))) < call.overall_threshold
        ):
            failed.append("overall")
        rows.append(
            RankedApplication(
                application=application,
                n_reviews=len(reviews),
                criterion_means=criterion_means,
                total_raw=total,
                weighted_raw=statistics.fmean(weighted_values) if weighted_values else 0.0,
                median=statistics.median(weighted_values) if weighted_values else 0.0,
                spread=disagreement(weighted_values) if weighted_values else 0.0,
                calibrated=calibration.quality.get(application_id),
                std_error=calibration.std_error.get(application_id),
                fundable=bool(reviews) and not failed,
                failed_thresholds=failed,
            )
        )
    tie_keys = list(call.tie_break or []) + ["submitted_at"]

    def order(row: RankedApplication) -> tuple:
        score = (
            row.calibrated if (use_calibration and row.calibrated is not None) else row.weighted_raw
        )
        return (-score, *_tie_key(row, tie_keys, criteria), row.application.pk)

    rows.sort(key=order)
    for position, row in enumerate(rows, start=1):
        row.rank = position
    quality: dict[int, float] = {}
    std_error: dict[int, float] = {}
    for row in rows:
        if row.calibrated is not None and row.std_error is not None:
            quality[row.application.pk] = row.calibrated
            std_error[row.application.pk] = row.std_error
    if quality:
        intervals = rank_intervals(quality, std_error, level=0.9, seed=call.pk)
        for row in rows:
            if row.application.pk in quality:
                row.interval = intervals[row.application.pk]
    from pepiniere.accounts.models import User

    counts: dict[int, int] = {}
    for _a, reviewer_id in weighted_by_review:
        counts[reviewer_id] = counts.get(reviewer_id, 0) + 1
    reviewers = {u.pk: u for u in User.objects.filter(pk__in=calibration.bias)}
    bias = sorted(
        (
            (reviewers[r], b, counts.get(r, 0))
            for r, b in calibration.bias.items()
            if r in reviewers
        ),
        key=lambda item: item[1],
    )
    return Ranking(call=call, rows=rows, calibration=calibration, reviewer_bias=bias)
