"""A second claim of an organisation's SIREN or RNA becomes a request to join (issue 10, medium 8)."""

import pytest
from django.core import mail
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.applications.permissions import can_start_application
from pepiniere.audit.models import AuditEntry
from pepiniere.lib.testing.factories import (
    make_call,
    make_organisation,
    make_submitted,
    make_user,
    page_text,
)
from pepiniere.organisations.models import JoinRequest, JoinRequestStatus, Organisation

pytestmark = pytest.mark.django_db

SIRET = "73282932000074"


def _form(**overrides):
    data = {
        "name": "Les Voiles Partagées (copie)",
        "kind": "startup",
        "siret": "732 829 320 00074",
        "departement": "33",
        "commune_code": "33063",
        "commune_name": "Bordeaux",
    }
    data.update(overrides)
    return data


@pytest.fixture
def owner():
    return make_user("olga@example.test", full_name="Olga Owner")


@pytest.fixture
def organisation(owner):
    return make_organisation(member=owner, name="Les Voiles Partagées", siret=SIRET)


@pytest.fixture
def claimant():
    return make_user("mallory@example.test", full_name="Mallory Martin")


def _claim(client, claimant, django_capture_on_commit_callbacks, **overrides):
    client.force_login(claimant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("organisations:create"), _form(**overrides), follow=True)
    return response


def test_a_second_claim_of_a_siret_becomes_a_request_and_gives_no_access(
    client, organisation, owner, claimant, django_capture_on_commit_callbacks
):
    response = _claim(client, claimant, django_capture_on_commit_callbacks)
    assert Organisation.objects.count() == 1
    join_request = JoinRequest.objects.get()
    assert join_request.status == JoinRequestStatus.PENDING
    assert (join_request.user, join_request.organisation) == (claimant, organisation)
    assert "Votre demande pour la rejoindre a été transmise à ses membres" in page_text(response)
    assert not organisation.members.filter(pk=claimant.pk).exists()
    detail = reverse("organisations:detail", args=[organisation.pk])
    assert client.get(detail).status_code == 404
    assert not can_start_application(claimant, make_call(), organisation)
    assert [m.to for m in mail.outbox] == [["olga@example.test"]]
    assert "Mallory Martin (mallory@example.test)" in mail.outbox[0].body
    assert AuditEntry.objects.filter(action="request_to_join").count() == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"siret": "73282932000017"},  # another establishment of the same SIREN
        {"kind": "association", "siret": "", "rna": "W332001234"},
    ],
)
def test_the_same_siren_or_rna_is_also_a_second_claim(
    client, owner, claimant, overrides, django_capture_on_commit_callbacks
):
    existing = make_organisation(member=owner, siret=SIRET, rna="W332001234")
    _claim(client, claimant, django_capture_on_commit_callbacks, **overrides)
    assert Organisation.objects.count() == 1
    assert JoinRequest.objects.get().organisation == existing


def test_a_member_accepts_and_the_claimant_joins(
    client, organisation, owner, claimant, django_capture_on_commit_callbacks
):
    _claim(client, claimant, django_capture_on_commit_callbacks)
    join_request = JoinRequest.objects.get()
    client.force_login(owner)
    detail = page_text(client.get(reverse("organisations:detail", args=[organisation.pk])))
    assert "Mallory Martin (mallory@example.test)" in detail
    listing = page_text(client.get(reverse("organisations:join_requests")))
    assert "Mallory Martin" in listing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("organisations:decide_join_request", args=[join_request.pk]),
            {"decision": "accept"},
        )
    join_request.refresh_from_db()
    assert join_request.status == JoinRequestStatus.ACCEPTED and join_request.decided_by == owner
    assert mail.outbox[-1].to == ["mallory@example.test"]
    assert "Vous avez rejoint Les Voiles Partagées" in mail.outbox[-1].subject
    assert AuditEntry.objects.filter(action="accept_join_request").count() == 1
    client.force_login(claimant)
    assert client.get(reverse("organisations:detail", args=[organisation.pk])).status_code == 200


def test_a_refused_claimant_stays_out_and_is_told(
    client, organisation, owner, claimant, django_capture_on_commit_callbacks
):
    _claim(client, claimant, django_capture_on_commit_callbacks)
    join_request = JoinRequest.objects.get()
    client.force_login(owner)
    client.post(
        reverse("organisations:decide_join_request", args=[join_request.pk]),
        {"decision": "refuse"},
    )
    again = client.post(
        reverse("organisations:decide_join_request", args=[join_request.pk]),
        {"decision": "accept"},
        follow=True,
    )
    assert "déjà reçu une réponse" in page_text(again)
    client.force_login(claimant)
    status = client.get(reverse("organisations:join_request", args=[join_request.pk]))
    assert "La demande a été refusée" in page_text(status)
    assert client.get(reverse("organisations:detail", args=[organisation.pk])).status_code == 404


def test_only_members_and_officers_of_a_funder_it_applied_to_may_decide(
    client, organisation, owner, claimant, django_capture_on_commit_callbacks
):
    _claim(client, claimant, django_capture_on_commit_callbacks)
    join_request = JoinRequest.objects.get()
    decide = reverse("organisations:decide_join_request", args=[join_request.pk])
    page = reverse("organisations:join_request", args=[join_request.pk])
    application = make_submitted(applicant=owner, organisation=organisation)
    officer = make_user(role=Role.OFFICER, funder=application.call.funder)
    other_officer = make_user(role=Role.OFFICER, funder=make_call().funder)
    for stranger in (make_user(), other_officer):
        client.force_login(stranger)
        assert client.get(page).status_code == 404
        assert client.post(decide, {"decision": "accept"}).status_code == 404
    client.force_login(claimant)
    assert client.post(decide, {"decision": "accept"}).status_code == 404
    client.force_login(officer)
    backoffice = page_text(client.get(reverse("backoffice:detail", args=[application.pk])))
    assert "1 personne demande à rejoindre la structure" in backoffice
    assert "Mallory Martin" in page_text(client.get(reverse("organisations:join_requests")))
    client.post(decide, {"decision": "accept"})
    assert organisation.members.filter(pk=claimant.pk).exists()


def test_an_organisation_cannot_be_edited_onto_another_ones_siret(client, organisation):
    other_owner = make_user()
    other = make_organisation(member=other_owner, siret="35600000000048")
    client.force_login(other_owner)
    response = client.post(reverse("organisations:edit", args=[other.pk]), _form(name="Autre"))
    assert "Une autre structure est déjà enregistrée avec ce SIRET" in page_text(response)
    other.refresh_from_db()
    assert other.siret == "35600000000048"


def test_the_database_refuses_two_organisations_with_one_siren(organisation):
    with pytest.raises(IntegrityError):
        make_organisation(siret="73282932000017")


def test_the_requests_list_does_not_grow_in_queries(
    client, organisation, owner, django_capture_on_commit_callbacks
):
    _claim(client, make_user(), django_capture_on_commit_callbacks)
    client.force_login(owner)
    url = reverse("organisations:join_requests")
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(4):
        _claim(client, make_user(), django_capture_on_commit_callbacks)
    client.force_login(owner)
    with CaptureQueriesContext(connection) as large:
        assert page_text(client.get(url)).count("Accepter<") == 5
    assert len(large.captured_queries) == len(small.captured_queries)
