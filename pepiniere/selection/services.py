"""Selection scenarios: the call's ranking turned into engine proposals, run under a rule and
constraints, stored, compared, and one of them sent to the jury. Atomic and audited."""

from __future__ import annotations

import datetime
import hashlib
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.applications.models import Application
from pepiniere.audit.services import record
from pepiniere.calls.models import Call, FieldKind
from pepiniere.engine.selection import Proposal, select
from pepiniere.lib.money import to_cents
from pepiniere.programmes.selectors import LabelIndex, Place
from pepiniere.reviews.ranking import Ranking, ranking_for
from pepiniere.selection.constraints import LABEL_TAG, ConstraintSpec, specs_from_json
from pepiniere.selection.hooks import earlier_aid
from pepiniere.selection.models import Rule, Scenario
from pepiniere.selection.permissions import can_run_scenarios


class SelectionError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Candidate:
    """One ranked application as every scenario sees it, before the scenario's own options."""

    id: int
    rank: int
    score: float
    asked_cents: int
    fundable: bool
    failed: list[str] = field(default_factory=list)
    tags: dict[str, Any] = field(default_factory=dict)
    reviewed: bool = True  # False: no counted review (« sans évaluation », not « sous un seuil »)


def tag_fields(call: Call) -> list[Any]:
    """The call's own questions usable as tags: single choices and yes / no answers."""
    return [
        f
        for f in call.form_fields.all()
        if f.group_id is None and f.kind in (FieldKind.CHOICE, FieldKind.YES_NO)
    ]


def organisations_aided_before(call: Call, organisation_ids: set[int]) -> set[int]:
    """Organisations with an aid on another call decided before this call closed."""
    aided: set[int] = set()
    for provider in earlier_aid:
        aided |= provider(call, organisation_ids)
    return aided


def label_tags(call: Call, applications: list[Application]) -> dict[int, dict[str, bool]]:
    """One yes / no tag per label (``label:<slug>``) that the call requires or that one of its
    applicants holds on the day it submitted (by itself or through its territory): « au moins
    deux projets labellisés French Tech » is a constraint on ``label:french-tech``."""
    index = LabelIndex.load(organisation_ids={a.organisation_id for a in applications})
    slugs = {label.slug for label in call.required_labels.all()}
    closing_day = timezone.localdate(call.closes_at)
    held: dict[int, set[str]] = {}
    for application in applications:
        day = (
            timezone.localdate(application.submitted_at)
            if application.submitted_at
            else closing_day
        )
        held[application.pk] = {
            h.label.slug for h in index.held_on(Place.of(application.organisation), day)
        }
        slugs |= held[application.pk]
    return {
        pk: {f"{LABEL_TAG}{slug}": slug in own for slug in sorted(slugs)}
        for pk, own in held.items()
    }


def candidates(call: Call, ranking: Ranking) -> list[Candidate]:
    """Score = calibrated score when there is one, else the weighted raw mean (the ranking's own
    order); tags: département, kind, first-time beneficiary, size band, axis, labels held
    (``label:<slug>``, see label_tags) and the call's choice / yes-no questions as
    ``field:<key>``."""
    fields = tag_fields(call)
    applications = [row.application for row in ranking.rows]
    aided = organisations_aided_before(call, {a.organisation_id for a in applications})
    labelled = label_tags(call, applications)
    out = []
    for row in ranking.rows:
        application: Application = row.application
        organisation = application.organisation
        tags: dict[str, Any] = {
            "departement": organisation.departement_id,
            "kind": organisation.kind,
            "first_time": organisation.pk not in aided,
        }
        if organisation.size_band_id:
            tags["size_band"] = organisation.size_band_id
        if call.axis is not None:
            tags["axis"] = call.axis.code
        tags.update(labelled.get(application.pk, {}))
        for form_field in fields:
            answer = application.answers.get(form_field.key)
            if isinstance(answer, str) and answer:
                tags[f"field:{form_field.key}"] = answer
        score = row.calibrated if row.calibrated is not None else row.weighted_raw
        asked = to_cents(application.requested_amount or Decimal(0))
        out.append(
            Candidate(
                id=application.pk,
                rank=row.rank,
                score=round(float(score), 9),
                asked_cents=max(asked, 0),
                fundable=row.fundable and asked > 0,
                failed=list(row.failed_thresholds),
                tags=tags,
                reviewed=bool(row.n_reviews),
            )
        )
    return out


