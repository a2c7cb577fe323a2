from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pepiniere.lib.forms import AmountField
from pepiniere.selection.constraints import (
    ALL,
    KINDS,
    ConstraintFormError,
    ConstraintSpec,
    parse_constraint,
)
from pepiniere.selection.models import Rule, Scenario

EMPTY_ROWS = 3


class ScenarioForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Nom du scénario"), max_length=120)
    rule = forms.ChoiceField(label=gettext_lazy("Règle"), choices=Rule.choices, initial=Rule.RANKED)
    budget = AmountField(
        label=gettext_lazy("Enveloppe (€)"),
        help_text=gettext_lazy(
            "Par défaut l'enveloppe de l'appel ; un montant différent sert à simuler."
        ),
    )
    project_cap = AmountField(
        label=gettext_lazy("Plafond par projet (€, facultatif)"), required=False
    )
    allow_partial = forms.BooleanField(
        label=gettext_lazy(
            "Financement partiel autorisé (un projet peut recevoir moins que sa demande)"
        ),
        required=False,
    )
    partial_min_percent = forms.IntegerField(
        label=gettext_lazy("Part minimale de la demande en cas de financement partiel (%)"),
        min_value=1,
        max_value=100,
        initial=50,
    )


def constraint_rows(data: Any, count: int) -> list[dict[str, str]]:
    return [
        {
            "index": str(i),
            "tag": (data.get(f"c-{i}-tag") or "").strip(),
            "value": (data.get(f"c-{i}-value") or "").strip()[:300],
            "kind": (data.get(f"c-{i}-kind") or "").strip(),
            "amount": (data.get(f"c-{i}-amount") or "").strip()[:30],
        }
        for i in range(count)
    ]


def rows_from_specs(specs: list[ConstraintSpec]) -> list[dict[str, str]]:
    rows = [
        {
            "index": str(i),
            "tag": spec.tag,
            "value": spec.value_for_form(),
            "kind": spec.kind,
            "amount": spec.amount_for_form(),
        }
        for i, spec in enumerate(specs)
    ]
    for i in range(len(specs), len(specs) + EMPTY_ROWS):
        rows.append({"index": str(i), "tag": "", "value": "", "kind": "", "amount": ""})
    return rows


def parse_constraints(
    rows: list[dict[str, str]], tags: dict[str, Any]
) -> tuple[list[ConstraintSpec], dict[str, str]]:
    """Rows left without a tag are ignored; errors are keyed by row index."""
    specs, errors = [], {}
    for row in rows:
        if not row["tag"]:
            continue
        if row["tag"] != ALL and not row["value"] and not row["amount"] and not row["kind"]:
            continue
        try:
            specs.append(
                parse_constraint(row["tag"], row["value"], row["kind"], row["amount"], tags)
            )
        except ConstraintFormError as error:
            errors[row["index"]] = str(error)
    return specs, errors


def initial_from(scenario: Scenario) -> dict[str, Any]:
    return {
        "name": _("%(name)s (copie)") % {"name": scenario.name},
        "rule": scenario.rule,
        "budget": scenario.budget,
        "project_cap": scenario.project_cap,
        "allow_partial": scenario.allow_partial,
        "partial_min_percent": scenario.partial_min_percent,
    }


KIND_CHOICES = list(KINDS.items())
