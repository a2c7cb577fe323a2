"""The remaining EU common indicators: RCO04, RCR02, RCR17, RCR19 (DESIGN.md, "Portfolio and
KPIs"; the others are in indicators.py, whose definitions of *supported*, *enterprise*,
*baseline* and *counted report* hold here too).

Definitions (DESIGN.md is silent; chosen as an EU managing authority reads the ERDF 2021–2027
indicator fiches, and written on every page that shows them):

- **RCO04** — enterprises with non-financial support (coaching, mentoring, an accelerator stay):
  distinct enterprises that a later stage (the accelerator) says it supported in the scope. Until
  a stage registers into ``non_financial_support``, the figure is « sans objet » (None), never 0.
- **RCR02** — private investment matching public support, in euros, kept in three parts and never
  mixed with public money:
  *co-financing*: for every award in the scope decided up to year Y, the project's eligible budget
  (the latest signed agreement version; else the budget declared in the application) minus the
  award, when positive: the beneficiary's own contribution, assumed private (other public aid to
  the project is not recorded);
  *equity* and *loans* raised: the funds raised in capital and in loans that the enterprise's
  counted yearly reports declare from the year of its first award in the scope up to Y.
  Grouped by the award's own call, axis, programme, year (co-financing: money follows its
  project) and by the enterprise's first award group (funds raised).
- **RCR17** — new enterprises surviving: among the new enterprises of RCO05 (created less than
  three years before their first award in the scope), those whose first award year A satisfies
  A + 3 ≤ Y are *observable*; an observable one *survives* when a counted yearly report for a
  year from A + 3 to Y shows activity (headcount, FTE or turnover above zero). The rate is
  surviving / observable; an enterprise that stopped reporting counts as not surviving (the
  platform cannot tell a closure from silence: the figure is a lower bound).
- **RCR19** — enterprises with higher turnover: among the enterprises with a turnover in their
  (earliest counted) baseline and in their counted yearly report of year Y (Y after the baseline),
  those whose turnover in Y is strictly higher (in current euros, not deflated). The compared
  enterprises are given beside it.

Each cell carries the number of enterprises it is built on (``Cell.enterprises``: those with a
non-zero contribution for a sum, the counted ones for a count), which the public page needs for
statistical secrecy. Every figure is one aggregate query (joins and correlated subqueries the
database runs), a breakdown one grouped query, a series one query grouped by year."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
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
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, ExtractDay, ExtractMonth, ExtractYear, Greatest
from django.utils.translation import gettext_lazy as _

from pepiniere.agreements.models import AgreementVersion
from pepiniere.grants.models import Award
from pepiniere.lib.extension import ExtensionPoint
from pepiniere.organisations.models import Organisation, OrganisationKind
from pepiniere.portfolio.indicators import (
    COUNTED,
    Scope,
    _first_award,
    _group_expression,
    group_labels,
    supported,
)
from pepiniere.portfolio.models import KpiReport

SURVIVAL_YEARS = 3
MONEY = DecimalField(max_digits=16, decimal_places=2)
MONEY_ZERO = Value(Decimal("0"), output_field=MONEY)
CENT = Decimal("0.01")

# A later stage (the accelerator) registers here a function Scope -> QuerySet of organisation
# ids (``.values("pk")``) it gave non-financial support to within the scope.
non_financial_support: ExtensionPoint[Callable[[Scope], QuerySet[Any]]] = ExtensionPoint(
    "portfolio.non_financial_support"
)


@dataclass(frozen=True)
class Cell:
    """One figure and the number of enterprises it is built on. ``value`` None: « sans objet »."""

    value: Decimal | int | None
    enterprises: int


@dataclass(frozen=True)
class Measure:
    key: str
    label: Any
    kind: str  # "count" | "money" | "percent"


@dataclass(frozen=True)
class Indicator:
    code: str
    title: Any
    definition: Any
    measures: tuple[Measure, ...]


INDICATORS = {
    "RCO04": Indicator(
        "RCO04",
        _("Entreprises bénéficiant d'un soutien non financier"),
        _(
            "Entreprises distinctes accompagnées sans aide financière (accélérateur, mentorat) "
            "dans le périmètre. Sans objet tant qu'aucun accompagnement n'est suivi dans la "
            "plateforme."
        ),
        (Measure("supported", _("entreprises accompagnées"), "count"),),
    ),
    "RCR02": Indicator(
        "RCR02",
        _("Investissements privés complétant le soutien public"),
        _(
            "Autofinancement des projets aidés (budget éligible de la convention signée, à "
            "défaut budget du dossier, moins l'aide) et fonds levés en capital et en prêts "
            "déclarés par les entreprises depuis l'année de leur première aide, en euros "
            "courants ; les trois parts ne se mélangent pas."
        ),
        (
            Measure("cofunding", _("autofinancement des projets"), "money"),
            Measure("equity", _("fonds levés en capital"), "money"),
            Measure("loans", _("fonds levés en prêts"), "money"),
        ),
    ),
    "RCR17": Indicator(
        "RCR17",
        _("Jeunes entreprises toujours en activité"),
        _(
            "Parmi les jeunes entreprises soutenues (créées moins de 3 ans avant leur première "
            "aide) dont la première aide date d'au moins 3 ans, celles qui déclarent encore une "
            "activité (effectif, ETP ou chiffre d'affaires non nul) 3 ans ou plus après. Une "
            "entreprise qui ne déclare plus rien compte comme disparue : c'est un minimum."
        ),
        (
            Measure("surviving", _("jeunes entreprises toujours actives"), "count"),
            Measure("observable", _("jeunes entreprises aidées depuis au moins 3 ans"), "count"),
        ),
    ),
    "RCR19": Indicator(
        "RCR19",
        _("Entreprises dont le chiffre d'affaires a augmenté"),
        _(
            "Entreprises dont le chiffre d'affaires de l'année dépasse celui de leur situation "
            "de référence (l'année avant la première aide), en euros courants, parmi celles qui "
            "ont déclaré les deux."
        ),
        (
            Measure("higher", _("entreprises au chiffre d'affaires en hausse"), "count"),
            Measure("compared", _("entreprises comparées"), "count"),
        ),
    ),
}

Row = dict[str, Cell]


def _enterprises(scope: Scope) -> QuerySet[Organisation]:
    return supported(scope).exclude(kind=OrganisationKind.ASSOCIATION)


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


# --- RCO04 ----------------------------------------------------------------------------------


def _rco04_frame(scope: Scope, year: int) -> tuple[Any, dict[str, Any]] | None:
    providers = list(non_financial_support)
    if not providers:
        return None
    condition = Q()
    for provider in providers:
        condition |= Q(pk__in=provider(scope))
    frame = Organisation.objects.exclude(kind=OrganisationKind.ASSOCIATION).filter(condition)
    return frame, {"supported": Count("pk", distinct=True)}


def _rco04_cells(row: dict[str, Any]) -> Row:
    n = row["supported"] or 0
    return {"supported": Cell(n, n)}


# --- RCR02 ----------------------------------------------------------------------------------


def _eligible_budget() -> Any:
    signed = AgreementVersion.objects.filter(
        agreement__award_id=OuterRef("pk"), signed_at__isnull=False
    ).order_by("-number")
    return Coalesce(
        Subquery(signed.values("eligible_budget")[:1], output_field=MONEY),
        F("application__project_budget"),
        output_field=MONEY,
    )


def _cofunding_frame(scope: Scope, year: int | None) -> tuple[Any, dict[str, Any]]:
    # Awards by primary key: a scope filtered on two funders of one award must not count it twice.
    awards = Award.objects.filter(pk__in=scope.awards().values("pk")).exclude(
        application__organisation__kind=OrganisationKind.ASSOCIATION
    )
    if year is not None:
        awards = awards.filter(decision_date__year__lte=year)
    frame = awards.annotate(
        private_share=Greatest(_eligible_budget() - F("amount"), MONEY_ZERO, output_field=MONEY)
    )
    return frame, {
        "cofunding": Sum("private_share"),
        "cofunding_n": Count(
            "application__organisation_id", distinct=True, filter=Q(private_share__gt=0)
        ),
    }


def _award_group(dimension: str) -> Any:
    if dimension == "departement":
        return F("application__organisation__departement_id")
    if dimension == "award_year":
        return ExtractYear("decision_date")
    if dimension == "sector":
        from pepiniere.calls.models import Call

        sectors = Call.sectors.through.objects.filter(call_id=OuterRef("application__call_id"))
        return Subquery(sectors.order_by("sector_id").values("sector_id")[:1])
    path = {
        "call": "application__call_id",
        "axis": "application__call__axis_id",
        "programme": "application__call__programme_id",
    }.get(dimension)
    if path is None:
        raise ValueError(f"unknown dimension {dimension!r}")
    return F(path)


def _raised_frame(scope: Scope, year: int | None) -> tuple[Any, dict[str, Any]]:
    condition = Q(
        kpi_reports__status__in=COUNTED,
        kpi_reports__is_baseline=False,
        kpi_reports__period_semester__isnull=True,
    )
    if year is not None:
        condition &= Q(kpi_reports__period_year__lte=year)
    # « From the year of its first award »: for each award year y of the scope, the enterprises
    # aided that year and their reports from y on, OR-ed (so: from the first award year).
    # Uncorrelated IN lists the database builds once each; a correlated « first award year » per
    # report row took 0.5–1 s on the demo, this 0.05 s.
    after_an_award = Q(pk__in=[])
    for day in scope.awards().dates("decision_date", "year"):
        aided = scope.awards().filter(decision_date__year=day.year)
        after_an_award |= Q(
            pk__in=aided.values("application__organisation_id"),
            raised__period_year__gte=day.year,
        )
    frame = (
        _enterprises(scope)
        .annotate(raised=FilteredRelation("kpi_reports", condition=condition))
        .filter(after_an_award)
        .annotate(
            in_equity=Coalesce(F("raised__equity_raised"), MONEY_ZERO, output_field=MONEY),
            in_loans=Coalesce(F("raised__loans_raised"), MONEY_ZERO, output_field=MONEY),
        )
    )
    return frame, {
        "equity": Sum("in_equity"),
        "loans": Sum("in_loans"),
        "equity_n": Count("pk", distinct=True, filter=Q(in_equity__gt=0)),
        "loans_n": Count("pk", distinct=True, filter=Q(in_loans__gt=0)),
    }


# --- RCR17 ----------------------------------------------------------------------------------


def _day_number(field: str) -> Any:
    """A date as the integer YYYYMMDD: « created less than three years before » is then an
    exact comparison of integers (minus 30 000) on SQLite and PostgreSQL alike."""
    return ExtractYear(field) * 10000 + ExtractMonth(field) * 100 + ExtractDay(field)


def new_enterprises(scope: Scope) -> QuerySet[Organisation]:
    """RCO05's enterprises in SQL, each with the year of its first award in the scope."""
    first = _first_award(scope)
    return (
        _enterprises(scope)
        .filter(creation_date__isnull=False)
        .annotate(
            created_on=_day_number("creation_date"),
            first_on=Subquery(
                first.annotate(on=_day_number("decision_date")).values("on")[:1],
                output_field=IntegerField(),
            ),
            first_year=Subquery(
                first.values("decision_date__year")[:1], output_field=IntegerField()
            ),
        )
        .filter(created_on__gt=F("first_on") - SURVIVAL_YEARS * 10000)
    )


