"""The pages: what an association, an officer and a visitor see, and who is turned away."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from pepiniere.accounts.models import Role
from pepiniere.crowdfunding import services
from pepiniere.crowdfunding.models import CampaignStatus
from pepiniere.crowdfunding.tests.factories import (
    after_end,
    another_association,
    live_campaign,
    match_world,
    pledge,
)
from pepiniere.lib.testing.factories import make_funder, make_user, page_text, plain

pytestmark = pytest.mark.django_db


def visible(response) -> str:
    """The page's text without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", plain(page_text(response))).split())


def test_public_page_shows_progress_and_top_up_but_no_payer_name(client, django_assert_num_queries):
    world = match_world()
    for n in range(3):
        campaign = live_campaign(world, title=f"Tiers-lieu {n}")
        pledge(campaign, world, "10500", f"P{n}", payer_name="Gaston Secret")
    with django_assert_num_queries(7):
        response = client.get(reverse("crowdfunding:public"))
    text = visible(response)
    assert response.status_code == 200
    assert "Gaston Secret" not in page_text(response)
    assert "10 500,00 € collectés sur 10 000,00 € (105 %)" in text
    assert "Abondement de la Région si la campagne finissait aujourd'hui : 5 000,00 €" in text
    assert 'aria-label="Collecte : 105 % de l\'objectif"' in plain(page_text(response))
    assert "Encore 10 jours" in text


def test_association_sees_only_its_campaigns(client):
    world = match_world()
    mine = live_campaign(world)
    other_org, other_member = another_association(world, "Voisins")
    theirs = live_campaign(world, organisation=other_org, member=other_member)
    client.force_login(world.member)
    text = page_text(client.get(reverse("crowdfunding:mine")))
    assert mine.title in text and "Voisins" not in text
    assert client.get(reverse("crowdfunding:detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("crowdfunding:upload", args=[theirs.pk])).status_code == 404


def test_mine_query_count(client, django_assert_num_queries):
    world = match_world()
    live_campaign(world)
    client.force_login(world.member)
    client.get(reverse("crowdfunding:mine"))
    with django_assert_num_queries(5):
        assert client.get(reverse("crowdfunding:mine")).status_code == 200


def test_create_launch_import_and_see_the_expected_top_up(client):
    world = match_world()
    client.force_login(world.member)
    today = timezone.localdate()
    response = client.post(
        reverse("crowdfunding:create", args=[world.association.pk]),
        {
            "call": world.call.pk,
            "title": "Atelier vélo",
            "project_type": "standard",
            "target": "2 000",
            "investment_expenses": "1 500",
            "starts_on": (today - datetime.timedelta(days=5)).isoformat(),
            "ends_on": (today + datetime.timedelta(days=5)).isoformat(),
            "platform_name": "HelloAsso",
            "platform_url": "https://helloasso.test/velo",
        },
    )
    assert response.status_code == 302, page_text(response)
    campaign = world.association.campaigns.get()
    client.post(reverse("crowdfunding:launch", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.LIVE
    export = (
        "reference;date;amount_cents;status;name\n"
        f"T1;{today.isoformat()};150000;paid;Anne\n"
        f"T2;{today.isoformat()};90000;refunded;Bob\n"
        f"T3;{today.isoformat()};60000;paid;\n"
    ).encode()
    response = client.post(
        reverse("crowdfunding:upload", args=[campaign.pk]),
        {"file": SimpleUploadedFile("export.csv", export, "text/csv")},
    )
    assert response.status_code == 302
    preview = plain(page_text(client.get(response["Location"])))
    assert "3 lignes : 2 importées, 1 exclues, 0 illisibles, 0 doublons." in preview
    assert "Confirmer l'import de 2 contributions (2 100,00 €)" in preview
    client.post(response["Location"])
    text = visible(client.get(reverse("crowdfunding:detail", args=[campaign.pk])))
    assert "Si la campagne finissait maintenant : 1 500,00 € d'abondement de la Région." in text
    assert "(limité aux dépenses d'investissement)" in text


def test_officer_pages_pool_and_close(client, django_assert_num_queries):
    world = match_world(pool="8000")
    campaigns = [live_campaign(world, title=f"C{n}") for n in range(3)]
    for n, campaign in enumerate(campaigns):
        pledge(campaign, world, "10000" if n < 2 else "100", f"P{n}")
    now = after_end(campaigns[0])
    services.close_campaign(campaign=campaigns[0], actor=world.officer, now=now)
    client.force_login(world.officer)
    url = reverse("crowdfunding:call", args=[world.call.slug])
    client.get(url)
    with django_assert_num_queries(12):  # three campaigns: no query per row
        response = client.get(url)
    text = visible(response)
    assert "Abondements attribués : 5 000,00 € ; reste disponible : 3 000,00 €." in text
    assert "pool-chart-data" in page_text(response)
    other_officer = make_user(role=Role.OFFICER, funder=make_funder())
    client.force_login(other_officer)
    assert client.get(url).status_code == 404
    assert client.post(reverse("crowdfunding:close", args=[campaigns[1].pk])).status_code == 404
    client.force_login(world.member)
    assert client.get(url).status_code == 404
    assert client.post(reverse("crowdfunding:close", args=[campaigns[1].pk])).status_code == 404
    assert campaigns[0].top_up is None  # the test's copy; the database has it
    campaigns[0].refresh_from_db()
    assert campaigns[0].top_up == Decimal("5000")


def test_campaign_page_query_count_does_not_grow_with_pledges(client, django_assert_num_queries):
    world = match_world()
    campaign = live_campaign(world)
    for n in range(12):
        pledge(campaign, world, "100", f"P{n}")
    client.force_login(world.member)
    url = reverse("crowdfunding:detail", args=[campaign.pk])
    client.get(url)
    with django_assert_num_queries(22):  # twelve pledges: none per row
        response = client.get(url)
    assert "Jean Dupont" in page_text(response)  # the association reads its payers' names


def test_officer_finds_the_match_calls_of_their_funder(client, django_assert_num_queries):
    world = match_world()
    live_campaign(world)
    client.force_login(world.officer)
    assert "Suivi de l'abondement (financeur)" in page_text(
        client.get(reverse("crowdfunding:public"))
    )
    client.get(reverse("crowdfunding:staff_index"))
    with django_assert_num_queries(6):
        response = client.get(reverse("crowdfunding:staff_index"))
    link = reverse("crowdfunding:call", args=[world.call.slug])
    assert link in page_text(response)
    client.force_login(make_user(role=Role.OFFICER, funder=make_funder()))
    assert link not in page_text(client.get(reverse("crowdfunding:staff_index")))
    client.force_login(world.member)
    assert "Suivi de l'abondement" not in page_text(client.get(reverse("crowdfunding:public")))
