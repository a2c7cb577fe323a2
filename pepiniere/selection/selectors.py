"""Reads over scenarios shared by the pages, the jury and the awards: rows with their French reason,
totals per tag, side-by-side comparison, and the proposals the jury decides from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from pepiniere.applications.models import Application
from pepiniere.calls.models import Call
from pepiniere.selection.constraints import (
    ALL,
    BASE_TAGS,
    ConstraintSpec,
    display_value,
    label_tag_labels,
    specs_from_json,
)
from pepiniere.selection.models import Scenario
from pepiniere.selection.reasons import explain, explain_unmet

# Tags whose totals every scenario page shows, whatever the constraints.
SUMMARY_TAGS = ("departement", "kind", "first_time")


def sent_scenario(call: Call | int) -> Scenario | None:
    call_id = call if isinstance(call, int) else call.pk
    return Scenario.objects.filter(call_id=call_id, sent_to_jury_at__isnull=False).first()


def tag_labels(call: Call) -> dict[str, Any]:
    from pepiniere.selection.services import tag_fields

    labels: dict[str, Any] = {k: v for k, v in BASE_TAGS.items() if k != "axis" or call.axis_id}
    labels.update(label_tag_labels())
    for form_field in tag_fields(call):
        labels[f"field:{form_field.key}"] = form_field.label[:60]
    return labels


def tag_values(scenarios: Iterable[Scenario]) -> dict[str, list[str]]:
    """The values present in the scenarios' inputs, per tag (help for the constraint form)."""
    values: dict[str, set[str]] = {}
    for scenario in scenarios:
        for info in scenario.result.get("proposals", []):
            for tag, value in info["tags"].items():
                values.setdefault(tag, set()).add(display_value(tag, value))
    return {tag: sorted(v) for tag, v in values.items()}


@dataclass
class ScenarioRow:
    application: Application | None
    rank: int
    score: float
    asked_cents: int
    requested_cents: int
    funded_cents: int
    code: str
    reason: str
    reserve_position: int | None


def reason_for(
    scenario: Scenario,
    application_id: int,
    *,
    specs: list[ConstraintSpec] | None = None,
    labels: dict[str, Any] | None = None,
    keep_reserve: bool = True,
) -> str:
    key = str(application_id)
    params = dict(scenario.result.get("reason_params", {}).get(key, {}))
    if not keep_reserve:
        params.pop("reserve_position", None)
    info = scenario.proposal_info().get(application_id, {})
    return explain(
        code=scenario.result.get("reason_codes", {}).get(key, ""),
        params=params,
        info=info,
        rule=scenario.rule,
        specs=specs if specs is not None else specs_from_json(scenario.constraints),
        tag_labels=labels if labels is not None else BASE_TAGS,
        stop_rank=scenario.result.get("stop_rank"),
    )


def scenario_rows(
    scenario: Scenario, applications: dict[int, Application], labels: dict[str, Any]
) -> list[ScenarioRow]:
    specs = specs_from_json(scenario.constraints)
    funded = scenario.funded
    codes = scenario.result.get("reason_codes", {})
    params = scenario.result.get("reason_params", {})
    rows = []
    for info in scenario.result.get("proposals", []):
        pk = int(info["id"])
        rows.append(
            ScenarioRow(
                application=applications.get(pk),
                rank=info["rank"],
                score=info["score"],
                asked_cents=info["asked_cents"],
                requested_cents=info["requested_cents"],
                funded_cents=funded.get(pk, 0),
                code=codes.get(str(pk), ""),
                reason=reason_for(scenario, pk, specs=specs, labels=labels),
                reserve_position=params.get(str(pk), {}).get("reserve_position"),
            )
        )
    return rows


def unmet(scenario: Scenario, labels: dict[str, Any]) -> list[str]:
    specs = specs_from_json(scenario.constraints)
    return [
        explain_unmet(
            index=u["index"],
            shortfall=u["shortfall"],
            rule=scenario.rule,
            specs=specs,
            tag_labels=labels,
        )
        for u in scenario.result.get("unmet", [])
        if u["index"] < len(specs)
    ]


