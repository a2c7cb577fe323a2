"""Campaigns: launch as an application, close into an award (or a refusal with the figures)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Application, Status
from pepiniere.audit.models import AuditEntry
from pepiniere.crowdfunding import services
from pepiniere.crowdfunding.models import Campaign, CampaignStatus, ProjectType
from pepiniere.crowdfunding.tests.factories import after_end, live_campaign, match_world, pledge
from pepiniere.grants.models import Award, BudgetLine, BudgetScope
from pepiniere.lib.testing.factories import make_funder, make_organisation, make_user, plain
from pepiniere.organisations.models import OrganisationKind

pytestmark = pytest.mark.django_db


def application_of(campaign: Campaign) -> Application:
    assert campaign.application is not None
    return campaign.application


def test_launch_submits_an_application_to_the_match_call_requesting_the_ceiling():
    world = match_world()
    campaign = live_campaign(world, investment_expenses=Decimal("3200"))
    assert campaign.status == CampaignStatus.LIVE
    application = application_of(campaign)
    assert application.status == Status.SUBMITTED
    assert application.call == world.call and application.organisation == world.association
    assert application.requested_amount == Decimal("3200")  # min(cap 5 000, investment)


def test_only_associations_run_campaigns():
    world = match_world()
    startup_member = make_user()
    startup = make_organisation(member=startup_member, kind=OrganisationKind.STARTUP)
    with pytest.raises(services.CampaignError, match="réservé aux associations"):
        live_campaign(world, organisation=startup, member=startup_member)


def test_close_tops_up_by_the_rule_and_awards_with_the_agreement_machinery():
    world = match_world()
    campaign = live_campaign(world)
    pledge(campaign, world, "6000", "P1")
    pledge(campaign, world, "4500", "P2")
    closed = services.close_campaign(
        campaign=campaign, actor=world.officer, now=after_end(campaign)
    )
    assert closed.status == CampaignStatus.TOPPED_UP
    assert closed.top_up == Decimal("5000")  # 1 € for 1 € on 10 500 €, capped at 5 000 €
    assert plain(closed.outcome) == (
        "Objectif atteint : 10 500,00 € collectés sur 10 000,00 € (105 %) ; abondement de "
        "5 000,00 € (plafond par projet de 5 000,00 € atteint)."
    )
    award = Award.objects.get(application=campaign.application)
    assert award.amount == Decimal("5000") and award.decision_reference == "DEL-2026-01"
    application_of(campaign).refresh_from_db()
    assert application_of(campaign).status == Status.AWARDED
    actions = list(
        AuditEntry.objects.filter(
            object_id=application_of(campaign).pk,
            content_type=ContentType.objects.get_for_model(Application),
        )
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "submit", "select_by_rule", "award"]
    line = BudgetLine.objects.get(scope=BudgetScope.CALL, call=world.call)
    assert line.committed == Decimal("5000")
    # The award is like any other: an agreement can be drawn up from it.
    from pepiniere.agreements import services as agreement_services

    agreement = agreement_services.prepare_agreement(
        award=award, actor=world.officer, now=after_end(campaign)
    )
    assert agreement.award == award


def test_flagship_three_for_one_limited_to_investment():
    world = match_world()
    campaign = live_campaign(
        world, project_type=ProjectType.FLAGSHIP, investment_expenses=Decimal("12000.50")
    )
    pledge(campaign, world, "10000", "P1")
    closed = services.close_campaign(
        campaign=campaign, actor=world.officer, now=after_end(campaign)
    )
    assert closed.top_up == Decimal("12000.50")
    assert "limité aux dépenses d'investissement" in closed.outcome


def test_target_missed_is_refused_with_the_figures():
    world = match_world()
    campaign = live_campaign(world)
    pledge(campaign, world, "8450", "P1")
    closed = services.close_campaign(
        campaign=campaign, actor=world.officer, now=after_end(campaign)
    )
    assert closed.status == CampaignStatus.REFUSED and closed.top_up is None
    assert plain(closed.outcome) == (
        "Objectif non atteint : 8 450,00 € collectés sur 10 000,00 € (84 %)."
    )
    application_of(campaign).refresh_from_db()
    assert application_of(campaign).status == Status.REJECTED
    assert plain(application_of(campaign).decision_reason).startswith("Objectif non atteint")
    assert not Award.objects.exists()


def test_the_pool_pays_what_it_holds_then_refuses():
    world = match_world(pool="7000")
    first, second, third = (live_campaign(world, title=f"Campagne {n}") for n in range(3))
    for n, campaign in enumerate((first, second, third)):
        pledge(campaign, world, "10000", f"P{n}")
    now = after_end(first)
    first = services.close_campaign(campaign=first, actor=world.officer, now=now)
    second = services.close_campaign(campaign=second, actor=world.officer, now=now)
    third = services.close_campaign(campaign=third, actor=world.officer, now=now)
    assert first.top_up == Decimal("5000")
    assert second.top_up == Decimal("2000")
    assert "il restait 2 000,00 € pour 5 000,00 € dus" in plain(second.outcome)
    assert third.status == CampaignStatus.REFUSED
    assert plain(third.outcome) == (
        "Enveloppe épuisée : il restait 0,00 € pour un abondement dû de 5 000,00 €."
    )
    line = BudgetLine.objects.get(scope=BudgetScope.CALL, call=world.call)
    assert line.committed == line.envelope == Decimal("7000")


def test_scheduled_close_in_end_order_in_the_name_of_the_rules_officer():
    world = match_world(pool="6000")
    late = live_campaign(world, title="Tard")
    early = live_campaign(world, title="Tôt", ends_at=late.ends_at - datetime.timedelta(days=1))
    for campaign in (late, early):
        pledge(campaign, world, "10000", "P1")
    outcomes = services.close_ended_campaigns(now=after_end(late))
    assert outcomes == [(early.pk, "topped_up"), (late.pk, "topped_up")]
    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.top_up, late.top_up) == (Decimal("5000"), Decimal("1000"))
    assert early.outcome.startswith("Clôture automatique.")
    entry = AuditEntry.objects.filter(action="close_campaign", object_id=early.pk).get()
    assert entry.actor == world.officer
    # Idempotent: nothing left to close.
    assert services.close_ended_campaigns(now=after_end(late)) == []


def test_a_live_campaign_is_not_closed_before_its_end():
    world = match_world()
    campaign = live_campaign(world)
    with pytest.raises(services.CampaignError, match="pas terminée"):
        services.close_campaign(campaign=campaign, actor=world.officer)


def test_only_the_funders_staff_close():
    world = match_world()
    campaign = live_campaign(world)
    other = make_user(role=Role.OFFICER, funder=make_funder())
    for actor in (world.member, other):
        with pytest.raises(services.CampaignError):
            services.close_campaign(campaign=campaign, actor=actor, now=after_end(campaign))


def test_refunded_pledges_do_not_count_and_manual_duplicates_are_refused():
    world = match_world()
    campaign = live_campaign(world)
    pledge(campaign, world, "10000", "P1")
    with pytest.raises(services.CampaignError, match="déjà la référence"):
        pledge(campaign, world, "10", "P1")
    with pytest.raises(services.CampaignError, match="période de collecte"):
        pledge(
            campaign, world, "10", "P2", pledged_at=campaign.ends_at + datetime.timedelta(days=1)
        )
