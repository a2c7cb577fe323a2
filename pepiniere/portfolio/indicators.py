"""The EU common indicators the KPI follow-up feeds (DESIGN.md, "Portfolio and KPIs").

Definitions (written down where DESIGN.md is silent):

- **Supported organisation**: an organisation with at least one award (grants.Award) in the scope
  (a programme, a call, optionally the years of the award). Counted once however many awards.
- **Enterprise**: a supported organisation that is not an association (start-ups, SMEs, others).
- **Baseline** of an organisation: its earliest baseline report (the year before its *first*
  award), transmitted or validated. A later award does not move it.
- **RCR01** for year Y (jobs created in supported entities, annual FTE) =
  Σ over distinct supported organisations with a baseline before Y and a yearly report for Y of
  max(0, FTE(Y) − FTE(baseline)). Kept apart, never mixed: *maintained* jobs
  Σ min(FTE(Y), FTE(baseline)) and *research* jobs created Σ max(0, research FTE(Y) − research
  FTE(baseline)).
- Reports transmitted but not yet validated count, and the figure says how many organisations it
  relies on that way (marked on the page and in the command's output).
- **RCO01**: enterprises supported by size class at the baseline (headcount: micro < 10,
  small < 50, medium < 250, large ≥ 250; without a baseline, the lower bound of the INSEE size
  band; else « inconnue »). **RCO02**: enterprises supported by grants (every award is a grant
  here). **RCO05**: new enterprises supported: created less than three years before their first
  award in the scope.
- Breakdowns (call, axis, programme, award year, sector) put each organisation in the group of
  its first award in the scope, so that groups add up to the total and nobody counts twice;
  département is the organisation's own.

Every figure is a handful of aggregate queries (joins and subqueries on the report index), never
a Python loop over reports."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils.translation import gettext_lazy as _

from pepiniere.grants.models import Award
from pepiniere.organisations.models import Organisation, OrganisationKind
from pepiniere.portfolio.models import KpiReport, ReportStatus

COUNTED = (ReportStatus.SUBMITTED, ReportStatus.VALIDATED)
FTE = DecimalField(max_digits=12, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=FTE)
TWO_PLACES = Decimal("0.01")

DIMENSIONS = {
    "call": _("appel à projets"),
    "axis": _("axe prioritaire"),
    "programme": _("programme"),
    "departement": _("département"),
    "sector": _("filière"),
    "award_year": _("année d'attribution"),
}
SIZE_CLASSES = {
    "micro": _("micro-entreprise (moins de 10 salariés)"),
    "small": _("petite entreprise (10 à 49)"),
    "medium": _("moyenne entreprise (50 à 249)"),
    "large": _("grande entreprise (250 et plus)"),
    "unknown": _("taille inconnue"),
}


@dataclass(frozen=True)
class Scope:
    programme_id: int | None = None
    call_id: int | None = None
    funder_ids: frozenset[int] | None = None  # None: every funder (an administrator, the command)
    award_years: tuple[int, int] | None = None

    def awards(self) -> QuerySet[Award]:
        awards = Award.objects.all()
        if self.programme_id is not None:
            awards = awards.filter(application__call__programme_id=self.programme_id)
        if self.call_id is not None:
            awards = awards.filter(application__call_id=self.call_id)
        if self.funder_ids is not None:
            awards = awards.filter(shares__funder_id__in=self.funder_ids)
        if self.award_years is not None:
            awards = awards.filter(decision_date__year__gte=self.award_years[0]).filter(
                decision_date__year__lte=self.award_years[1]
            )
        return awards


def _first_award(scope: Scope) -> QuerySet[Award]:
    return (
        scope.awards()
        .filter(application__organisation_id=OuterRef("pk"))
        .order_by("decision_date", "pk")
    )


def supported(scope: Scope) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        Exists(scope.awards().filter(application__organisation_id=OuterRef("pk")))
    )


def _baseline() -> QuerySet[KpiReport]:
    return KpiReport.objects.filter(
        organisation_id=OuterRef("pk"), is_baseline=True, status__in=COUNTED
    ).order_by("period_year")


def _with_jobs(organisations: Any, year: int) -> Any:
    """Each organisation beside its earliest counted baseline and its report of the year, as
    joins the database can hash (PostgreSQL) or run on the report index (organisation,
    is_baseline, period_year), never a correlated subquery per figure: RCR01 over 100 000
    organisations and a million reports in about a second."""
    counted = Q(kpi_reports__status__in=COUNTED)
    # The baseline joined as "base" is the earliest counted one: no counted baseline before it
    # (an anti-join the database runs as one hash join; a scalar subquery per organisation would
    # be evaluated 100 000 times). Written in SQL: the ORM cannot name the joined report in a
    # subquery without joining it a second time.
    table = KpiReport._meta.db_table
    earliest = RawSQL(  # noqa: S611 (our own table, constant parameters)
        f"NOT EXISTS (SELECT 1 FROM {table} earlier WHERE earlier.organisation_id = base.organisation_id"  # noqa: S608
        " AND earlier.is_baseline AND earlier.status IN (%s, %s)"
        " AND earlier.period_year < base.period_year)",
        [str(s) for s in COUNTED],
        output_field=BooleanField(),
    )
    return (
        organisations.annotate(
            base=FilteredRelation(
                "kpi_reports", condition=counted & Q(kpi_reports__is_baseline=True)
            ),
            now=FilteredRelation(
                "kpi_reports",
                condition=counted
                & Q(
                    kpi_reports__is_baseline=False,
                    kpi_reports__period_semester__isnull=True,
                    kpi_reports__period_year=year,
                ),
            ),
        )
        .filter(
            base__period_year__lt=year,
            base__fte__isnull=False,
            now__fte__isnull=False,
        )
        .filter(earliest)
        .annotate(
            base_year=F("base__period_year"),
            base_fte=F("base__fte"),
            base_research=F("base__research_fte"),
            base_status=F("base__status"),
            base_pk=F("base__pk"),
            now_fte=F("now__fte"),
            now_research=F("now__research_fte"),
            now_status=F("now__status"),
            now_pk=F("now__pk"),
        )
    )


_SUMS = {
    "created": Sum(Greatest(F("now_fte") - F("base_fte"), ZERO, output_field=FTE)),
    "maintained": Sum(Least(F("now_fte"), F("base_fte"), output_field=FTE)),
    "research": Sum(
        Greatest(
            Coalesce(F("now_research"), ZERO) - Coalesce(F("base_research"), ZERO),
            ZERO,
            output_field=FTE,
        )
    ),
    "organisations": Count("pk"),
    "unvalidated": Count(
        "pk",
        filter=~Q(base_status=ReportStatus.VALIDATED) | ~Q(now_status=ReportStatus.VALIDATED),
    ),
}


def _group_expression(dimension: str, scope: Scope) -> Any:
    first = _first_award(scope)
    if dimension == "departement":
        return F("departement_id")
    path = {
        "call": "application__call_id",
        "axis": "application__call__axis_id",
        "programme": "application__call__programme_id",
        "sector": "application__call__sectors__pk",
    }.get(dimension)
    if path is not None:
        # A sector's key is its code (text), the others are integer ids.
        kind = CharField() if dimension == "sector" else IntegerField()
        return Subquery(first.values(path)[:1], output_field=kind)
    if dimension == "award_year":
        return Subquery(first.values("decision_date__year")[:1], output_field=IntegerField())
    raise ValueError(f"unknown dimension {dimension!r}")


@dataclass
class Jobs:
    """RCR01 and its companions for one year (and one group of a breakdown)."""

    year: int
    created: Decimal
    maintained: Decimal
    research: Decimal
    organisations: int
    unvalidated: int
    group: Any = None
    label: str = ""

    @property
    def relies_on_unvalidated(self) -> bool:
        return self.unvalidated > 0


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(TWO_PLACES)


def _jobs(year: int, row: dict[str, Any], group: Any = None) -> Jobs:
    return Jobs(
        year=year,
        created=_decimal(row["created"]),
        maintained=_decimal(row["maintained"]),
        research=_decimal(row["research"]),
        organisations=row["organisations"] or 0,
        unvalidated=row["unvalidated"] or 0,
        group=group,
    )


def rcr01(scope: Scope, year: int) -> Jobs:
    """RCR01 over the scope for one year: one aggregate query."""
    return _jobs(year, _with_jobs(supported(scope), year).aggregate(**_SUMS))


def rcr01_series(scope: Scope, years: range | list[int]) -> list[Jobs]:
    return [rcr01(scope, year) for year in years]


def rcr01_by(scope: Scope, year: int, dimension: str) -> list[Jobs]:
    """RCR01 for one year broken down by a dimension: one aggregate query grouped in SQL."""
    grouped: Any = supported(scope).annotate(group=_group_expression(dimension, scope))
    rows = _with_jobs(grouped, year).order_by().values("group").annotate(**_SUMS).order_by("group")
    result = [_jobs(year, row, row["group"]) for row in rows]
    labels = group_labels(dimension, [j.group for j in result])
    for jobs in result:
        jobs.label = labels.get(jobs.group, str(_("non renseigné")))
    return result


def group_labels(dimension: str, keys: list[Any]) -> dict[Any, str]:
    from pepiniere.calls.models import Call, Sector
    from pepiniere.programmes.models import Axis, Programme
    from pepiniere.territories.models import Departement

    ids = [k for k in keys if k is not None]
    if dimension == "award_year":
        return {k: str(k) for k in ids}
    if dimension == "departement":
        return {d.pk: f"{d.code} {d.name}" for d in Departement.objects.filter(pk__in=ids)}
    model: Any = {"call": Call, "axis": Axis, "programme": Programme, "sector": Sector}[dimension]
    return {obj.pk: str(obj) for obj in model.objects.filter(pk__in=ids)}


def drill_down(
    scope: Scope, year: int, *, dimension: str = "", group: Any = None, limit: int = 500
) -> list[dict[str, Any]]:
    """The organisations and reports behind an RCR01 figure (the baseline and the year's report
    of each, with their statuses), largest creation first."""
    organisations = supported(scope)
    if dimension:
        grouped: Any = organisations.annotate(group=_group_expression(dimension, scope))
        organisations = grouped.filter(group=group)
    rows = (
        _with_jobs(organisations, year)
        .annotate(
            created=Greatest(F("now_fte") - F("base_fte"), ZERO, output_field=FTE),
            maintained=Least(F("now_fte"), F("base_fte"), output_field=FTE),
        )
        .values(
            "pk",
            "name",
            "siren",
            "base_year",
            "base_fte",
            "base_status",
            "base_pk",
            "now_fte",
            "now_status",
            "now_pk",
            "created",
            "maintained",
        )
        .order_by("-created", "name", "pk")[:limit]
    )
    result: list[dict[str, Any]] = []
    for values in rows:
        row: dict[str, Any] = dict(values)
        for key in ("base_fte", "now_fte", "created", "maintained"):
            row[key] = _decimal(row[key])
        row["validated"] = (
            row["base_status"] == ReportStatus.VALIDATED
            and row["now_status"] == ReportStatus.VALIDATED
        )
        result.append(row)
    return result


# --- Output indicators (RCO) ------------------------------------------------------------------


def _enterprises(scope: Scope) -> QuerySet[Organisation]:
    return supported(scope).exclude(kind=OrganisationKind.ASSOCIATION)


def rco01(scope: Scope) -> dict[str, int]:
    """Enterprises supported by size class (at the baseline): one grouped query."""
    baseline = _baseline()
    rows = (
        _enterprises(scope)
        .annotate(
            staff=Coalesce(
                Subquery(baseline.values("headcount")[:1], output_field=IntegerField()),
                F("size_band__min_employees"),
                output_field=IntegerField(),
            )
        )
        .annotate(
            size=Case(
                When(staff__isnull=True, then=Value("unknown")),
                When(staff__lt=10, then=Value("micro")),
                When(staff__lt=50, then=Value("small")),
                When(staff__lt=250, then=Value("medium")),
                default=Value("large"),
                output_field=CharField(),
            )
        )
        .order_by()
        .values("size")
        .annotate(n=Count("pk"))
    )
    counts = {key: 0 for key in SIZE_CLASSES}
    for row in rows:
        counts[row["size"]] = row["n"]
    return counts


def rco02(scope: Scope) -> int:
    return _enterprises(scope).count()


def rco05(scope: Scope) -> int:
    """New enterprises: created less than three years before their first award in the scope."""
    first_date = Subquery(_first_award(scope).values("decision_date")[:1])
    organisations = (
        _enterprises(scope).filter(creation_date__isnull=False).annotate(first_award=first_date)
    )
    # One query for the two dates of each enterprise; the three-year comparison is done here
    # (date arithmetic differs between SQLite and PostgreSQL), over organisations, not reports.
    young = 0
    for created, awarded in organisations.values_list("creation_date", "first_award").iterator():
        if created is not None and awarded is not None and created > _years_before(awarded, 3):
            young += 1
    return young


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass
class Summary:
    scope: Scope
    year: int
    rcr01: Jobs
    rco01: dict[str, int]
    rco02: int
    rco05: int
    series: list[Jobs] = field(default_factory=list)


def summary(scope: Scope, year: int, *, series_from: int | None = None) -> Summary:
    years = range(series_from, year + 1) if series_from is not None else range(year, year + 1)
    series = rcr01_series(scope, list(years))
    return Summary(
        scope=scope,
        year=year,
        rcr01=series[-1],
        rco01=rco01(scope),
        rco02=rco02(scope),
        rco05=rco05(scope),
        series=series,
    )


def latest_year() -> int | None:
    return (
        KpiReport.objects.filter(is_baseline=False, status__in=COUNTED)
        .order_by("-period_year")
        .values_list("period_year", flat=True)
        .first()
    )