def tag_totals(
    scenario: Scenario, *, also: Iterable[ConstraintSpec] = ()
) -> dict[tuple[str, str], tuple[int, int]]:
    """{(tag, shown value): (funded cents, number funded)} for the summary tags, each constrained
    tag, and each constraint's own scope (e.g. "département : 24, 40, 47 ou 64"), always summed
    over the scenario's funded set. `also`: constraints of other scenarios (a comparison), whose
    groups are totalled for this scenario too, although it does not have them."""
    funded = scenario.funded
    specs = specs_from_json(scenario.constraints) + list(also)
    tags = list(SUMMARY_TAGS) + [s.tag for s in specs if s.tag != ALL and s.tag not in SUMMARY_TAGS]
    totals: dict[tuple[str, str], list[int]] = {}
    infos = scenario.result.get("proposals", [])
    for tag in dict.fromkeys(tags):
        for info in infos:
            if tag in info["tags"]:
                key = (tag, display_value(tag, info["tags"][tag]))
                slot = totals.setdefault(key, [0, 0])
                amount = funded.get(int(info["id"]), 0)
                if amount:
                    slot[0] += amount
                    slot[1] += 1
    for spec in specs:
        key = (spec.tag, spec.value_for_form())
        if spec.tag == ALL or not isinstance(spec.value, list) or key in totals:
            continue
        slot = totals.setdefault(key, [0, 0])
        for info in infos:
            if info["tags"].get(spec.tag) in spec.value and funded.get(int(info["id"])):
                slot[0] += funded[int(info["id"])]
                slot[1] += 1
    return {
        k: (v[0], v[1])
        for k, v in sorted(totals.items(), key=lambda kv: (tags.index(kv[0][0]), kv[0][1]))
    }


@dataclass
class Comparison:
    scenarios: list[Scenario]
    tags: list[tuple[str, str, list[tuple[int, int]]]]  # (tag label, value, per scenario)
    rows: list[dict[str, Any]]  # per application: rank, application, amounts per scenario, changed
    changed: list[dict[str, Any]] = field(default_factory=list)


def compare(
    scenarios: list[Scenario], applications: dict[int, Application], labels: dict[str, Any]
) -> Comparison:
    every_spec = [spec for s in scenarios for spec in specs_from_json(s.constraints)]
    totals = [tag_totals(s, also=every_spec) for s in scenarios]
    keys = list(dict.fromkeys(k for t in totals for k in t))
    tags = [
        (str(labels.get(tag, tag)), value, [t.get((tag, value), (0, 0)) for t in totals])
        for tag, value in keys
    ]
    ranks: dict[int, int] = {}
    for scenario in scenarios:
        for info in scenario.result.get("proposals", []):
            ranks.setdefault(int(info["id"]), info["rank"])
    specs = [specs_from_json(s.constraints) for s in scenarios]
    rows = []
    for pk in sorted(ranks, key=lambda k: ranks[k]):
        amounts = [s.funded.get(pk, 0) for s in scenarios]
        rows.append(
            {
                "rank": ranks[pk],
                "application": applications.get(pk),
                "amounts": amounts,
                "cells": [
                    (amount, reason_for(s, pk, specs=sp, labels=labels))
                    for amount, s, sp in zip(amounts, scenarios, specs, strict=True)
                ],
                "changed": len(set(amounts)) > 1,
            }
        )
    return Comparison(scenarios, tags, rows, [r for r in rows if r["changed"]])


def applications_of(scenarios: Iterable[Scenario]) -> dict[int, Application]:
    ids = {int(p["id"]) for s in scenarios for p in s.result.get("proposals", [])}
    return Application.objects.select_related("organisation").in_bulk(ids)


def jury_proposals(
    scenario: Scenario,
    application_ids: Iterable[int],
    reserve_size: int,
    labels: dict[str, Any] | None = None,
) -> dict[int, tuple[str, str]]:
    """{application id: (decision, why)} from a scenario: funded → select; reserve within
    `reserve_size` → put_in_reserve; everything else → reject, each with its French reason."""
    specs = specs_from_json(scenario.constraints)
    labels = labels if labels is not None else tag_labels(scenario.call)
    funded = scenario.funded
    codes = scenario.result.get("reason_codes", {})
    params = scenario.result.get("reason_params", {})
    out: dict[int, tuple[str, str]] = {}
    for pk in application_ids:
        if str(pk) not in codes:
            out[pk] = (
                "reject",
                _(
                    "Absent du scénario transmis au jury (le classement a changé depuis son calcul)."
                ),
            )
            continue
        position = params[str(pk)].get("reserve_position")
        if pk in funded:
            decision = "select"
        elif position is not None and position <= reserve_size:
            decision = "put_in_reserve"
        else:
            decision = "reject"
        reason = reason_for(
            scenario, pk, specs=specs, labels=labels, keep_reserve=decision == "put_in_reserve"
        )
        out[pk] = (decision, reason)
    return out
