"""Who holds which label on a given day.

An organisation holds a label on a day when a holding valid that day names it, or names a
territory its commune or département is in (Bordeaux Métropole's 28 communes, a département).
Holdings are few (a label is granted by a decision, not typed by applicants): they are read in one
query and matched in Python, for one organisation (eligibility) as for a whole ranking (selection
tags)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from pepiniere.organisations.models import Organisation
from pepiniere.programmes.models import Label, LabelHolding, LabelKind


@dataclass(frozen=True)
class Place:
    """What the label rules read of an organisation: its identity and where it is."""

    organisation_id: int | None
    commune_code: str
    departement_id: str | None

    @classmethod
    def of(cls, organisation: Organisation) -> Place:
        return cls(organisation.pk, organisation.commune_code or "", organisation.departement_id)


class LabelIndex:
    """The holdings of some labels (all of them by default), loaded once."""

    def __init__(self, holdings: Iterable[LabelHolding]) -> None:
        self.holdings = list(holdings)

    @classmethod
    def load(
        cls,
        *,
        labels: Iterable[Label] | None = None,
        organisation_ids: Iterable[int] | None = None,
    ) -> LabelIndex:
        """One query. ``organisation_ids``: only those organisations' own holdings are read
        (territory holdings always are, since anyone may live there)."""
        query: QuerySet[LabelHolding] = LabelHolding.objects.select_related(
            "label", "label__awarding_funder", "departement"
        )
        if labels is not None:
            query = query.filter(label__in=[label.pk for label in labels])
        if organisation_ids is not None:
            query = query.filter(
                Q(holder_kind=LabelKind.TERRITORY) | Q(organisation_id__in=list(organisation_ids))
            )
        return cls(query.order_by("label__name", "start_date", "pk"))

    def applying_to(self, place: Place) -> list[LabelHolding]:
        """Every holding that concerns the place, whatever its dates."""
        found = []
        for holding in self.holdings:
            if holding.holder_kind == LabelKind.ORGANISATION:
                if place.organisation_id is not None and (
                    holding.organisation_id == place.organisation_id
                ):
                    found.append(holding)
            elif holding.covers(
                commune_code=place.commune_code, departement_id=place.departement_id
            ):
                found.append(holding)
        return found

    def held_on(self, place: Place, day: datetime.date) -> list[LabelHolding]:
        """The holdings valid on ``day`` that concern the place (one per label at most)."""
        by_label: dict[int, LabelHolding] = {}
        for holding in self.applying_to(place):
            if holding.is_valid_on(day):
                by_label.setdefault(holding.label_id, holding)
        return list(by_label.values())

    def holding(self, place: Place, label: Label, day: datetime.date) -> LabelHolding | None:
        return next((h for h in self.held_on(place, day) if h.label_id == label.pk), None)


def held_labels(organisation: Organisation, day: datetime.date) -> list[LabelHolding]:
    """The holdings by which ``organisation`` holds a label on ``day``."""
    index = LabelIndex.load(organisation_ids=[organisation.pk])
    return index.held_on(Place.of(organisation), day)


def organisation_holdings(organisation: Organisation) -> list[LabelHolding]:
    """Every holding that ever concerned the organisation (its own and its territory's), for its
    follow-up page: one query."""
    index = LabelIndex.load(organisation_ids=[organisation.pk])
    holdings = index.applying_to(Place.of(organisation))
    return sorted(holdings, key=lambda h: (h.label.name, h.start_date, h.pk))


def labels_with_holdings() -> list[Label]:
    """The labels page: every label with its awarding funder and its holdings (three queries)."""
    return list(
        Label.objects.select_related("awarding_funder").prefetch_related(
            "holdings__organisation", "holdings__departement"
        )
    )
