"""The portfolio: every organisation a funder supported (an award it pays a share of, on its own
call or a call it co-funds), across calls, programmes and years, with its filters, sorts and
search.

One page costs a fixed number of queries whatever its size: the count (capped), the page of
organisations with their département, size band and figures, and the filters' choices. The
figures (awards, amount, first and last decision) come from the support summaries the award
hooks keep (models.SupportSummary, one row per funder and organisation, indexed for each sort):
nothing adds up awards on a page view. Filters on the award (programme, call, axis, sector, year)
restrict which awards make an organisation part of the list and which awards its figures add up:
those read the awards the filters keep (models.SupportedAward, by call and date); filters on the
organisation (département, size band, kind, search) restrict the organisations. A person of
several funders reads the awards themselves (a co-funded award counts once)."""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Concat
from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.calls.models import Call
from pepiniere.grants.models import Award, AwardShare
from pepiniere.lib.params import parse_int
from pepiniere.organisations.models import Organisation
from pepiniere.portfolio.models import SupportedAward
from pepiniere.programmes.models import Programme

PORTFOLIO_ROLES = (Role.OFFICER, Role.FINANCE)

# sort code → (label, needs the award figures in the query)
SORTS: dict[str, str] = {
    "name": "name",
    "-name": "-name",
    "departement": "departement",
    "first_award": "first_award",
    "-last_award": "-last_award",
    "-total": "-total",
    "total": "total",
}


def sort_labels() -> list[tuple[str, str]]:
    return [
        ("name", _("nom (A → Z)")),
        ("-name", _("nom (Z → A)")),
        ("departement", _("département")),
        ("first_award", _("première aide (la plus ancienne d'abord)")),
        ("-last_award", _("dernière aide (la plus récente d'abord)")),
        ("-total", _("montant attribué décroissant")),
        ("total", _("montant attribué croissant")),
    ]


def portfolio_funder_ids(user: Any) -> set[int] | None:
    """The funders whose portfolio this person reads (officer or finance); None: every funder
    (an administrator)."""
    if user.has_role(Role.ADMIN):
        return None
    return set(
        user.role_grants.filter(role__in=PORTFOLIO_ROLES, funder__isnull=False).values_list(
            "funder_id", flat=True
        )
    )


def portfolio_calls(funder_ids: set[int] | None) -> QuerySet[Call]:
    """The calls whose awards make the portfolio: the funders' own and co-funded calls."""
    calls = Call.objects.all()
    if funder_ids is None:
        return calls
    return calls.filter(Q(funder_id__in=funder_ids) | Q(co_funders__in=funder_ids)).distinct()


@dataclass(frozen=True)
class PortfolioFilters:
    programme: str = ""
    call: str = ""
    axis: str = ""
    departement: str = ""
    sector: str = ""
    size_band: str = ""
    kind: str = ""
    year: str = ""
    q: str = ""
    sort: str = "name"

    @classmethod
    def from_query(cls, query: Any) -> PortfolioFilters:
        values = {
            f.name: (query.get(f.name) or "").strip()[:100]
            for f in fields(cls)
            if query.get(f.name) is not None
        }
        if not values.get("sort"):
            values.pop("sort", None)
        return cls(**values)

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v and not (k == "sort" and v == "name")}

    @property
    def narrows_awards(self) -> bool:
        """Whether a filter on the award (not on the organisation) is set."""
        return any((self.programme, self.call, self.axis, self.sector, self.year))

    @property
    def award_year(self) -> int | None:
        # A malformed year is a 400 (lib.params), never a silently dropped filter.
        if not self.year:
            return None
        return parse_int(self.year, label=_("Année de l'aide"), minimum=1900, maximum=2200)


