"""The public open-data pages (no login) and the officers' page to withhold or restore a line.

Public pages read the latest Publication of each funder (a frozen snapshot), never live data:
what anyone downloads is exactly what was published, on the date shown."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Max, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pepiniere.grants.models import Award
from pepiniere.lib.dates import long_date
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.lib.money import format_eur
from pepiniere.opendata import export, services
from pepiniere.opendata.models import Publication
from pepiniere.programmes.models import Funder


def _funder(siret: str) -> Funder:
    if not (siret.isdigit() and len(siret) == 14):
        raise Http404
    return get_object_or_404(Funder, siret=siret)


def index(request: HttpRequest) -> HttpResponse:
    """Every funder with a SIRET, and the date of its last publication."""
    latest = Publication.objects.filter(funder=OuterRef("pk")).order_by("-published_at", "-id")
    funders = (
        Funder.objects.exclude(siret="")
        .annotate(
            published_at=Max("open_data_publications__published_at"),
            published_lines=Subquery(latest.values("lines")[:1]),
        )
        .order_by("name")
    )
    return render(request, "opendata/index.html", {"funders": funders})


def funder_page(request: HttpRequest, siret: str) -> HttpResponse:
    funder = _funder(siret)
    publication = services.latest_publication(funder)
    rows = (
        [_shown(row) for row in csv.DictReader(io.StringIO(publication.scdl))]
        if publication
        else []
    )
    return render(
        request,
        "opendata/funder.html",
        {
            "funder": funder,
            "publication": publication,
            "rows": rows,
            "can_manage": bool(services.can_manage(request.user, funder)),
        },
    )


def _shown(row: dict[str, str]) -> dict[str, str]:
    """A published SCDL row as a French page shows it (« 40 000,00 € », « 75 % », « 5 juillet
    2015 »); the files keep the schema's forms."""
    share = Decimal(row["pourcentageSubvention"]) * 100
    return {
        "beneficiary": row["nomBeneficiaire"],
        "object": row["objet"],
        "amount": format_eur(Decimal(row["montant"])),
        "share": f"{number_format(share.normalize(), use_l10n=True)} %",
        "date": long_date(datetime.date.fromisoformat(row["dateConvention"])),
    }


def _download(siret: str, kind: str) -> HttpResponse:
    funder = _funder(siret)
    publication = services.latest_publication(funder)
    if publication is None:
        raise Http404
    stamp = publication.published_at.date().isoformat()
    if kind == "scdl":
        response = HttpResponse(publication.scdl, content_type="text/csv; charset=utf-8")
        name = f"subventions-{siret}-{stamp}.csv"
    else:
        response = HttpResponse(publication.giving, content_type="application/json")
        name = f"360giving-{siret}-{stamp}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def scdl_file(request: HttpRequest, siret: str) -> HttpResponse:
    return _download(siret, "scdl")


def giving_file(request: HttpRequest, siret: str) -> HttpResponse:
    return _download(siret, "360giving")


@login_required
def manage(request: AuthenticatedHttpRequest, siret: str) -> HttpResponse:
    """The funder's officers: every line of the funder with its outcome, withhold or restore."""
    funder = _funder(siret)
    services.can_manage(request.user, funder).enforce()
    found = export.lines(funder)
    return render(
        request,
        "opendata/manage.html",
        {
            "funder": funder,
            "lines": found,
            "counts": export.count_outcomes(found),
            "publication": services.latest_publication(funder),
        },
    )


@login_required
@require_POST
def withhold(request: AuthenticatedHttpRequest, siret: str, award_id: int) -> HttpResponse:
    funder = _funder(siret)
    services.can_manage(request.user, funder).enforce()
    award = get_object_or_404(Award, pk=award_id, shares__funder=funder)
    try:
        services.withhold(
            award=award, funder=funder, actor=request.user, reason=request.POST.get("reason", "")
        )
    except services.OpenDataError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Ligne retirée des données ouvertes ; publication mise à jour.")
        )
    return redirect("opendata:manage", siret)


@login_required
@require_POST
def restore(request: AuthenticatedHttpRequest, siret: str, award_id: int) -> HttpResponse:
    funder = _funder(siret)
    services.can_manage(request.user, funder).enforce()
    award = get_object_or_404(Award, pk=award_id, shares__funder=funder)
    try:
        services.restore(award=award, funder=funder, actor=request.user)
    except services.OpenDataError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Ligne rétablie ; publication mise à jour."))
    return redirect("opendata:manage", siret)
