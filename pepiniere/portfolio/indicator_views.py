"""The officers' page of indicators (RCR01 with a chart and the same figures in a table, RCO01/02/05)
and the drill-down to the organisations and reports behind a figure."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.portfolio import indicators
from pepiniere.portfolio.permissions import staff_funder_ids


def _scope(request: AuthenticatedHttpRequest) -> indicators.Scope:
    ids = staff_funder_ids(request.user, Role.OFFICER, Role.FINANCE)
    if ids is not None and not ids:
        raise PermissionDenied(
            _("Les indicateurs du portefeuille sont réservés aux équipes des financeurs.")
        )
    return indicators.Scope(funder_ids=frozenset(ids) if ids is not None else None)


def _year(request: AuthenticatedHttpRequest, default: int) -> int:
    try:
        year = int(request.GET.get("annee", default))
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


@login_required
def indicators_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    scope = _scope(request)
    latest = indicators.latest_year() or timezone.localdate().year - 1
    year = _year(request, latest)
    dimension = request.GET.get("par", "call")
    if dimension not in indicators.DIMENSIONS:
        dimension = "call"
    summary = indicators.summary(scope, year, series_from=max(2000, year - 10))
    breakdown = indicators.rcr01_by(scope, year, dimension)
    chart = {
        "labels": [str(j.year) for j in summary.series],
        "created": [str(j.created) for j in summary.series],
        "maintained": [str(j.maintained) for j in summary.series],
        "research": [str(j.research) for j in summary.series],
        "names": [_("ETP créés"), _("ETP maintenus"), _("ETP de recherche créés")],
    }
    return render(
        request,
        "portfolio/indicators.html",
        {
            "summary": summary,
            "year": year,
            "dimension": dimension,
            "dimensions": indicators.DIMENSIONS,
            "breakdown": breakdown,
            "sizes": [(indicators.SIZE_CLASSES[k], n) for k, n in summary.rco01.items()],
            "chart_data": chart,
        },
    )


@login_required
def drill_down(request: AuthenticatedHttpRequest) -> HttpResponse:
    scope = _scope(request)
    year = _year(request, indicators.latest_year() or timezone.localdate().year - 1)
    dimension = request.GET.get("par", "")
    group: int | None = None
    if dimension not in indicators.DIMENSIONS:
        dimension = ""
    elif request.GET.get("groupe", "").isdigit():
        group = int(request.GET["groupe"])
    rows = indicators.drill_down(scope, year, dimension=dimension, group=group)
    label = (
        indicators.group_labels(dimension, [group]).get(group, _("non renseigné"))
        if dimension
        else ""
    )
    return render(
        request,
        "portfolio/drill_down.html",
        {
            "rows": rows,
            "year": year,
            "dimension": dimension,
            "dimension_label": indicators.DIMENSIONS.get(dimension, ""),
            "group_label": label,
            "total": indicators.rcr01(scope, year) if not dimension else None,
        },
    )