def _survival_frame(scope: Scope, year: int) -> tuple[Any, dict[str, Any]]:
    active = KpiReport.objects.filter(
        Q(headcount__gt=0) | Q(fte__gt=0) | Q(revenue__gt=0),
        organisation_id=OuterRef("pk"),
        status__in=COUNTED,
        is_baseline=False,
        period_semester__isnull=True,
        period_year__gte=OuterRef("first_year") + SURVIVAL_YEARS,
        period_year__lte=year,
    )
    young: Any = new_enterprises(scope)  # annotated with first_year (the stubs cannot tell)
    frame = young.filter(first_year__lte=year - SURVIVAL_YEARS).annotate(survives=Exists(active))
    return frame, {
        "observable": Count("pk"),
        "surviving": Count("pk", filter=Q(survives=True)),
    }


def _survival_cells(row: dict[str, Any]) -> Row:
    observable, surviving = row["observable"] or 0, row["surviving"] or 0
    return {"surviving": Cell(surviving, surviving), "observable": Cell(observable, observable)}


# --- RCR19 ----------------------------------------------------------------------------------


def _earliest_baseline() -> RawSQL:
    table = KpiReport._meta.db_table
    return RawSQL(  # noqa: S611 (our own table, constant parameters)
        f"NOT EXISTS (SELECT 1 FROM {table} earlier WHERE earlier.organisation_id = base.organisation_id"  # noqa: S608
        " AND earlier.is_baseline AND earlier.status IN (%s, %s)"
        " AND earlier.period_year < base.period_year)",
        [str(s) for s in COUNTED],
        output_field=BooleanField(),
    )