def ranking_digest(cands: list[Candidate]) -> str:
    """Changes whenever anything a scenario depends on changes (scores, requests, thresholds, tags)."""
    payload = json.dumps(
        [[c.id, c.rank, c.score, c.asked_cents, c.fundable, c.tags] for c in cands],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _proposals(
    cands: list[Candidate], scenario: Scenario
) -> tuple[list[Proposal], list[dict[str, Any]]]:
    cap = to_cents(scenario.project_cap) if scenario.project_cap else None
    proposals, info = [], []
    for c in cands:
        requested = min(c.asked_cents, cap) if cap else c.asked_cents
        minimum = None
        if scenario.allow_partial and scenario.partial_min_percent < 100 and requested > 1:
            minimum = max(1, math.ceil(requested * scenario.partial_min_percent / 100))
            minimum = None if minimum >= requested else minimum
        proposals.append(
            Proposal(
                id=c.id,
                score=c.score,
                requested_cents=max(requested, 1),
                min_cents=minimum,
                fundable=c.fundable,
                tags=c.tags,
                rank_key=(c.rank,),
            )
        )
        info.append(
            {
                "id": c.id,
                "rank": c.rank,
                "score": c.score,
                "asked_cents": c.asked_cents,
                "requested_cents": requested,
                "lowest_cents": minimum or requested,
                "capped": requested < c.asked_cents,
                "fundable": c.fundable,
                "failed": c.failed,
                "tags": c.tags,
                "reviewed": c.reviewed,
            }
        )
    return proposals, info


def _jsonable(value: Any) -> Any:
    return json.loads(
        json.dumps(value, default=lambda o: o.item() if hasattr(o, "item") else str(o))
    )


def run(
    scenario: Scenario, *, ranking: Ranking | None = None, now: datetime.datetime | None = None
) -> Scenario:
    """Compute the scenario's result from the current ranking (no permission check, no save)."""
    call = scenario.call
    ranking = ranking or ranking_for(call)
    cands = candidates(call, ranking)
    specs = specs_from_json(scenario.constraints)
    budget = to_cents(scenario.budget)
    proposals, info = _proposals(cands, scenario)
    engine = [spec.to_engine(budget, i) for i, spec in enumerate(specs)]
    selection = select(proposals, budget, rule=scenario.rule, constraints=engine)
    stop_rank = None
    if scenario.rule == Rule.GREEDY_STOP:
        stop_rank = next(
            (
                selection.rank[p]
                for p, code in selection.reason_codes.items()
                if code == "budget_exhausted"
            ),
            None,
        )
    scenario.result = _jsonable(
        {
            "budget_cents": budget,
            "funded": {str(k): v for k, v in selection.funded.items()},
            "reserve": list(selection.reserve),
            "total_cents": selection.total_cents,
            "objective": selection.objective,
            "reason_codes": {str(k): v for k, v in selection.reason_codes.items()},
            "reason_params": {str(k): v for k, v in selection.reason_params.items()},
            "unmet": [
                {"index": int(u.constraint.label[1:]), "shortfall": u.shortfall}
                for u in selection.unmet
            ],
            "stop_rank": stop_rank,
            "solver_calls": selection.solver_calls,
            "proposals": info,
        }
    )
    scenario.ranking_digest = ranking_digest(cands)
    scenario.ran_at = now or timezone.now()
    return scenario


def _validate(
    *,
    call: Call,
    name: str,
    rule: str,
    budget: Decimal,
    project_cap: Decimal | None,
    partial_min_percent: int,
) -> None:
    if not name.strip():
        raise SelectionError(_("Donnez un nom au scénario."))
    if rule not in Rule.values:
        raise SelectionError(_("Règle de sélection inconnue."))
    if budget < 0:
        raise SelectionError(_("L'enveloppe du scénario est un montant positif."))
    if project_cap is not None and project_cap <= 0:
        raise SelectionError(_("Le plafond par projet est un montant positif."))
    if not 1 <= partial_min_percent <= 100:
        raise SelectionError(
            _("La part minimale d'un financement partiel est comprise entre 1 et 100 %.")
        )


@transaction.atomic
def create_scenario(
    *,
    call: Call,
    actor: Any,
    name: str,
    rule: str = Rule.RANKED,
    constraints: list[ConstraintSpec] | None = None,
    budget: Decimal | None = None,
    project_cap: Decimal | None = None,
    allow_partial: bool = False,
    partial_min_percent: int = 50,
    ranking: Ranking | None = None,
    now: datetime.datetime | None = None,
) -> Scenario:
    verdict = can_run_scenarios(actor, call)
    if not verdict:
        raise SelectionError(verdict.reason)
    budget = call.envelope if budget is None else budget
    _validate(
        call=call,
        name=name,
        rule=rule,
        budget=budget,
        project_cap=project_cap,
        partial_min_percent=partial_min_percent,
    )
    if Scenario.objects.filter(call=call, name=name.strip()).exists():
        raise SelectionError(_("Un scénario porte déjà ce nom pour cet appel."))
    now = now or timezone.now()
    scenario = Scenario(
        call=call,
        name=name.strip(),
        rule=rule,
        budget=budget,
        constraints=[c.to_json() for c in constraints or []],
        project_cap=project_cap,
        allow_partial=allow_partial,
        partial_min_percent=partial_min_percent,
        created_by=actor,
        created_at=now,
    )
    run(scenario, ranking=ranking, now=now)
    try:
        with transaction.atomic():
            scenario.save()
    except IntegrityError:
        raise SelectionError(_("Un scénario porte déjà ce nom pour cet appel.")) from None
    record(
        actor=actor, obj=call, action="create_scenario", reason=scenario.name, public=False, at=now
    )
    return scenario


@transaction.atomic
def rerun_scenario(*, scenario: Scenario, actor: Any, ranking: Ranking | None = None) -> Scenario:
    scenario = (
        Scenario.objects.select_for_update(of=("self",)).select_related("call").get(pk=scenario.pk)
    )
    verdict = can_run_scenarios(actor, scenario.call)
    if not verdict:
        raise SelectionError(verdict.reason)
    run(scenario, ranking=ranking)
    scenario.save()
    record(
        actor=actor, obj=scenario.call, action="rerun_scenario", reason=scenario.name, public=False
    )
    return scenario


@transaction.atomic
def delete_scenario(*, scenario: Scenario, actor: Any) -> None:
    scenario = (
        Scenario.objects.select_for_update(of=("self",)).select_related("call").get(pk=scenario.pk)
    )
    verdict = can_run_scenarios(actor, scenario.call)
    if not verdict:
        raise SelectionError(verdict.reason)
    if scenario.is_sent_to_jury:
        raise SelectionError(
            _("Ce scénario a été transmis au jury : il ne peut plus être supprimé.")
        )
    record(
        actor=actor, obj=scenario.call, action="delete_scenario", reason=scenario.name, public=False
    )
    scenario.delete()


@transaction.atomic
def send_to_jury(
    *,
    scenario: Scenario,
    actor: Any,
    ranking: Ranking | None = None,
    now: datetime.datetime | None = None,
) -> Scenario:
    """Make this scenario the one the jury's proposals come from (one per call)."""
    from pepiniere.reviews.models import JurySession

    call = Call.objects.get(pk=scenario.call_id)
    verdict = can_run_scenarios(actor, call)
    if not verdict:
        raise SelectionError(verdict.reason)
    # Lock the call's scenarios: two officers sending different ones at once get one winner.
    locked = {s.pk: s for s in Scenario.objects.select_for_update().filter(call=call)}
    scenario = locked[scenario.pk]
    ranking = ranking or ranking_for(call)
    if ranking_digest(candidates(call, ranking)) != scenario.ranking_digest:
        raise SelectionError(
            _(
                "Le classement a changé depuis le calcul de ce scénario : recalculez-le avant de le transmettre au jury."
            )
        )
    if scenario.budget > call.envelope:
        raise SelectionError(
            _("Ce scénario dépasse l'enveloppe de l'appel : il ne peut pas être transmis au jury.")
        )
    sessions = list(JurySession.objects.filter(call=call))
    if sessions and all(s.closed_at is not None for s in sessions):
        raise SelectionError(
            _("La séance du jury est close : ses propositions ne peuvent plus changer.")
        )
    now = now or timezone.now()
    for other in locked.values():
        if other.pk != scenario.pk and other.is_sent_to_jury:
            other.sent_to_jury_at = None
            other.sent_to_jury_by = None
            other.save(update_fields=["sent_to_jury_at", "sent_to_jury_by"])
    scenario.sent_to_jury_at = now
    scenario.sent_to_jury_by = actor
    scenario.save(update_fields=["sent_to_jury_at", "sent_to_jury_by"])
    record(
        actor=actor,
        obj=call,
        action="send_scenario_to_jury",
        reason=scenario.name,
        public=False,
        at=now,
    )
    return scenario