def scoped_awards(
    funder_ids: set[int] | None, filters: PortfolioFilters, *, membership: bool = False
) -> QuerySet[Award]:
    """The awards that count: those the funders pay a share of, within the award filters.
    `membership`: only to know whether an organisation is in (inside an EXISTS, where a
    duplicate row does no harm): the shares are joined."""
    awards = Award.objects.all()
    if funder_ids is not None and membership:
        awards = awards.filter(shares__funder_id__in=funder_ids)
    elif funder_ids is not None:
        # Supported = the funder pays a share of the award (AwardShare), as the KPI follow-up
        # reads it (portfolio.permissions.supported_by).
        # An EXISTS on the (award, funder) unique index: cheap per award, and never a second
        # copy of an award when several of the person's funders share it.
        awards = awards.filter(
            Exists(AwardShare.objects.filter(award_id=OuterRef("pk"), funder_id__in=funder_ids))
        )
    if filters.programme:
        awards = awards.filter(application__call__programme__slug=filters.programme)
    if filters.call:
        call_id = Call.objects.filter(slug=filters.call).values_list("pk", flat=True).first()
        awards = awards.filter(application__call_id=call_id) if call_id else awards.none()
    if filters.axis:
        awards = awards.filter(application__call__axis__code=filters.axis)
    if filters.sector:
        awards = awards.filter(application__call__sectors__code=filters.sector)
    if (year := filters.award_year) is not None:
        awards = awards.filter(
            decision_date__gte=datetime.date(year, 1, 1),
            decision_date__lte=datetime.date(year, 12, 31),
        )
    return awards


def _search(organisations: QuerySet[Organisation], text: str) -> QuerySet[Organisation]:
    """Name words (each must appear), or a SIREN/SIRET/RNA typed with or without spaces."""
    compact = text.replace(" ", "").replace("\u00a0", "")
    if compact.isdigit() and compact.isascii():
        return organisations.filter(Q(siren__startswith=compact[:9]) | Q(siret__startswith=compact))
    if compact[:1] in ("W", "w") and compact[1:].isdigit():
        return organisations.filter(rna__iexact=compact)
    for word in text.split():
        organisations = organisations.filter(name__icontains=word)
    return organisations


def _funder_key(funder_ids: set[int] | None) -> dict[str, Any] | None:
    """Which rows of the derived tables (models.SupportSummary, SupportedAward) hold this
    person's figures: one funder's, or every funder's (an administrator); None for a person of
    several funders (an award two of them share counts once, a sum of their rows would count it
    twice: their list adds up the awards themselves)."""
    if funder_ids is None:
        return {"funder__isnull": True}
    if len(funder_ids) == 1:
        return {"funder_id": next(iter(funder_ids))}
    return None


def _award_conditions(key: dict[str, Any], filters: PortfolioFilters) -> dict[str, Any]:
    """The award filters on SupportedAward: the calls they keep (programme, call, axis, sector
    are the call's), the year of decision."""
    conditions = dict(key)
    if filters.programme or filters.call or filters.axis or filters.sector:
        calls = Call.objects.all()
        if filters.programme:
            calls = calls.filter(programme__slug=filters.programme)
        if filters.call:
            calls = calls.filter(slug=filters.call)
        if filters.axis:
            calls = calls.filter(axis__code=filters.axis)
        if filters.sector:
            calls = calls.filter(sectors__code=filters.sector)
        conditions["call__in"] = calls.values("pk")
    if (year := filters.award_year) is not None:
        conditions["decision_date__gte"] = datetime.date(year, 1, 1)
        conditions["decision_date__lte"] = datetime.date(year, 12, 31)
    return conditions


def _on_relation(relation: str, conditions: dict[str, Any]) -> dict[str, Any]:
    return {f"{relation}__{name}": value for name, value in conditions.items()}


# sort key → the aggregate of the organisation's awards it sorts on (several funders)
_FIGURE_SORTS: dict[str, Any] = {
    "total": lambda: Sum("applications__award__amount"),
    "first_award": lambda: Min("applications__award__decision_date"),
    "last_award": lambda: Max("applications__award__decision_date"),
}


