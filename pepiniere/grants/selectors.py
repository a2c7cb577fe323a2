"""Reads for the awards page: decided applications with their award, shares and suggested amount,
and the letters still to send."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from pepiniere.applications.models import Application, Status
from pepiniere.calls.models import Call
from pepiniere.grants.models import Award, AwardShare, DecisionLetter, LinkedUndertaking, Outcome
from pepiniere.lib.money import from_cents
from pepiniere.organisations.models import Organisation

AWARD_STATES = [Status.SELECTED, Status.AWARDED, Status.CONTRACTED]


@dataclass
class AwardRow:
    application: Application
    award: Any  # Award | None
    suggested: Decimal
    letters: list[str]


def funders_of_awarded_organisations() -> QuerySet[AwardShare]:
    """One row per (organisation, funder) share of an award, as `supported_organisation` and
    `supporting_funder` (registered with organisations.selectors.supporting_funders)."""
    return AwardShare.objects.annotate(
        supported_organisation=F("award__application__organisation_id"),
        supporting_funder=F("funder_id"),
    )


def organisations_aided_before(call: Call, organisation_ids: set[int]) -> set[int]:
    """Organisations with an award on another call decided before this call closed (selection's
    « first-time beneficiary » tag; registered with selection.hooks.earlier_aid)."""
    before = timezone.localdate(call.closes_at)
    return set(
        Award.objects.filter(
            application__organisation_id__in=organisation_ids, decision_date__lt=before
        )
        .exclude(application__call=call)
        .values_list("application__organisation_id", flat=True)
    )


def award_rows(call: Call) -> list[AwardRow]:
    from pepiniere.selection.selectors import sent_scenario

    scenario = sent_scenario(call)
    funded = scenario.funded if scenario else {}
    applications = (
        Application.objects.filter(call=call, status__in=AWARD_STATES)
        .select_related("organisation", "award")
        .prefetch_related(
            Prefetch("award__shares", queryset=AwardShare.objects.select_related("funder")),
            Prefetch(
                "decision_letters",
                queryset=DecisionLetter.objects.only("application_id", "outcome"),
            ),
        )
        .order_by("number")
    )
    rows = []
    for application in applications:
        award = getattr(application, "award", None)
        suggested = (
            from_cents(funded[application.pk])
            if application.pk in funded
            else (application.requested_amount or Decimal("0"))
        )
        rows.append(
            AwardRow(
                application=application,
                award=award,
                suggested=suggested,
                letters=[letter.outcome for letter in application.decision_letters.all()],
            )
        )
    return rows


def letter_counts(call: Call) -> dict[str, dict[str, int]]:
    """{outcome: {"sent": n, "pending": m}} for the letters section."""
    from pepiniere.grants.letters import OUTCOME_BY_STATUS

    statuses = Counter(
        Application.objects.filter(call=call, status__in=list(OUTCOME_BY_STATUS)).values_list(
            "status", flat=True
        )
    )
    sent = Counter(
        DecisionLetter.objects.filter(application__call=call).values_list("outcome", flat=True)
    )
    decided: Counter[str] = Counter()
    for status, n in statuses.items():
        decided[OUTCOME_BY_STATUS[status]] += n
    out = {}
    for outcome in Outcome.values:
        current = (
            DecisionLetter.objects.filter(
                application__call=call,
                outcome=outcome,
                application__status__in=[s for s, o in OUTCOME_BY_STATUS.items() if o == outcome],
            ).count()
            if decided[outcome]
            else 0
        )
        out[outcome] = {"sent": sent[outcome], "pending": decided[outcome] - current}
    return out


def links_of(organisation: Organisation) -> list[LinkedUndertaking]:
    """Every link declared by or towards the organisation, for the officer's award page."""
    return list(
        LinkedUndertaking.objects.filter(
            Q(organisation=organisation) | Q(linked_organisation=organisation)
        )
        .select_related("organisation", "linked_organisation", "confirmed_by")
        .order_by("status", "name")
    )


def jury_decision_date(application: Application) -> datetime.date | None:
    """The date of the jury session that last decided on the application (the deliberation the
    award follows), None when no session decided it."""
    from pepiniere.reviews.models import JuryDecision

    return (
        JuryDecision.objects.filter(application=application)
        .order_by("-decided_at", "-id")
        .values_list("session__held_on", flat=True)
        .first()
    )
