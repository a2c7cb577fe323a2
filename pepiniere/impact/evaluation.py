"""How many of the jobs were caused by the support: the counterfactual estimates of a scope (a
programme or a call), from the impact engine (DESIGN.md, "Impact engine contract").

- **Difference in differences** (``estimate_did``): one row per organisation and KPI year
  (counted yearly reports with an FTE), outcome = annual FTE; ``first_treated_year`` = the year of
  the organisation's first award in the scope; the controls are the applicants of the same calls
  that were rejected and never received any award (an organisation aided elsewhere is neither a
  clean control nor treated here, and is left out).
- **Jobs attributable** = the engine's average effect per funded firm and followed year (FTE) ×
  the number of funded firms in the estimate, with the interval scaled the same way (the number
  of firms is taken as known; only the effect is uncertain). It is the extra FTE the funded firms
  had on average in the years after their award, compared with what the rejected applicants'
  path says they would have had.
- **Three years after the award** (the founding promise): the event-study effect at k = 3 × the
  funded firms, with its interval.
- **Regression discontinuity** (``estimate_rdd``) at each call's cut-off: running = the
  application's selection score (the call's ranking: weighted mean of the reviewers' criterion
  means, ``reviews.ranking``), cut-off = the lowest score that was funded, outcome = FTE three
  years after the call's decision year minus FTE the year before it. Funded below the cut-off
  or rejected above it (the envelope ran out) is read as the sharp design reads it; the engine
  says when too few applicants lie near the cut-off.
- **Cost per attributable job** = the scope's total awarded ÷ jobs attributable; its interval
  is the total ÷ the interval's bounds (unbounded when the interval reaches zero).

A task computes the estimates and stores them (impact.services, ImpactSnapshot); the pages read
them and say when they were computed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Exists, IntegerField, Min, OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.applications.models import Application, Status
from pepiniere.calls.models import Call
from pepiniere.engine import forecast as forecast_engine
from pepiniere.engine import impact as impact_engine
from pepiniere.grants.models import Award
from pepiniere.organisations.models import Organisation
from pepiniere.portfolio.indicators import COUNTED, Scope, _first_award, rcr01, supported
from pepiniere.portfolio.models import KpiReport
from pepiniere.programmes.models import Programme
from pepiniere.reviews.models import CriterionScore, Review

HORIZON = 3
# An award's application moves on (contracted, closed, terminated); a rejected one stays.
FUNDED_STATES = [Status.AWARDED, Status.CONTRACTED, Status.CLOSED, Status.TERMINATED]
SECRECY_THRESHOLD = 3
MIN_SIDE = 5  # applicants with an outcome on each side of a cut-off before trying an RDD


def _engine() -> Any | None:
    """The pure estimators (one indirection: the tests give known answers through it)."""
    return impact_engine


@dataclass
class Interval:
    value: float
    low: float | None
    high: float | None


@dataclass
class CallDiscontinuity:
    call: str
    cutoff: float
    applicants: int
    effect: Interval | None
    bandwidth: float | None
    n_treated: int
    n_control: int
    warnings: list[str]

    @property
    def publishable(self) -> bool:
        return min(self.n_treated, self.n_control) >= SECRECY_THRESHOLD


@dataclass
class YearJobs:
    year: int
    firms: int
    per_firm: Interval
    total: Interval | None
    cost_per_job: tuple[Decimal, Decimal | None, Decimal | None] | None


@dataclass
class Evaluation:
    available: bool  # False: the engine is not installed
    computed_at: Any
    seconds: float
    n_treated: int = 0
    n_control: int = 0
    per_firm: Interval | None = None
    attributable: Interval | None = None
    at_horizon: Interval | None = None  # per firm, k = HORIZON
    at_horizon_total: Interval | None = None
    event_study: list[tuple[int, float, float, float]] = field(default_factory=list)
    pretrend_p_value: float | None = None
    awarded: Decimal = Decimal("0")
    cost_per_job: tuple[Decimal, Decimal | None, Decimal | None] | None = None
    warnings: list[str] = field(default_factory=list)
    discontinuities: list[CallDiscontinuity] = field(default_factory=list)
    forecast: Any = None  # engine.forecast.JobsForecast of the funded firms
    # {year: (effect per funded firm, low, high)} and {year: funded firms in the estimate}
    by_calendar_year: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    treated_by_year: dict[int, int] = field(default_factory=dict)
    promise: str = ""
    promise_year: int | None = None
    gross_at_promise: Decimal | None = None

    def in_year(self, year: int) -> YearJobs | None:
        """Jobs attributable in one calendar year: the average effect that year on the firms
        funded by then × their number (the engine's "calendar" aggregation), with the interval
        scaled alike, and the cost per job: the money awarded to the scope ÷ that total."""
        effect = self.by_calendar_year.get(year)
        n = self.treated_by_year.get(year, 0)
        if effect is None or not n:
            return None
        total = _scaled(Interval(*effect), n)
        return YearJobs(year, n, Interval(*effect), total, _cost(self.awarded, total))

    @property
    def publishable(self) -> bool:
        """Public pages: an estimate built on fewer than three funded or rejected firms is not."""
        return min(self.n_treated, self.n_control) >= SECRECY_THRESHOLD

    @property
    def event_rows(self) -> list[tuple[int, int, float, float, float]]:
        """(k, |k|, effect, low, high) for the table (|k| words « 2 ans avant »)."""
        return [(k, abs(k), e, lo, hi) for k, e, lo, hi in self.event_study]

    @property
    def forecast_chart(self) -> list[dict[str, Any]]:
        """The forecast as impact.js draws it: recorded total at the origin, then the median and
        the 80 % and 95 % bounds."""
        forecast = self.forecast
        if forecast is None or not forecast.years:
            return []
        start = [str(round(forecast.observed, 1))]
        series = [
            (_("prévision (médiane)"), "point"),
            (_("borne basse 80 %"), "low_80"),
            (_("borne haute 80 %"), "high_80"),
            (_("borne basse 95 %"), "low_95"),
            (_("borne haute 95 %"), "high_95"),
        ]
        return [
            {
                "id": "chart-forecast",
                "type": "line",
                "kind": "fte",
                "labels": [str(forecast.origin_year)] + [str(y.year) for y in forecast.years],
                "datasets": [
                    {
                        "label": str(name),
                        "values": start + [str(round(getattr(y, key), 1)) for y in forecast.years],
                    }
                    for name, key in series
                ],
            }
        ]

    @property
    def event_chart(self) -> list[dict[str, Any]]:
        """The event study as impact.js draws it: the effect and its bounds by relative year."""
        labels = [str(k) for k, *_rest in self.event_study]
        return [
            {
                "id": "chart-event-study",
                "type": "line",
                "kind": "fte",
                "labels": labels,
                "datasets": [
                    {
                        "label": str(name),
                        "values": [str(round(row[i], 2)) for row in self.event_study],
                    }
                    for i, name in (
                        (1, _("effet")),
                        (2, _("borne basse (95 %)")),
                        (3, _("borne haute (95 %)")),
                    )
                ],
            }
        ]


def _calls(scope: Scope) -> Any:
    return Call.objects.filter(pk__in=scope.awards().values("application__call_id"))


def _controls(scope: Scope) -> Any:
    """Rejected applicants of the scope's calls that never received any award."""
    rejected = Application.objects.filter(
        call__in=_calls(scope), status=Status.REJECTED, organisation_id=OuterRef("pk")
    )
    any_award = Award.objects.filter(application__organisation_id=OuterRef("pk"))
    return Organisation.objects.filter(Exists(rejected)).exclude(Exists(any_award))


def did_rows(scope: Scope) -> list[tuple[int, int, int | None, float]]:
    first = dict(
        supported(scope)
        .annotate(
            first=Subquery(
                _first_award(scope).values("decision_date__year")[:1], output_field=IntegerField()
            )
        )
        .values_list("pk", "first")
    )
    controls = set(_controls(scope).values_list("pk", flat=True))
    fte = _fte_by_year(set(first) | controls)
    return [(org, year, first.get(org), value) for (org, year), value in fte.items()]


def _fte_by_year(organisations: Any) -> dict[tuple[int, int], float]:
    """{(organisation, year): annual FTE} from the counted yearly reports; a year with only a
    baseline (the year before an award, asked at the award) takes the baseline's figure."""
    reports = (
        KpiReport.objects.filter(
            organisation_id__in=organisations,
            status__in=COUNTED,
            period_semester__isnull=True,
            fte__isnull=False,
        )
        .order_by("is_baseline")  # yearly reports first: they win over a baseline of the year
        .values_list("organisation_id", "period_year", "fte")
    )
    fte: dict[tuple[int, int], float] = {}
    for organisation, year, value in reports:
        fte.setdefault((organisation, year), float(value or 0))
    return fte


def forecast_rows(scope: Scope) -> list[tuple[int, int, float]]:
    """(organisation, year, FTE) of the scope's funded organisations (yearly reports and
    baselines), for the jobs forecast."""
    fte = _fte_by_year(supported(scope).values("pk"))
    return [(org, year, value) for (org, year), value in fte.items()]


def jobs_forecast(scope: Scope, *, until: int | None = None) -> Any:
    """The next HORIZON years of FTE of the funded firms that reported in the last year (the
    engine's year-block bootstrap of the portfolio's own yearly changes: engine/forecast.py)."""
    rows = forecast_rows(scope)
    if until is not None:
        rows = [row for row in rows if row[1] <= until]
    if not rows:
        return None
    return forecast_engine.forecast_jobs(rows, horizon=HORIZON)


def _interval(value: float | None, low: float | None, high: float | None) -> Interval | None:
    return None if value is None else Interval(value, low, high)


def _scaled(interval: Interval | None, n: int) -> Interval | None:
    if interval is None:
        return None
    return Interval(
        interval.value * n,
        None if interval.low is None else interval.low * n,
        None if interval.high is None else interval.high * n,
    )


def _euros(value: Decimal) -> Decimal:
    return value.quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def _cost(
    awarded: Decimal, jobs: Interval | None
) -> tuple[Decimal, Decimal | None, Decimal | None] | None:
    """Total awarded ÷ attributable jobs; the interval from the jobs' bounds (None: unbounded)."""
    if jobs is None or jobs.value <= 0:
        return None

    def per(n: float | None) -> Decimal | None:
        return None if n is None or n <= 0 else _euros(awarded / Decimal(str(n)))

    return _euros(awarded / Decimal(str(jobs.value))), per(jobs.high), per(jobs.low)


def compute(scope: Scope) -> Evaluation:
    started = time.perf_counter()
    engine = _engine()
    evaluation = Evaluation(available=engine is not None, computed_at=timezone.now(), seconds=0.0)
    if engine is None:
        return evaluation
    rows = did_rows(scope)
    awarded = Award.objects.filter(pk__in=scope.awards().values("pk")).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0")
    evaluation.awarded = awarded
    if rows:
        did = engine.estimate_did(rows, alpha=0.05)
        evaluation.n_treated, evaluation.n_control = did.n_treated, did.n_control
        evaluation.per_firm = _interval(did.effect, did.ci_low, did.ci_high)
        evaluation.attributable = _scaled(evaluation.per_firm, did.n_treated)
        evaluation.event_study = sorted((k, *values) for k, values in did.by_relative_year.items())
        at = did.by_relative_year.get(HORIZON)
        if at is not None:
            evaluation.at_horizon = Interval(*at)
            evaluation.at_horizon_total = _scaled(evaluation.at_horizon, did.n_treated)
        evaluation.pretrend_p_value = getattr(did, "pretrend_p_value", None)
        evaluation.by_calendar_year = dict(getattr(did, "by_calendar_year", {}))
        evaluation.treated_by_year = dict(getattr(did, "n_treated_by_calendar_year", {}))
        evaluation.warnings = list(did.warnings)
        evaluation.cost_per_job = _cost(awarded, evaluation.attributable)
    else:
        evaluation.warnings = [_("Aucun rapport d'indicateurs : rien à comparer.")]
    evaluation.discontinuities = discontinuities(scope, engine)
    evaluation.forecast = jobs_forecast(scope)
    if scope.programme_id is not None:
        programme = Programme.objects.get(pk=scope.programme_id)
        evaluation.promise = programme.description
        evaluation.promise_year = programme.start_date.year + HORIZON
        evaluation.gross_at_promise = rcr01(scope, evaluation.promise_year).created
    evaluation.seconds = time.perf_counter() - started
    return evaluation


def selection_scores(calls: list[Call]) -> dict[int, tuple[int, int, float]]:
    """{application id: (call id, organisation id, score)} for the scored applications of the
    calls, funded or rejected: the ranking's score (reviews.ranking's weighted_raw: the mean of
    the counted reviews' scores per criterion, weighted by the criteria's weights), in one
    grouped query (the stored ranking leaves out applications whose grant has been closed)."""
    means = (
        CriterionScore.objects.filter(
            review__in=Review.objects.counted(),
            review__assignment__application__call__in=calls,
            review__assignment__application__status__in=[*FUNDED_STATES, Status.REJECTED],
            score__isnull=False,
        )
        .order_by()
        .values(
            "review__assignment__application_id",
            "review__assignment__application__call_id",
            "review__assignment__application__organisation_id",
            "criterion_id",
            "criterion__weight",
        )
        .annotate(mean=Avg("score"))
    )
    sums: dict[int, list[Any]] = {}
    for row in means:
        entry = sums.setdefault(
            row["review__assignment__application_id"],
            [
                row["review__assignment__application__call_id"],
                row["review__assignment__application__organisation_id"],
                0.0,
                0.0,
            ],
        )
        weight = float(row["criterion__weight"])
        entry[2] += weight * float(row["mean"])
        entry[3] += weight
    return {pk: (c, o, total / w) for pk, (c, o, total, w) in sums.items() if w > 0}


def discontinuities(scope: Scope, engine: Any) -> list[CallDiscontinuity]:
    calls = list(_calls(scope).order_by("closes_at", "pk"))
    decided = dict(
        Award.objects.filter(application__call__in=calls)
        .order_by()
        .values("application__call_id")
        .annotate(first=Min("decision_date"))
        .values_list("application__call_id", "first")
    )
    awarded_ids = set(
        Award.objects.filter(application__call__in=calls).values_list("application_id", flat=True)
    )
    scores = selection_scores(calls)
    organisations = Application.objects.filter(call__in=calls).values("organisation_id")
    fte = _fte_by_year(organisations)
    result = []
    for call in calls:
        if call.pk not in decided:
            continue
        year = decided[call.pk].year
        scored = [(pk, org, score) for pk, (c, org, score) in scores.items() if c == call.pk]
        funded = [score for pk, _org, score in scored if pk in awarded_ids]
        if not funded:
            continue
        cutoff = min(funded)
        rows = []
        for pk, org, score in scored:
            before, after = fte.get((org, year - 1)), fte.get((org, year + HORIZON))
            if before is not None and after is not None:
                rows.append((pk, float(score), after - before))
        above = sum(1 for _pk, score, _y in rows if score >= cutoff)
        below = len(rows) - above
        if min(above, below) < MIN_SIDE:
            result.append(
                CallDiscontinuity(
                    call.title,
                    cutoff,
                    len(rows),
                    None,
                    None,
                    above,
                    below,
                    [
                        _(
                            "Trop peu de candidats de part et d'autre du seuil de sélection "
                            "(%(above)s au-dessus, %(below)s en dessous) : pas d'estimation."
                        )
                        % {"above": above, "below": below}
                    ],
                )
            )
            continue
        estimate = engine.estimate_rdd(rows, cutoff=cutoff, alpha=0.05)
        result.append(
            CallDiscontinuity(
                call.title,
                cutoff,
                len(rows),
                _interval(estimate.effect, estimate.ci_low, estimate.ci_high),
                estimate.bandwidth,
                estimate.n_treated,
                estimate.n_control,
                list(estimate.warnings),
            )
        )
    return result
