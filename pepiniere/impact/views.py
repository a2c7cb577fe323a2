"""The impact pages: the officers' dashboard (their funder's programmes and calls) and a
programme's public page (no login, aggregates under statistical secrecy), each with its CSV."""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from pepiniere.applications.exports import CONTENT_TYPES
from pepiniere.calls.models import Call
from pepiniere.impact import services, tables
from pepiniere.impact.models import Audience
from pepiniere.impact.permissions import (
    can_view_call,
    can_view_dashboard,
    can_view_programme,
    dashboard_funder_ids,
)
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.lib.spreadsheet import SafeCsvWriter, decimal_comma
from pepiniere.portfolio import indicators
from pepiniere.portfolio.selectors_portfolio import portfolio_calls
from pepiniere.programmes.models import Programme

PUBLIC_DIMENSIONS = services.PUBLIC_DIMENSIONS


def _year(request: HttpRequest, version: str) -> int:
    raw = request.GET.get("annee", "")
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return services.default_year(version)


def _dimension(request: HttpRequest, allowed: list[str], default: str) -> str:
    value = request.GET.get("par", default)
    return value if value in allowed else default


def _dashboard(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """The dashboard's scope from ?programme= or ?appel= (slugs), checked against the funders."""
    can_view_dashboard(request.user).enforce()
    version = services.current_version()
    funder_ids = dashboard_funder_ids(request.user)
    calls = list(
        portfolio_calls(funder_ids).select_related("programme").order_by("-closes_at", "pk")
    )
    programmes = sorted({c.programme for c in calls}, key=lambda p: (p.start_date, p.title))
    frozen = None if funder_ids is None else frozenset(funder_ids)
    scope = indicators.Scope(funder_ids=frozen)
    selected_programme = selected_call = None
    if slug := request.GET.get("appel", ""):
        selected_call = get_object_or_404(Call.objects.prefetch_related("co_funders"), slug=slug)
        can_view_call(funder_ids, selected_call).enforce()
        scope = indicators.Scope(call_id=selected_call.pk, funder_ids=frozen)
    elif slug := request.GET.get("programme", ""):
        selected_programme = get_object_or_404(Programme, slug=slug)
        if not any(p.pk == selected_programme.pk for p in programmes):
            can_view_programme(funder_ids, selected_programme).enforce()
        scope = indicators.Scope(programme_id=selected_programme.pk, funder_ids=frozen)
    return {
        "scope": scope,
        "calls": calls,
        "programmes": programmes,
        "selected_programme": selected_programme,
        "selected_call": selected_call,
        "year": _year(request, version),
        "version": version,
        "dimension": _dimension(
            request, list(indicators.DIMENSIONS), services.OFFICER_DEFAULT_DIMENSION
        ),
    }


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = _dashboard(request)
    version = context["version"]
    figures, fresh = services.figures_for(
        context["scope"],
        context["year"],
        context["dimension"],
        audience=Audience.OFFICER,
        version=version,
    )
    result = None
    if context["selected_call"] or context["selected_programme"]:
        result, fresh_evaluation = services.evaluation_for(
            context["scope"], audience=Audience.OFFICER, version=version
        )
        fresh = _oldest(fresh, fresh_evaluation)
    context.update(
        evaluation=result,
        in_year=result.in_year(context["year"]) if result else None,
        at_promise=result.in_year(result.promise_year) if result and result.promise_year else None,
        gross=figures.blocks[0].figures[0][1],
        figures=figures,
        freshness=fresh,
        dimensions=indicators.DIMENSIONS,
        query=request.GET.urlencode(),
    )
    return render(request, "impact/dashboard.html", context)


def _oldest(a: services.Freshness, b: services.Freshness) -> services.Freshness:
    """One line on the page: the older of the parts' computations, stale if either is."""
    return services.Freshness(min(a.computed_at, b.computed_at), a.stale or b.stale)


@login_required
def dashboard_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = _dashboard(request)
    figures, _fresh = services.figures_for(
        context["scope"],
        context["year"],
        context["dimension"],
        audience=Audience.OFFICER,
        version=context["version"],
    )
    name = context["selected_call"] or context["selected_programme"] or None
    return _csv(figures, f"impact-{name.slug if name else 'portefeuille'}-{context['year']}")


def _public(
    request: HttpRequest, slug: str, version: str
) -> tuple[Programme, tables.Indicators, services.Freshness, str]:
    programme = get_object_or_404(Programme.objects.select_related("funder"), slug=slug)
    dimension = _dimension(request, PUBLIC_DIMENSIONS, services.OFFICER_DEFAULT_DIMENSION)
    scope = indicators.Scope(programme_id=programme.pk)
    if not scope.awards().exists():
        raise Http404(_("Ce programme n'a encore attribué aucune aide."))
    figures, fresh = services.figures_for(
        scope, _year(request, version), dimension, audience=Audience.PUBLIC, version=version
    )
    return programme, figures, fresh, dimension


def public_programme(request: HttpRequest, slug: str) -> HttpResponse:
    """Anyone: the programme's aggregates; a cell on fewer than three enterprises is masked
    (before the figures are stored)."""
    version = services.current_version()
    programme, figures, fresh, dimension = _public(request, slug, version)
    result, fresh_evaluation = services.evaluation_for(
        indicators.Scope(programme_id=programme.pk), audience=Audience.PUBLIC, version=version
    )
    return render(
        request,
        "impact/public.html",
        {
            "programme": programme,
            "figures": figures,
            "freshness": _oldest(fresh, fresh_evaluation),
            "evaluation": result,
            "in_year": result.in_year(figures.year),
            "at_promise": result.in_year(result.promise_year) if result.promise_year else None,
            "gross": figures.blocks[0].figures[0][1],
            "public": True,
            "year": figures.year,
            "dimension": dimension,
            "dimensions": {d: indicators.DIMENSIONS[d] for d in PUBLIC_DIMENSIONS},
            "query": request.GET.urlencode(),
        },
    )


def public_programme_csv(request: HttpRequest, slug: str) -> HttpResponse:
    programme, figures, _fresh, _dimension_ = _public(request, slug, services.current_version())
    return _csv(figures, f"impact-{programme.slug}-{figures.year}")


def _csv(figures: tables.Indicators, name: str) -> HttpResponse:
    """`;`, UTF-8 with a byte-order mark, decimal comma (as the portfolio's export)."""
    out = io.StringIO()
    out.write("\ufeff")

    def number(value: int | Any) -> str:
        return str(value) if isinstance(value, int) else decimal_comma(f"{value:.2f}")

    writer = SafeCsvWriter(out, number_format=number, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [_("Indicateur"), _("Mesure"), _("Détail"), _("Groupe ou année"), _("Valeur"), _("Unité")]
    )
    for row in figures.csv_rows():
        writer.writerow(row)
    response = HttpResponse(out.getvalue(), content_type=CONTENT_TYPES["csv"])
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
