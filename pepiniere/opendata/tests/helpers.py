"""Signed agreements to publish: the agreements' test World, with SIRETs and co-funders."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pepiniere.agreements.tests.factories import World
from pepiniere.applications.models import Application
from pepiniere.demo.identifiers import fictional_siret
from pepiniere.grants import services as grant_services
from pepiniere.grants.tests.factories import award_kwargs, selected_call
from pepiniere.lib.testing.factories import make_funder
from pepiniere.programmes.models import Funder

_seed = iter(range(1000, 100000))


def give_siret(funder: Funder) -> Funder:
    funder.siret = fictional_siret(random.Random(next(_seed)))
    funder.save(update_fields=["siret"])
    return funder


class OpenWorld(World):
    """One awarded application (optionally co-funded by the State for `state_part`)."""

    def __init__(self, amount: str = "40000", state_part: str | None = None) -> None:
        self.call, self.officer, self.finance, applications = selected_call(1, envelope="100000")
        give_siret(self.call.funder)
        self.application: Application = applications[0]
        Application.objects.filter(pk=self.application.pk).update(
            project_budget=Decimal("80000"), title="Capteurs pour vignes"
        )
        shares = None
        self.state: Funder | None = None
        if state_part is not None:
            self.state = give_siret(make_funder("État — Mission French Tech"))
            self.call.co_funders.add(self.state)
            grant_services.set_co_funding(
                call=self.call, funder=self.state, amount=Decimal("30000"), actor=self.officer
            )
            shares = {
                self.call.funder_id: Decimal(amount) - Decimal(state_part),
                self.state.pk: Decimal(state_part),
            }
        self.award = grant_services.award_grant(
            application=self.application,
            actor=self.officer,
            **award_kwargs(amount, shares=shares),
        )
        self.applicant: Any = self.application.created_by


def shared_data(*parts: str) -> Path:
    for parent in Path(__file__).resolve().parents:
        candidate = parent.joinpath("shared", "data", *parts)
        if candidate.exists():
            return candidate
    pytest.skip(f"reference data ../shared/data/{'/'.join(parts)} is not available here")
