"""The French Tech label as the founding case has it: awarded by the State, held by Bordeaux
Métropole (its 28 communes) from 12 November 2014."""

from __future__ import annotations

import datetime
from typing import Any

from pepiniere.accounts.models import Role
from pepiniere.lib.testing.factories import make_user
from pepiniere.programmes import services
from pepiniere.programmes.models import Funder, FunderKind, Label, LabelHolding, LabelKind

# Bordeaux Métropole's communes (INSEE codes).
BORDEAUX_METROPOLE = [
    "33003", "33004", "33013", "33032", "33039", "33056", "33063", "33065", "33069", "33075",
    "33096", "33119", "33162", "33167", "33192", "33200", "33249", "33273", "33281", "33312",
    "33318", "33376", "33434", "33449", "33487", "33519", "33522", "33550",
]  # fmt: skip
LABELLED_ON = datetime.date(2014, 11, 12)


def make_state(name: str = "État — Mission French Tech") -> Funder:
    slug = f"etat-{Funder.objects.count() + 1}"
    return Funder.objects.create(name=name, slug=slug, kind=FunderKind.STATE)


def make_label(
    *,
    funder: Funder | None = None,
    actor: Any = None,
    kind: str = LabelKind.TERRITORY,
    **extra: Any,
) -> Label:
    funder = funder if funder is not None else make_state()
    actor = actor or make_user(role=Role.ADMIN, is_superuser=True)
    return services.create_label(
        actor=actor,
        name=extra.pop("name", "French Tech"),
        kind=kind,
        awarding_funder=funder,
        **extra,
    )


def hold_bordeaux(label: Label, *, actor: Any = None, **extra: Any) -> LabelHolding:
    actor = actor or make_user(role=Role.ADMIN, is_superuser=True)
    return services.grant_label(
        actor=actor,
        label=label,
        territory_name="Bordeaux Métropole",
        communes=BORDEAUX_METROPOLE,
        start_date=extra.pop("start_date", LABELLED_ON),
        decision_reference=extra.pop("decision_reference", "Mission French Tech, 12/11/2014"),
        **extra,
    )
