"""Officer and jury pages: the call's scenarios, one scenario with its reasons, a comparison."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from pepiniere.calls.models import Call
from pepiniere.lib.params import optional_int_id, parse_int, parse_int_ids
from pepiniere.reviews.ranking import ranking_for
from pepiniere.selection import selectors, services
from pepiniere.selection.constraints import ALL, KINDS, specs_from_json
from pepiniere.selection.forms import (
    EMPTY_ROWS,
    ScenarioForm,
    constraint_rows,
    initial_from,
    parse_constraints,
    rows_from_specs,
)
from pepiniere.selection.models import Scenario
from pepiniere.selection.permissions import can_run_scenarios, can_view_scenarios

MAX_COMPARED = 4


def _call(request: HttpRequest, slug: str) -> Call:
    call = get_object_or_404(Call.objects.select_related("funder", "axis", "programme"), slug=slug)
    if not can_view_scenarios(request.user, call):
        raise Http404
    return call


def _tag_values(cands: list[services.Candidate]) -> dict[str, list[str]]:
    from pepiniere.selection.constraints import display_value

    values: dict[str, set[str]] = {}
    for c in cands:
        for tag, value in c.tags.items():
            values.setdefault(tag, set()).add(display_value(tag, value))
    return {tag: sorted(v) for tag, v in values.items()}


@login_required
def scenarios(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    can_run = bool(can_run_scenarios(request.user, call))
    labels = selectors.tag_labels(call)
    ranking = ranking_for(call)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not can_run:
            raise Http404
        form = ScenarioForm(request.POST)
        count = min(
            parse_int(request.POST.get("rows") or str(EMPTY_ROWS), label=_("Nombre de lignes")),
            30,
        )
        rows = constraint_rows(request.POST, count)
        specs, errors = parse_constraints(rows, labels)
        if form.is_valid() and not errors:
            data = form.cleaned_data
            try:
                scenario = services.create_scenario(
                    call=call,
                    actor=request.user,
                    name=data["name"],
                    rule=data["rule"],
                    constraints=specs,
                    budget=data["budget"],
                    project_cap=data["project_cap"],
                    allow_partial=data["allow_partial"],
                    partial_min_percent=data["partial_min_percent"],
                    ranking=ranking,
                )
            except services.SelectionError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request, _("Scénario « %(name)s » calculé.") % {"name": scenario.name}
                )
                return redirect("selection:detail", call.slug, scenario.pk)
    else:
        source = None
        if (copied := optional_int_id(request.GET.get("copier"), label=_("Scénario"))) is not None:
            source = Scenario.objects.filter(call=call, pk=copied).first()
        if source is not None:
            form = ScenarioForm(initial=initial_from(source))
            rows = rows_from_specs(specs_from_json(source.constraints))
        else:
            form = ScenarioForm(initial={"budget": call.envelope, "partial_min_percent": 50})
            rows = rows_from_specs([])
    cands = services.candidates(call, ranking)
    digest = services.ranking_digest(cands)
    items = []
    for scenario in Scenario.objects.filter(call=call).select_related(
        "created_by", "sent_to_jury_by"
    ):
        specs = specs_from_json(scenario.constraints)
        items.append(
            {
                "scenario": scenario,
                "fresh": scenario.ranking_digest == digest,
                "funded_count": len(scenario.funded),
                "unmet": len(scenario.result.get("unmet", [])),
                "constraints": [spec.describe(labels) for spec in specs],
            }
        )
    return render(
        request,
        "selection/scenarios.html",
        {
            "call": call,
            "items": items,
            "form": form,
            "rows": rows,
            "row_errors": errors,
            "tags": [(ALL, _("tous les dossiers"))] + [(k, v) for k, v in labels.items()],
            "kinds": list(KINDS.items()),
            "tag_values": [
                (labels.get(t, t), v) for t, v in _tag_values(cands).items() if t in labels
            ],
            "can_run": can_run,
            "n_ranked": len(cands),
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
def detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    call = _call(request, slug)
    scenario = get_object_or_404(
        Scenario.objects.select_related("created_by", "sent_to_jury_by"), pk=pk, call=call
    )
    if request.method == "POST":
        if not can_run_scenarios(request.user, call):
            raise Http404
        try:
            if "rerun" in request.POST:
                services.rerun_scenario(scenario=scenario, actor=request.user)
                messages.success(request, _("Scénario recalculé sur le classement actuel."))
            elif "send" in request.POST:
                services.send_to_jury(scenario=scenario, actor=request.user)
                messages.success(
                    request, _("Scénario transmis au jury : ses propositions en découlent.")
                )
            elif "delete" in request.POST:
                services.delete_scenario(scenario=scenario, actor=request.user)
                messages.success(request, _("Scénario supprimé."))
                return redirect("selection:scenarios", call.slug)
        except services.SelectionError as error:
            messages.error(request, error.message)
        return redirect("selection:detail", call.slug, scenario.pk)
    labels = selectors.tag_labels(call)
    ranking = ranking_for(call)
    fresh = services.ranking_digest(services.candidates(call, ranking)) == scenario.ranking_digest
    applications = selectors.applications_of([scenario])
    specs = specs_from_json(scenario.constraints)
    return render(
        request,
        "selection/detail.html",
        {
            "call": call,
            "scenario": scenario,
            "fresh": fresh,
            "rows": selectors.scenario_rows(scenario, applications, labels),
            "totals": _totals(selectors.tag_totals(scenario), labels),
            "unmet": selectors.unmet(scenario, labels),
            "constraints": [spec.describe(labels) for spec in specs],
            "can_run": bool(can_run_scenarios(request.user, call)),
        },
    )


def _totals(
    totals: dict[tuple[str, str], tuple[int, int]], labels: dict[str, Any]
) -> list[tuple[str, str, int, int]]:
    return [
        (str(labels.get(tag, tag)), value, cents, n) for (tag, value), (cents, n) in totals.items()
    ]


@login_required
def compare(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    ids = parse_int_ids(request.GET.getlist("s"), label=_("Scénarios"))[:MAX_COMPARED]
    chosen = {s.pk: s for s in Scenario.objects.filter(call=call, pk__in=ids)}
    picked = [chosen[i] for i in dict.fromkeys(ids) if i in chosen]
    if len(picked) < 2:
        messages.error(request, _("Cochez au moins deux scénarios à comparer."))
        return redirect("selection:scenarios", call.slug)
    labels = selectors.tag_labels(call)
    comparison = selectors.compare(picked, selectors.applications_of(picked), labels)
    return render(
        request,
        "selection/compare.html",
        {
            "call": call,
            "comparison": comparison,
            "summaries": [
                {
                    "scenario": s,
                    "funded_count": len(s.funded),
                    "constraints": [
                        spec.describe(labels) for spec in specs_from_json(s.constraints)
                    ],
                    "unmet": selectors.unmet(s, labels),
                }
                for s in picked
            ],
        },
    )