def _turnover_frame(scope: Scope, year: int | None) -> tuple[Any, dict[str, Any]]:
    counted = Q(kpi_reports__status__in=COUNTED)
    now = counted & Q(kpi_reports__is_baseline=False, kpi_reports__period_semester__isnull=True)
    if year is not None:
        now &= Q(kpi_reports__period_year=year)
    frame = (
        _enterprises(scope)
        .annotate(
            base=FilteredRelation(
                "kpi_reports", condition=counted & Q(kpi_reports__is_baseline=True)
            ),
            now=FilteredRelation("kpi_reports", condition=now),
        )
        .filter(
            base__revenue__isnull=False,
            now__revenue__isnull=False,
            now__period_year__gt=F("base__period_year"),
        )
        .filter(_earliest_baseline())
    )
    return frame, {
        "compared": Count("pk"),
        "higher": Count("pk", filter=Q(now__revenue__gt=F("base__revenue"))),
    }


def _turnover_cells(row: dict[str, Any]) -> Row:
    compared, higher = row["compared"] or 0, row["higher"] or 0
    return {"higher": Cell(higher, higher), "compared": Cell(compared, compared)}


# --- Totals, breakdowns, series ---------------------------------------------------------------


def _cofunding_cells(row: dict[str, Any]) -> Row:
    return {"cofunding": Cell(_money(row["cofunding"]), row["cofunding_n"] or 0)}


