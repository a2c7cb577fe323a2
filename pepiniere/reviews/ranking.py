"""The call's ranking: raw consensus against thresholds, weights for the order, calibration for
reviewer severity, rank intervals for honest uncertainty. One computation, used by every page:
``ranking_for`` reads the call's stored snapshot and computes (``compute_ranking``) only when
something the ranking depends on changed since."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, QuerySet, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pepiniere.applications.models import Application, Status
from pepiniere.calls.models import Call, Criterion
from pepiniere.engine.calibration import Calibration, Notice, calibrate
from pepiniere.engine.ranking import disagreement, rank_intervals
from pepiniere.reviews.models import CriterionScore, RankingSnapshot, Review

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

    @property
    def warnings(self) -> list[str]:
        """The calibration's warnings in the reader's language (worded when the page is drawn,
        so a stored ranking reads in French and in English alike)."""
        names = {reviewer.pk: str(reviewer) for reviewer, _bias, _n in self.reviewer_bias}
        return [notice_text(n, names) for n in self.calibration.notices]


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


def _ranked_applications(call: Call) -> dict[int, Application]:
    return {
        a.pk: a
        for a in Application.objects.filter(call=call, status__in=RANKED_STATES)
        .select_related("organisation", "organisation__departement")
        .order_by("pk")
    }


def _counted_scores(application_ids: Any) -> QuerySet[CriterionScore]:
    return CriterionScore.objects.filter(
        review__in=Review.objects.counted(),
        review__assignment__application_id__in=application_ids,
        score__isnull=False,
    )


def compute_ranking(call: Call, *, use_calibration: bool = True) -> Ranking:
    """Compute the ranking from the reviews (REML calibration, Monte-Carlo rank intervals): pages
    read it through ``ranking_for``, which calls this only when the inputs changed."""
    criteria = list(call.criteria.all())
    applications = _ranked_applications(call)
    scores = _counted_scores(applications).values_list(
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

    # Each application's reviews and weighted scores, grouped once (not one scan per application).
    reviews_of: dict[int, dict[int, dict[int, float]]] = {}
    for (a, r), s in per_review.items():
        reviews_of.setdefault(a, {})[r] = s
    weighted_of: dict[int, list[float]] = {}
    for (a, _r), v in weighted_by_review.items():
        weighted_of.setdefault(a, []).append(v)

    rows: list[RankedApplication] = []
    for application_id, application in applications.items():
        reviews = reviews_of.get(application_id, {})
        criterion_means: dict[int, float] = {}
        for criterion in criteria:
            values = [s[criterion.pk] for s in reviews.values() if criterion.pk in s]
            if values:
                criterion_means[criterion.pk] = statistics.fmean(values)
        weighted_values = weighted_of.get(application_id, [])
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


# ---- the stored snapshot --------------------------------------------------------------------
# Bumped whenever the payload's layout changes: an older snapshot is then computed again.
PAYLOAD_VERSION = 2  # 2: the calibration's notices (codes and numbers)


def ranking_fingerprint(
    call: Call, criteria: list[Criterion], applications: dict[int, Application]
) -> str:
    """Digest of everything compute_ranking reads: the call's threshold and tie-break keys, its
    criteria, the ranked applications (which ones, their submission time for ties) and the
    counted scores (how many, their sum, whose, and the last time a review was saved). A jury
    decision moves an application between ranked states: that leaves the fingerprint as is."""
    scores = _counted_scores(list(applications)).aggregate(
        n=Count("pk"),
        total=Sum("score"),
        reviews=Sum("review_id"),
        criteria=Sum("criterion_id"),
        last=Max("review__updated_at"),
    )
    parts = [
        PAYLOAD_VERSION,
        call.pk,
        str(call.overall_threshold),
        list(call.tie_break or []),
        [
            [c.pk, c.position, c.title, str(c.weight), str(c.threshold), str(c.scale_min)]
            + [str(c.scale_max)]
            for c in criteria
        ],
        [
            [a.pk, a.submitted_at.isoformat() if a.submitted_at else None]
            for a in applications.values()
        ],
        {key: str(value) for key, value in scores.items()},
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _encode(value: Any) -> Any:
    """JSON that gives back exactly the same Python values: dicts as ordered [key, value] pairs
    (PostgreSQL's jsonb reorders object keys, and int keys would come back as strings), tuples as
    lists, non-finite floats spelled out (jsonb refuses NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}
    if isinstance(value, dict):
        return {"pairs": [[k, _encode(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "float" in value:
            return float(value["float"])
        return {k: _decode(v) for k, v in value["pairs"]}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def ranking_payload(ranking: Ranking) -> dict[str, Any]:
    rows = []
    for row in ranking.rows:
        data = {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}
        data["application"] = row.application.pk
        rows.append(_encode(data))
    calibration = {
        f.name: _encode(getattr(ranking.calibration, f.name))
        for f in dataclasses.fields(ranking.calibration)
        if f.name != "notices"
    }
    calibration["notices"] = [[n.code, _encode(n.params)] for n in ranking.calibration.notices]
    bias = [[reviewer.pk, value, n] for reviewer, value, n in ranking.reviewer_bias]
    return {"version": PAYLOAD_VERSION, "rows": rows, "calibration": calibration, "bias": bias}


def ranking_from_payload(
    call: Call, payload: dict[str, Any], applications: dict[int, Application]
) -> Ranking | None:
    """The stored ranking with today's application and reviewer objects; None when it cannot be
    read back (an older layout, an application no longer ranked)."""
    if payload.get("version") != PAYLOAD_VERSION:
        return None
    rows = []
    for encoded in payload["rows"]:
        data = _decode(encoded)
        application = applications.get(data.pop("application"))
        if application is None:
            return None
        if data["interval"] is not None:
            data["interval"] = tuple(data["interval"])
        rows.append(RankedApplication(application=application, **data))
    if len(rows) != len(applications):
        return None
    stored = dict(payload["calibration"])
    notices = [Notice(code, _decode(params)) for code, params in stored.pop("notices", [])]
    calibration: Calibration[int, int] = Calibration(
        notices=notices, **{name: _decode(value) for name, value in stored.items()}
    )
    from pepiniere.accounts.models import User

    reviewers = User.objects.in_bulk([r for r, _b, _n in payload["bias"]])
    bias = [(reviewers[r], b, n) for r, b, n in payload["bias"] if r in reviewers]
    return Ranking(call=call, rows=rows, calibration=calibration, reviewer_bias=bias)


def ranking_for(call: Call) -> Ranking:
    """The call's ranking as every page shows it: read from its snapshot while nothing it depends
    on has changed, else computed once and stored for the next readers."""
    criteria = list(call.criteria.all())
    applications = _ranked_applications(call)
    fingerprint = ranking_fingerprint(call, criteria, applications)
    snapshot = RankingSnapshot.objects.filter(call=call).first()
    if snapshot is not None and snapshot.fingerprint == fingerprint:
        stored = ranking_from_payload(call, snapshot.payload, applications)
        if stored is not None:
            return stored
    ranking = compute_ranking(call)
    _store(call, fingerprint, ranking_payload(ranking))
    return ranking


def _store(call: Call, fingerprint: str, payload: dict[str, Any]) -> None:
    now = timezone.now()
    with transaction.atomic():
        stored = RankingSnapshot.objects.filter(call=call).update(
            fingerprint=fingerprint, payload=payload, computed_at=now
        )
        if not stored:
            try:
                with transaction.atomic():
                    RankingSnapshot.objects.create(
                        call=call, fingerprint=fingerprint, payload=payload, computed_at=now
                    )
            except IntegrityError:
                pass  # another request stored the same ranking at the same moment


def notice_text(notice: Notice, reviewer_names: dict[int, str]) -> str:
    """The engine's calibration warning in the reader's language (the engine words it in English
    for its own users and tests; a page never shows that)."""
    p = notice.params
    if notice.code == "no_reviews":
        return _("Aucune évaluation remise : rien à calibrer.")
    if notice.code == "single_reviews":
        return _(
            "Aucun dossier n'a deux évaluations : la sévérité des expert·es et le bruit ne peuvent "
            "pas être estimés. La note calibrée est la moyenne simple, et les marges d'erreur "
            "supposent un bruit de %(noise)s (une note tirée au hasard sur l'échelle)."
        ) % {"noise": formats.number_format(p["noise"], decimal_pos=2)}
    if notice.code == "identical_scores":
        return _(
            "Les expert·es d'un même dossier ont toujours donné la même note : bruit et sévérité "
            "sont estimés à 0, et les marges d'erreur aussi."
        )
    if notice.code == "bias_not_identifiable":
        return _(
            "Avec cette affectation, la sévérité des expert·es ne peut pas être distinguée du "
            "bruit (aucune paire d'expert·es n'est comparable de deux façons indépendantes, par "
            "exemple sur deux dossiers communs) : la note calibrée est la moyenne simple."
        )
    if notice.code == "few_contrasts":
        return _(
            "Trop peu d'expert·es ont des dossiers en commun pour mesurer leurs écarts de "
            "sévérité (%(contrasts)d comparaison(s) indépendante(s) pour %(wanted)d souhaitées) : "
            "la correction est approximative."
        ) % {"contrasts": p["contrasts"], "wanted": p["wanted"]}
    if notice.code == "bias_dominates":
        return _(
            "Les écarts de sévérité expliquent presque tous les désaccords entre expert·es (bruit "
            "proche de 0) : vérifiez si un·e expert·e a donné la même note à tous les dossiers."
        )
    if notice.code == "separate_groups":
        return _(
            "Les évaluations forment %(groups)d groupes sans expert·e en commun (le plus grand : "
            "%(largest)d dossiers sur %(applications)d). Les notes sont calibrées dans chaque "
            "groupe ; comparer des dossiers de groupes différents suppose que leurs expert·es "
            "sont en moyenne aussi sévères."
        ) % {"groups": p["groups"], "largest": p["largest"], "applications": p["applications"]}
    if notice.code == "isolated_reviewers":
        shown = [reviewer_names.get(r, "—") for r in p["reviewers"]]
        return ngettext(
            "%(count)d expert·e n'a aucun dossier en commun avec un·e autre (%(names)s) : "
            "sa sévérité ne peut pas être estimée et est prise égale à 0.",
            "%(count)d expert·es n'ont aucun dossier en commun avec un·e autre (%(names)s) : "
            "leur sévérité ne peut pas être estimée et est prise égale à 0.",
            p["count"],
        ) % {"count": p["count"], "names": ", ".join(shown)}
    return _("Calibration : avertissement « %(code)s ».") % {"code": notice.code}