def portfolio(funder_ids: set[int] | None, filters: PortfolioFilters) -> QuerySet[Organisation]:
    """The organisations supported by these funders (None: every funder), filtered and sorted.

    One funder (or every one): without a filter on the award, each organisation carries its
    figures from its support summary (one joined row, sorted on the summary's indexes); with
    one, the organisations come from the awards the filters keep (SupportedAward, one index
    range per call), and carry the figures of those awards when sorted on them. Several
    funders: the awards themselves. Rows without figures get them from `page_figures`."""
    key = _funder_key(funder_ids)
    sort = SORTS.get(filters.sort, "name")
    figure_sort = (figure := sort.lstrip("-")) in _FIGURE_SORTS
    organisations: QuerySet[Organisation]
    if key is not None and not filters.narrows_awards:
        # The annotations reuse the filter's join (one summary row per organisation).
        organisations = Organisation.objects.filter(
            **_on_relation("support_summaries", key)
        ).annotate(
            summary_awards=F("support_summaries__awards"),
            total=F("support_summaries__total"),
            first_award=F("support_summaries__first_award"),
            last_award=F("support_summaries__last_award"),
        )
    elif key is not None:
        conditions = _award_conditions(key, filters)
        if figure_sort:
            # A few thousand awards at most within an award filter: grouped once.
            organisations = Organisation.objects.filter(
                **_on_relation("supported_awards", conditions)
            ).annotate(
                summary_awards=Count("supported_awards"),
                total=Sum("supported_awards__amount"),
                first_award=Min("supported_awards__decision_date"),
                last_award=Max("supported_awards__decision_date"),
            )
        else:
            organisations = Organisation.objects.filter(
                pk__in=SupportedAward.objects.filter(**conditions).values("organisation_id")
            )
    else:
        organisations = Organisation.objects.filter(_supported(funder_ids, filters))
    organisations = organisations.select_related("departement", "size_band")
    if filters.departement:
        organisations = organisations.filter(departement_id=filters.departement)
    if filters.size_band:
        organisations = organisations.filter(size_band_id=filters.size_band)
    if filters.kind:
        organisations = organisations.filter(kind=filters.kind)
    if filters.q:
        organisations = _search(organisations, filters.q)
    if key is None and figure_sort:
        # One grouped join over the scoped awards (the database hashes or sorts them once),
        # never a correlated subquery per organisation.
        awards = scoped_awards(funder_ids, filters)
        organisations = organisations.filter(applications__award__in=awards).annotate(
            **{figure: _FIGURE_SORTS[figure]()}
        )
    if sort == "departement":
        return organisations.order_by("departement_id", "name", "pk")
    if sort in ("name", "-name") and filters.q and connection.vendor == "postgresql":
        # The same order, written so that PostgreSQL cannot walk the name index: it starts
        # from the few rows the search keeps (trigram index), then sorts them. Walking the
        # index, it read the tens of thousands of names before the first match (a name word's
        # matches are neighbours in name order: « Fabrique … »): 120 ms → 25 ms for 100 000
        # organisations. (An award filter keeps the index walk: its rows are spread out.)
        name = Concat("name", Value(""), output_field=CharField())
        return organisations.order_by(name.desc() if sort == "-name" else name.asc(), "pk")
    return organisations.order_by(sort, "name", "pk")


def _supported(funder_ids: set[int] | None, filters: PortfolioFilters) -> Q:
    members = scoped_awards(funder_ids, filters, membership=True)
    if filters.narrows_awards:
        # Few awards match (a call, an axis, a year): the database starts from them.
        return Q(pk__in=members.values("application__organisation_id"))
    # Every award of several funders: an EXISTS per organisation (three index look-ups), never
    # an IN list of every member.
    return Q(Exists(members.filter(application__organisation_id=OuterRef("pk"))))


@dataclass
class OrganisationFigures:
    awards: int = 0
    total: Decimal = Decimal("0")
    first_award: datetime.date | None = None
    last_award: datetime.date | None = None
    calls: list[str] | None = None


