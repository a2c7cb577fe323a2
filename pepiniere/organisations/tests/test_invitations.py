"""Adding a member sends an invitation, the same way whether or not the address has an account."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse

from pepiniere.accounts.models import User
from pepiniere.lib.testing.factories import make_organisation, make_user, page_text
from pepiniere.organisations.models import MemberInvitation

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return make_user("olga@example.test", full_name="Olga Owner")


@pytest.fixture
def organisation(owner):
    return make_organisation(member=owner, name="Les Voiles Partagées")


def _invite(client, organisation, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("organisations:detail", args=[organisation.pk]), {"email": email}, follow=True
        )
    return response


def _link(message):
    match = re.search(r"https?://[^/\s]+(/\S*invitation/\S+)", str(message.body))
    assert match is not None
    return match.group(1)


def test_inviting_says_the_same_for_an_existing_and_an_unknown_address(
    client, organisation, owner, django_capture_on_commit_callbacks
):
    make_user("bob@example.test")
    client.force_login(owner)
    known = _invite(client, organisation, "bob@example.test", django_capture_on_commit_callbacks)
    unknown = _invite(client, organisation, "nina@example.test", django_capture_on_commit_callbacks)
    assert "Une invitation est envoyée à bob@example.test" in page_text(known)
    assert "Une invitation est envoyée à nina@example.test" in page_text(unknown)
    assert "Aucun compte" not in page_text(unknown)
    assert [m.to for m in mail.outbox] == [["bob@example.test"], ["nina@example.test"]]
    assert "Olga Owner vous invite à rejoindre la structure « Les Voiles Partagées »" in (
        mail.outbox[0].body
    )
    assert organisation.members.count() == 1  # nobody joins before accepting


def test_a_person_with_an_account_accepts_after_logging_in(
    client, organisation, owner, django_capture_on_commit_callbacks
):
    bob = make_user("bob@example.test")
    client.force_login(owner)
    _invite(client, organisation, "bob@example.test", django_capture_on_commit_callbacks)
    link = _link(mail.outbox[0])
    client.logout()
    assert client.get(link).url.startswith(reverse("accounts:login"))
    client.force_login(make_user("eve@example.test"))
    page = page_text(client.post(link, follow=True))
    assert "Cette invitation a été envoyée à une autre adresse" in page
    assert not organisation.members.filter(email="eve@example.test").exists()
    client.force_login(bob)
    response = client.post(link, follow=True)
    assert "Vous avez rejoint « Les Voiles Partagées »" in page_text(response)
    assert organisation.members.filter(pk=bob.pk).exists()
    assert "déjà été acceptée" in page_text(client.get(link))


def test_a_person_without_an_account_creates_one_from_the_invitation(
    client, organisation, owner, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    _invite(client, organisation, "Nina@Example.test", django_capture_on_commit_callbacks)
    link = _link(mail.outbox[0])
    client.logout()
    assert "Créez votre compte pour l'adresse nina@example.test" in page_text(client.get(link))
    short = client.post(
        link, {"full_name": "Nina Nouvelle", "password1": "court", "password2": "court"}
    )
    assert "trop court" in page_text(short) and not User.objects.filter(email="nina@example.test")
    password = "un-mot-de-passe-solide"
    response = client.post(
        link, {"full_name": "Nina Nouvelle", "password1": password, "password2": password}
    )
    assert response.url == reverse("organisations:detail", args=[organisation.pk])
    nina = User.objects.get(email="nina@example.test")
    assert nina.is_active and organisation.members.filter(pk=nina.pk).exists()


def test_an_expired_invitation_is_refused_and_members_are_not_invited_twice(
    client, organisation, owner, django_capture_on_commit_callbacks
):
    bob = make_user("bob@example.test")
    client.force_login(owner)
    _invite(client, organisation, "bob@example.test", django_capture_on_commit_callbacks)
    MemberInvitation.objects.update(expires_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    client.force_login(bob)
    page = page_text(client.post(_link(mail.outbox[0]), follow=True))
    assert "Cette invitation a expiré" in page
    assert not organisation.members.filter(pk=bob.pk).exists()
    client.force_login(owner)
    response = _invite(
        client, organisation, "olga@example.test", django_capture_on_commit_callbacks
    )
    assert "est déjà membre de la structure" in page_text(response)


def test_only_an_owner_invites(client, organisation, django_capture_on_commit_callbacks):
    member = make_user()
    organisation.memberships.create(user=member)
    client.force_login(member)
    response = client.post(
        reverse("organisations:detail", args=[organisation.pk]), {"email": "x@example.test"}
    )
    assert response.status_code == 403
    assert not MemberInvitation.objects.exists()


def test_an_invited_address_whose_account_is_not_activated_yet_is_told_what_to_do(
    client, organisation, owner, django_capture_on_commit_callbacks
):
    pending = make_user("nina@example.test")
    User.objects.filter(pk=pending.pk).update(is_active=False)
    client.force_login(owner)
    _invite(client, organisation, "nina@example.test", django_capture_on_commit_callbacks)
    client.logout()
    page = page_text(client.get(_link(mail.outbox[0])))
    assert "pas encore activé" in page
    assert not organisation.members.filter(pk=pending.pk).exists()


def test_join_requests_and_invitations_are_read_only_in_the_admin(client, organisation):
    admin = make_user("admin@example.test", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("admin:organisations_joinrequest_changelist")).status_code == 200
    assert client.get(reverse("admin:organisations_memberinvitation_add")).status_code == 403


def test_invitations_are_capped_per_day(
    client, organisation, owner, monkeypatch, django_capture_on_commit_callbacks
):
    from pepiniere.organisations import services

    monkeypatch.setattr(services, "INVITATIONS_PER_DAY", 2)
    client.force_login(owner)
    for n in range(2):
        _invite(client, organisation, f"p{n}@example.test", django_capture_on_commit_callbacks)
    response = _invite(client, organisation, "p9@example.test", django_capture_on_commit_callbacks)
    assert "déjà envoyé 2 invitations en 24 heures" in page_text(response)
    assert len(mail.outbox) == 2
