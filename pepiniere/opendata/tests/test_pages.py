"""Publication, the public pages (no login, pinned queries) and the officers' withhold page."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.audit.models import AuditEntry
from pepiniere.lib.testing.factories import make_user, page_text, plain
from pepiniere.opendata import services
from pepiniere.opendata.models import Publication, Withholding
from pepiniere.opendata.tasks import publish_open_data
from pepiniere.opendata.tests.helpers import OpenWorld

pytestmark = pytest.mark.django_db


def published_world() -> OpenWorld:
    world = OpenWorld("40000", state_part="10000")
    world.signed()
    return world


def test_signing_queues_a_publication_of_each_funder(django_capture_on_commit_callbacks):
    world = OpenWorld("40000", state_part="10000")
    with django_capture_on_commit_callbacks(execute=True):
        world.signed()
    region = Publication.objects.get(funder=world.call.funder)
    assert region.lines == 1 and "Capteurs pour vignes" in region.scdl
    assert Publication.objects.filter(funder=world.state).count() == 1
    assert publish_open_data.call(world.award.pk) == 0  # nothing changed: no new publication


def test_public_pages_need_no_login_and_keep_their_query_count(client, django_assert_num_queries):
    world = published_world()
    services.publish_all()
    published_world()
    services.publish_all()
    siret = world.call.funder.siret
    with django_assert_num_queries(1):  # session-less: funders with their last publication
        response = client.get(reverse("opendata:index"))
    assert response.status_code == 200
    assert "décret n° 2017-779 du 5 mai 2017" in page_text(response)
    with django_assert_num_queries(2):  # the funder, its last publication
        response = client.get(reverse("opendata:funder", args=[siret]))
    text = plain(page_text(response))
    assert "Capteurs pour vignes" in text and "Dernière publication le" in text
    assert "40 000,00 €" in text and "75 %" in text  # French on the page, the schema's in files
    scdl = client.get(reverse("opendata:scdl", args=[siret]))
    assert scdl["Content-Type"].startswith("text/csv")
    assert len(list(csv.DictReader(io.StringIO(scdl.content.decode())))) == 1
    giving = client.get(reverse("opendata:giving", args=[siret]))
    assert giving.json()["grants"][0]["currency"] == "EUR"
    assert client.get(reverse("opendata:funder", args=["12345678901234"])).status_code == 404
    assert client.get("/donnees-ouvertes/pas-un-siret/").status_code == 404


def test_only_the_funders_officers_withhold_and_restore_a_line(
    client, django_assert_max_num_queries
):
    world = published_world()
    siret = world.call.funder.siret
    manage = reverse("opendata:manage", args=[siret])
    withhold = reverse("opendata:withhold", args=[siret, world.award.pk])
    assert client.get(manage).status_code == 302  # login first
    client.force_login(world.stranger_officer())
    assert client.get(manage).status_code == 403
    assert client.post(withhold, {"reason": "Secret"}).status_code == 403
    client.force_login(make_user(role=Role.APPLICANT))
    assert client.get(manage).status_code == 403
    client.force_login(world.officer)
    # Session, user, funder, publication… and 7 that read the lines whatever their number
    # (test_export pins the per-chunk count).
    with django_assert_max_num_queries(13):
        assert client.get(manage).status_code == 200
    client.post(withhold, {"reason": ""})
    assert not Withholding.objects.exists()
    client.post(withhold, {"reason": "Secret des affaires (art. L. 311-6 CRPA)"})
    assert Withholding.objects.get().reason.startswith("Secret des affaires")
    entry = AuditEntry.objects.get(action="withhold_open_data")
    assert entry.actor == world.officer and "L. 311-6" in entry.reason
    latest = services.latest_publication(world.call.funder)
    assert latest is not None and latest.lines == 0
    assert "Capteurs pour vignes" not in page_text(
        client.get(reverse("opendata:funder", args=[siret]))
    )
    client.post(reverse("opendata:restore", args=[siret, world.award.pk]))
    assert not Withholding.objects.exists()
    assert AuditEntry.objects.filter(action="restore_open_data").count() == 1
    latest = services.latest_publication(world.call.funder)
    assert latest is not None and latest.lines == 1
    # Another funder's award cannot be reached through this funder's page.
    other = published_world()
    response = client.post(
        reverse("opendata:withhold", args=[siret, other.award.pk]), {"reason": "x"}
    )
    assert response.status_code == 404
