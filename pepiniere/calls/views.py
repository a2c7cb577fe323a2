from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.calls.forms import CatalogueFilterForm
from pepiniere.calls.models import Call, CallDocument, CallPhase
from pepiniere.calls.permissions import can_view_call
from pepiniere.calls.selectors import CatalogueFilters, phase_counts
from pepiniere.calls.selectors import catalogue as catalogue_query
from pepiniere.lib.http import HtmxHttpRequest
from pepiniere.organisations.models import Organisation
from pepiniere.programmes.selectors import LabelIndex, Place

PAGE_SIZE = 20


def catalogue(request: HtmxHttpRequest) -> HttpResponse:
    now = timezone.now()
    form = CatalogueFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = CatalogueFilters(
        phase=data.get("phase") or CallPhase.OPEN,
        q=data.get("q", ""),
        sector=data.get("sector", ""),
        departement=data.get("departement", ""),
        axis=data.get("axis", ""),
        funder=data.get("funder", ""),
        deadline_before=data.get("deadline_before"),
    )
    page = Paginator(catalogue_query(filters, now=now), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    phase_query = request.GET.copy()
    phase_query.pop("page", None)
    phase_query.pop("phase", None)
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "counts": phase_counts(now=now),
        "phases": [
            (CallPhase.OPEN, _("Appels ouverts")),
            (CallPhase.UPCOMING, _("À venir")),
            (CallPhase.CLOSED, _("Clos")),
        ],
        "querystring": query.urlencode(),
        "phase_querystring": phase_query.urlencode(),
        "now": now,
    }
    template = "calls/catalogue.html#results" if request.htmx else "calls/catalogue.html"
    return render(request, template, context)


def call_detail(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(
        Call.objects.select_related("funder", "programme", "axis").prefetch_related(
            "sectors",
            "co_funders",
            "eligible_departements",
            "eligible_legal_forms",
            "eligible_size_bands",
            "required_labels__awarding_funder",
            "criteria",
            "documents",
        ),
        slug=slug,
    )
    if not can_view_call(request.user, call):
        raise Http404
    choices: list[tuple[Organisation, Any]] = []
    labelled: dict[int, Any] = {}
    preselected = None
    if request.user.is_authenticated:
        organisations = list(request.user.organisations.all())
        # Each structure shows where it stands on this call, and the one with a dossier to
        # finish is chosen already: « Commencer ou reprendre » resumes it rather than opening a
        # second, empty one for the first structure of the list.
        ongoing = {
            application.organisation_id: application
            for application in call.applications.filter(organisation__in=organisations)
            .current()
            .order_by("created_at")
        }
        choices = [(o, ongoing.get(o.pk)) for o in organisations]
        labelled = _labelled(call, organisations)
        editable = [o for o, a in choices if a is not None and a.is_editable_by_applicant]
        preselected = next(iter(editable or organisations), None)
    return render(
        request,
        "calls/call_detail.html",
        {
            "call": call,
            "choices": choices,
            "preselected": preselected,
            "labelled": labelled,
            "phase": call.phase(),
        },
    )


def _labelled(call: Call, organisations: list[Organisation]) -> dict[int, Any]:
    """For a call that requires a label: each of the person's structures and the holding by
    which it has the label today (None: it has none of them)."""
    labels = list(call.required_labels.all())
    if not labels or not organisations:
        return {}
    index = LabelIndex.load(labels=labels, organisation_ids=[o.pk for o in organisations])
    today = timezone.localdate()
    return {o.pk: next(iter(index.held_on(Place.of(o), today)), None) for o in organisations}


def call_document(request: HttpRequest, slug: str, document_id: int) -> FileResponse:
    document = get_object_or_404(
        CallDocument.objects.select_related("call"), pk=document_id, call__slug=slug
    )
    if not can_view_call(request.user, document.call):
        raise Http404
    name = document.file.name
    assert name is not None  # the file is required: a stored document always has one
    return FileResponse(
        document.file.open("rb"), as_attachment=True, filename=name.rsplit("/", 1)[-1]
    )