def _raised_cells(row: dict[str, Any]) -> Row:
    return {
        "equity": Cell(_money(row["equity"]), row["equity_n"] or 0),
        "loans": Cell(_money(row["loans"]), row["loans_n"] or 0),
    }


# (indicator, frame, cells, level, series grouping): level "award" groups by the award's own
# call / axis / programme / year, "organisation" by the organisation's first award in the scope.
_PARTS: list[tuple[str, Callable[..., Any], Callable[[dict[str, Any]], Row], str, str | None]] = [
    ("RCR02", _cofunding_frame, _cofunding_cells, "award", "decision_date__year"),
    ("RCR02", _raised_frame, _raised_cells, "organisation", "raised__period_year"),
    ("RCR17", _survival_frame, _survival_cells, "organisation", None),
    ("RCR19", _turnover_frame, _turnover_cells, "organisation", "now__period_year"),
]


def _parts(codes: set[str] | None) -> Iterator[Any]:
    for part in _PARTS:
        if codes is None or part[0] in codes:
            yield part


def _not_applicable() -> Row:
    return {m.key: Cell(None, 0) for m in INDICATORS["RCO04"].measures}


def totals(scope: Scope, year: int, codes: set[str] | None = None) -> dict[str, Row]:
    """{code: {measure: Cell}} for year Y: one query per part."""
    result: dict[str, Row] = {}
    if codes is None or "RCO04" in codes:
        rco04 = _rco04_frame(scope, year)
        result["RCO04"] = (
            _not_applicable() if rco04 is None else _rco04_cells(rco04[0].aggregate(**rco04[1]))
        )
    for code, frame_of, cells, _level, _series in _parts(codes):
        frame, sums = frame_of(scope, year)
        result.setdefault(code, {}).update(cells(frame.aggregate(**sums)))
    return result


@dataclass
class Group:
    key: Any
    label: str
    cells: dict[str, Row]


def breakdown(
    scope: Scope, year: int, dimension: str, codes: set[str] | None = None
) -> list[Group]:
    """The indicators of year Y by one dimension (indicators.DIMENSIONS): one grouped query per
    part, groups sorted by label; a group missing from a part has that part's cells empty."""
    by_key: dict[Any, dict[str, Row]] = {}
    if codes is None or "RCO04" in codes:
        rco04 = _rco04_frame(scope, year)
        if rco04 is not None:
            frame = rco04[0].annotate(group=_group_expression(dimension, scope))
            for row in frame.order_by().values("group").annotate(**rco04[1]):
                by_key.setdefault(row["group"], {})["RCO04"] = _rco04_cells(row)
    for code, frame_of, cells, level, _series in _parts(codes):
        frame, sums = frame_of(scope, year)
        group = _award_group(dimension) if level == "award" else _group_expression(dimension, scope)
        for row in frame.annotate(group=group).order_by().values("group").annotate(**sums):
            by_key.setdefault(row["group"], {}).setdefault(code, {}).update(cells(row))
    labels = group_labels(dimension, list(by_key))
    groups = [
        Group(key, labels.get(key, str(_("non renseigné"))), rows) for key, rows in by_key.items()
    ]
    if dimension == "award_year":
        return sorted(groups, key=lambda g: (g.key is None, g.key or 0))
    return sorted(groups, key=lambda g: (g.key is None, g.label.casefold()))


def series(scope: Scope, until: int, codes: set[str] | None = None) -> dict[int, dict[str, Row]]:
    """{year: {code: {measure: Cell}}}: co-financing by award year (not cumulated), funds raised
    and turnover by report year, survival per year Y (one query each year: it looks back)."""
    result: dict[int, dict[str, Row]] = {}
    for code, frame_of, cells, _level, by_year in _parts(codes):
        if by_year is None:
            continue
        frame, sums = frame_of(scope, None)
        rows = frame.annotate(y=F(by_year)).order_by().values("y").annotate(**sums).order_by("y")
        for row in rows:
            if row["y"] is not None and row["y"] <= until:
                result.setdefault(row["y"], {}).setdefault(code, {}).update(cells(row))
    return dict(sorted(result.items()))
