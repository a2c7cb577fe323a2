"""A match-funding call with its rules, an association and its campaigns, for tests."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from pepiniere.accounts.models import Role, User
from pepiniere.calls.models import Call
from pepiniere.crowdfunding import services
from pepiniere.crowdfunding.models import Campaign, MatchRule, ProjectType
from pepiniere.lib.testing.factories import make_call, make_organisation, make_user
from pepiniere.organisations.models import Organisation, OrganisationKind


@dataclass
class MatchWorld:
    call: Call
    officer: User
    member: User
    association: Organisation
    standard: MatchRule
    flagship: MatchRule


def match_world(*, pool: str = "100000") -> MatchWorld:
    now = timezone.now()
    call = make_call(
        fields=False,
        envelope=Decimal(pool),
        opens_at=now - datetime.timedelta(days=100),
        closes_at=now + datetime.timedelta(days=400),
        eligible_kinds=["association"],
        title="Abondement des campagnes de financement participatif",
    )
    officer = make_user(role=Role.OFFICER, funder=call.funder, full_name="Olivia Officer")
    member = make_user(full_name="Alice Asso")
    association = make_organisation(
        member=member, kind=OrganisationKind.ASSOCIATION, name="Les Amis du Code", siret=""
    )
    standard = MatchRule.objects.create(
        call=call,
        project_type=ProjectType.STANDARD,
        ratio_region=1,
        ratio_raised=1,
        cap=Decimal("5000"),
        decision_reference="DEL-2026-01",
        officer=officer,
    )
    flagship = MatchRule.objects.create(
        call=call,
        project_type=ProjectType.FLAGSHIP,
        ratio_region=3,
        ratio_raised=1,
        cap=Decimal("15000"),
        decision_reference="DEL-2026-01",
        officer=officer,
    )
    return MatchWorld(call, officer, member, association, standard, flagship)


def another_association(world: MatchWorld, name: str) -> tuple[Organisation, User]:
    member = make_user(full_name=f"Membre {name}")
    return make_organisation(member=member, kind=OrganisationKind.ASSOCIATION, name=name), member


def campaign_data(world: MatchWorld, **extra: Any) -> services.CampaignData:
    now = timezone.now()
    values: dict[str, Any] = {
        "call": world.call,
        "project_type": ProjectType.STANDARD,
        "title": "Un fablab pour le quartier",
        "target": Decimal("10000"),
        "starts_at": now - datetime.timedelta(days=20),
        "ends_at": now + datetime.timedelta(days=10),
        "platform_name": "HelloAsso",
        "platform_url": "https://www.helloasso.test/fablab",
        "investment_expenses": Decimal("20000"),
    }
    values.update(extra)
    return services.CampaignData(**values)


def live_campaign(
    world: MatchWorld,
    *,
    organisation: Organisation | None = None,
    member: User | None = None,
    **extra: Any,
) -> Campaign:
    if organisation is None and "title" in extra:
        organisation, member = another_association(world, f"Association {extra['title']}")
    campaign = services.create_campaign(
        organisation=organisation or world.association,
        actor=member or world.member,
        data=campaign_data(world, **extra),
    )
    return services.launch_campaign(campaign=campaign, actor=member or world.member)


def pledge(
    campaign: Campaign, world: MatchWorld, amount: str, reference: str, **extra: Any
) -> None:
    services.record_pledge(
        campaign=campaign,
        actor=extra.pop("actor", campaign.created_by),
        amount=Decimal(amount),
        pledged_at=extra.pop("pledged_at", timezone.now() - datetime.timedelta(days=1)),
        reference=reference,
        payer_name=extra.pop("payer_name", "Jean Dupont"),
    )


def after_end(campaign: Campaign) -> datetime.datetime:
    return campaign.ends_at + datetime.timedelta(hours=1)
