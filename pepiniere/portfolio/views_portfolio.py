"""The portfolio of supported organisations (officers, finance read-only) and an organisation's
follow-up page (the same staff, and the organisation's own members)."""

from __future__ import annotations

import dataclasses
import datetime
import io
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pepiniere.applications.exports import CONTENT_TYPES
from pepiniere.calls.models import Sector
from pepiniere.lib.dates import long_date
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.lib.money import format_eur, format_eur_cents, to_cents
from pepiniere.lib.pagination import CappedPaginator
from pepiniere.lib.params import InvalidParameter, parse_int
from pepiniere.organisations.models import Organisation, OrganisationKind, SizeBand
from pepiniere.portfolio import exports_portfolio
from pepiniere.portfolio.permissions_portfolio import (
    can_view_portfolio,
    organisation_page_access,
)
from pepiniere.portfolio.selectors_organisation import organisation_for_page, organisation_page
from pepiniere.portfolio.selectors_portfolio import (
    OrganisationFigures,
    PortfolioFilters,
    page_figures,
    portfolio,
    portfolio_calls,
    portfolio_funder_ids,
    programme_jobs,
    sort_labels,
)
from pepiniere.territories.models import Departement

PAGE_SIZE = 50
PAGE_SIZES = (25, 50, 100, 200)
# The list counts up to this many organisations (« plus de 1 000 ») and pages through them;
# the filters narrow it, the export has them all. Counting 100 000 supported organisations on
# every page view cost more than the rest of the page.
COUNT_CAP = 1_000


def _page_size(request: AuthenticatedHttpRequest) -> int:
    raw = request.GET.get("per_page")
    if not raw:
        return PAGE_SIZE
    size = parse_int(raw, label=_("Structures par page"), minimum=1, maximum=max(PAGE_SIZES))
    if size not in PAGE_SIZES:
        raise InvalidParameter(_("Structures par page : choisissez 25, 50, 100 ou 200."))
    return size


def _lines(rows: list[tuple[Organisation, OrganisationFigures | None]]) -> list[dict[str, Any]]:
    """Each row of the page as the table shows it, written here once (200 rows a page: the
    template reads prepared text instead of running filters and lookups in every cell)."""
    french = not (get_language() or "fr").startswith("en")
    kinds = {value: capfirst(label) for value, label in OrganisationKind.choices}
    days: dict[datetime.date | None, str] = {}

    def day(value: datetime.date | None) -> str:
        if value not in days:
            days[value] = long_date(value)
        return days[value]

    def money(value: Decimal | None) -> str:
        if value is None:
            return "—"
        if french:  # what the eur filter writes, without Babel's pattern machinery
            return format_eur_cents(to_cents(Decimal(value)))
        return format_eur(Decimal(value), locale="en_GB")

    lines = []
    for organisation, f in rows:
        lines.append(
            {
                "url": reverse("portfolio:organisation", args=[organisation.pk]),
                "name": organisation.name,
                "kind": kinds.get(organisation.kind, organisation.kind),
                "identifier": organisation.siren or organisation.rna,
                "departement": organisation.departement_id,
                "departement_name": organisation.departement.name,
                "size_band": organisation.size_band.label if organisation.size_band else "—",
                "awards": f.awards if f else 0,
                "total": money(f.total if f else None),
                "first_award": day(f.first_award if f else None),
                "last_award": day(f.last_award if f else None),
            }
        )
    return lines


@login_required
def portfolio_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    can_view_portfolio(request.user).enforce()
    filters = PortfolioFilters.from_query(request.GET)
    per_page = _page_size(request)
    funder_ids = portfolio_funder_ids(request.user)
    organisations = portfolio(funder_ids, filters)
    # Counted without the aggregate a sort by amount or date needs (the same organisations).
    unsorted = portfolio(funder_ids, dataclasses.replace(filters, sort="name"))
    page = CappedPaginator(organisations, per_page, cap=COUNT_CAP, count_from=unsorted).get_page(
        request.GET.get("page")
    )
    figures = page_figures(funder_ids, filters, page.object_list)
    rows = [(o, figures.get(o.pk)) for o in page.object_list]
    calls = list(
        portfolio_calls(funder_ids).select_related("programme", "axis").order_by("-closes_at", "pk")
    )
    programmes = {c.programme.slug: c.programme for c in calls}
    query = filters.as_dict()
    if per_page != PAGE_SIZE:
        query["per_page"] = str(per_page)
    context = {
        "page": page,
        "rows": rows,
        "lines": _lines(rows),
        "filters": filters,
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        "calls": calls,
        "programmes": sorted(programmes.values(), key=lambda p: (p.start_date, p.title)),
        "axes": sorted({(c.axis.code, c.axis.title) for c in calls if c.axis}),
        "departements": Departement.objects.all(),
        "sectors": Sector.objects.all(),
        "size_bands": SizeBand.objects.all(),
        "kinds": OrganisationKind.choices,
        "years": sorted({c.closes_at.year for c in calls}, reverse=True),
        "sorts": sort_labels(),
        "querystring": urlencode(query),
        "export_querystring": urlencode(filters.as_dict()),
    }
    template = (
        "portfolio/portfolio_list.html#results" if request.htmx else "portfolio/portfolio_list.html"
    )
    return render(request, template, context)


@login_required
def portfolio_jobs(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The programmes' promises beside the jobs RCR01 counts (loaded into the portfolio page by
    htmx, a page of its own without JavaScript)."""
    can_view_portfolio(request.user).enforce()
    latest = timezone.localdate().year - 1  # last year's reports are the latest complete ones
    rows = programme_jobs(portfolio_funder_ids(request.user), latest_year=latest)
    template = (
        "portfolio/portfolio_jobs.html#jobs" if request.htmx else "portfolio/portfolio_jobs.html"
    )
    return render(request, template, {"rows": rows})


@login_required
def portfolio_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The filtered portfolio as CSV (decimal comma, or `?decimal=point`) or XLSX."""
    can_view_portfolio(request.user).enforce()
    filters = PortfolioFilters.from_query(request.GET)
    fmt = request.GET.get("format", "csv")
    if fmt not in CONTENT_TYPES:
        raise InvalidParameter(_("« format » vaut « csv » ou « xlsx »."))
    decimal = request.GET.get("decimal", "comma")
    if decimal not in ("comma", "point"):
        raise InvalidParameter(_("« decimal » vaut « comma » (virgule, par défaut) ou « point »."))
    headers, rows = exports_portfolio.export_rows(portfolio_funder_ids(request.user), filters)
    if fmt == "csv":
        text = io.StringIO()
        exports_portfolio.write_csv(headers, rows, text, decimal_point=decimal == "point")
        content = text.getvalue().encode("utf-8")
    else:
        binary = io.BytesIO()
        exports_portfolio.write_xlsx(headers, rows, binary)
        content = binary.getvalue()
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="portefeuille-{stamp}.{fmt}"'
    return response


@login_required
def organisation_page_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        organisation = organisation_for_page(pk)
    except Organisation.DoesNotExist:
        raise Http404 from None
    # Someone whose funder never supported it is told nothing of it (404, not 403).
    access = organisation_page_access(request.user, organisation)
    if not access.verdict:
        raise Http404
    page = organisation_page(
        request.user, organisation, as_member=access.as_member, funder_ids=access.funder_ids
    )
    context: dict[str, Any] = {"page": page, "organisation": organisation}
    context.update(page.extras)
    return render(request, "portfolio/portfolio_organisation.html", context)