def figures_of(organisation: Organisation) -> OrganisationFigures | None:
    """The figures an organisation of `portfolio` carries from its support summary, None when
    it carries none (then `page_figures` or `figures_by_organisation` has them)."""
    awards = getattr(organisation, "summary_awards", None)
    if awards is None:
        return None
    return OrganisationFigures(
        awards=awards,
        total=organisation.total,  # type: ignore[attr-defined]
        first_award=organisation.first_award,  # type: ignore[attr-defined]
        last_award=organisation.last_award,  # type: ignore[attr-defined]
    )


def page_figures(
    funder_ids: set[int] | None, filters: PortfolioFilters, organisations: Iterable[Organisation]
) -> dict[int, OrganisationFigures]:
    """Awards, amount, first and last decision of each organisation of one page, within the
    filters: those they carry (no query), else one grouped query over their awards."""
    page = list(organisations)
    carried = {o.pk: f for o in page if (f := figures_of(o)) is not None}
    if len(carried) == len(page):
        return carried
    ids = [o.pk for o in page]
    if (key := _funder_key(funder_ids)) is not None:
        lines = SupportedAward.objects.filter(
            **_award_conditions(key, filters), organisation_id__in=ids
        )
        return _grouped_lines(lines)
    return _grouped_figures(
        scoped_awards(funder_ids, filters).filter(application__organisation_id__in=ids)
    )


def figures_by_organisation(
    funder_ids: set[int] | None, filters: PortfolioFilters
) -> dict[int, OrganisationFigures]:
    """The same figures for the whole filtered portfolio (exports: one grouped query; none when
    the rows carry their summaries)."""
    if (key := _funder_key(funder_ids)) is not None:
        if not filters.narrows_awards:
            return {}
        return _grouped_lines(SupportedAward.objects.filter(**_award_conditions(key, filters)))
    return _grouped_figures(scoped_awards(funder_ids, filters))


def _grouped_lines(lines: QuerySet[SupportedAward]) -> dict[int, OrganisationFigures]:
    rows = (
        lines.order_by()
        .values("organisation_id")
        .annotate(
            n=Count("pk"),
            total=Sum("amount"),
            first=Min("decision_date"),
            last=Max("decision_date"),
        )
    )
    return {
        row["organisation_id"]: OrganisationFigures(
            awards=row["n"], total=row["total"], first_award=row["first"], last_award=row["last"]
        )
        for row in rows
    }


def _grouped_figures(awards: QuerySet[Award]) -> dict[int, OrganisationFigures]:
    rows = (
        awards.order_by()
        .values("application__organisation_id")
        .annotate(
            n=Count("pk", distinct=True),
            total=Sum("amount"),
            first=Min("decision_date"),
            last=Max("decision_date"),
        )
    )
    return {
        row["application__organisation_id"]: OrganisationFigures(
            awards=row["n"], total=row["total"], first_award=row["first"], last_award=row["last"]
        )
        for row in rows
    }


@dataclass
class ProgrammeJobs:
    """A programme's promise (its description) beside what RCR01 counts: jobs created in the
    supported organisations three years after the programme started, and by the latest year."""

    programme: Programme
    three_years: Any  # indicators.Jobs
    latest: Any | None


def programme_jobs(funder_ids: set[int] | None, *, latest_year: int) -> list[ProgrammeJobs]:
    """RCR01 (the kpi helper's portfolio.indicators) for each programme of these funders with
    awards. Empty when the indicators module is not installed."""
    try:
        indicators = importlib.import_module("pepiniere.portfolio.indicators")
    except ImportError:
        return []
    programmes = Programme.objects.filter(
        pk__in=scoped_awards(funder_ids, PortfolioFilters()).values(
            "application__call__programme_id"
        )
    ).order_by("start_date", "pk")
    out = []
    for programme in programmes:
        scope = indicators.Scope(
            programme_id=programme.pk,
            funder_ids=None if funder_ids is None else frozenset(funder_ids),
        )
        three = programme.start_date.year + 3
        out.append(
            ProgrammeJobs(
                programme=programme,
                three_years=indicators.rcr01(scope, three),
                latest=indicators.rcr01(scope, latest_year) if latest_year > three else None,
            )
        )
    return out
