"""Personal data: download, closing an account, anonymisation, the retention policy."""

import datetime
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from pepiniere.accounts.models import Role, User
from pepiniere.accounts.privacy import anonymise_application
from pepiniere.applications.models import Application, Attachment, Status
from pepiniere.audit.models import AuditEntry
from pepiniere.calls.models import Call, FieldKind, FormField
from pepiniere.lib.testing.factories import (
    make_call,
    make_draft,
    make_submitted,
    make_user,
    page_text,
)

pytestmark = pytest.mark.django_db
PASSWORD = "secret-pass-123"
YEARS_AGO = timezone.now() - datetime.timedelta(days=6 * 365)


def _call():
    call = make_call()
    FormField.objects.create(
        call=call,
        key="salaries",
        label="Salariés",
        kind=FieldKind.NUMBER,
        position=3,
        required=False,
    )
    return call


def _six_years_ago(call):
    """The call closed six years ago (applications are made while it is open, then aged)."""
    Call.objects.filter(pk=call.pk).update(
        opens_at=YEARS_AGO - datetime.timedelta(days=60), closes_at=YEARS_AGO
    )


def test_a_person_downloads_their_own_data_only(client):
    paula = make_user("paula@example.test", full_name="Paula Porteuse")
    mine = make_submitted(applicant=paula)
    other = make_submitted()
    client.force_login(paula)
    response = client.get(reverse("accounts:download_data"))
    assert response["Content-Disposition"] == 'attachment; filename="mes-donnees-pepiniere.json"'
    data = json.loads(response.content)
    assert data["account"]["email"] == "paula@example.test"
    assert data["account"]["roles"] == [Role.APPLICANT]
    assert [a["reference"] for a in data["applications_created"]] == [mine.reference]
    assert other.reference not in response.content.decode()
    assert data["files_uploaded"][0]["name"] == "plan.pdf"
    assert "Télécharger mes données" in page_text(client.get(reverse("accounts:account")))


def test_the_download_needs_a_login(client):
    assert client.get(reverse("accounts:download_data")).status_code == 302


def test_closing_an_account_needs_the_password_and_drops_the_identity(client):
    paula = make_user("paula@example.test", full_name="Paula Porteuse")
    application = make_submitted(applicant=paula)
    client.force_login(paula)
    refused = client.post(reverse("accounts:close_account"), {"password": "faux", "confirm": "on"})
    assert refused.status_code == 400
    assert "Ce mot de passe n'est pas le bon" in page_text(refused)
    assert User.objects.get(pk=paula.pk).email == "paula@example.test"

    response = client.post(
        reverse("accounts:close_account"), {"password": PASSWORD, "confirm": "on"}
    )
    assert response.url == reverse("calls:catalogue")
    closed = User.objects.get(pk=paula.pk)
    assert closed.email == f"compte-supprime-{paula.pk}@anonyme.invalid"
    assert closed.full_name == "Compte supprimé"
    assert not closed.is_active and not closed.has_usable_password()
    assert not closed.role_grants.exists() and not closed.memberships.exists()
    assert not AuditEntry.objects.filter(object_repr__contains="Paula").exists()
    assert "_auth_user_id" not in client.session
    # The organisation keeps its application.
    assert Application.objects.get(pk=application.pk).status == Status.SUBMITTED
    assert not client.login(email="paula@example.test", password=PASSWORD)


def test_anonymising_keeps_the_figures_and_drops_identities(settings):
    call = _call()
    application = make_submitted(call=call)
    application.answers = {**application.answers, "salaries": "12"}
    application.save()
    path = Path(settings.MEDIA_ROOT) / str(
        Attachment.objects.get(application=application).file.name
    )
    assert path.exists()

    anonymise_application(application=application)
    application.refresh_from_db()
    assert application.title == "" and application.summary == ""
    assert "innovation" not in application.answers
    assert application.answers["salaries"] == "12"
    assert application.answers["_core"] == {"requested_amount": "40000", "project_budget": "80000"}
    assert application.requested_amount == Decimal("40000")
    assert application.organisation.size_band_id == application.organisation.size_band_id
    assert not Attachment.objects.filter(application=application).exists()
    assert not path.exists()
    version = application.versions.get()
    assert version.title == "" and "innovation" not in version.answers


def test_apply_retention_dry_run_changes_nothing_then_applies_the_policy():
    old_call = _call()
    old_draft = make_draft(call=old_call)
    rejected = make_submitted(call=old_call)
    Application.objects.filter(pk=rejected.pk).update(status=Status.REJECTED)
    _six_years_ago(old_call)
    recent_draft = make_draft()
    recent_rejected = make_submitted()
    Application.objects.filter(pk=recent_rejected.pk).update(status=Status.REJECTED)

    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    lines = out.getvalue().splitlines()
    assert "drafts never submitted: 1 would be deleted" in lines
    assert "ineligible, rejected and withdrawn applications: 1 would be anonymised" in lines
    assert len(lines) == 7
    assert Application.objects.filter(pk=old_draft.pk).exists()

    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "drafts never submitted: 1 deleted" in out.getvalue()
    assert not Application.objects.filter(pk=old_draft.pk).exists()
    rejected.refresh_from_db()
    assert rejected.title == "" and rejected.requested_amount == Decimal("40000")
    assert Application.objects.filter(pk=recent_draft.pk).exists()
    recent_rejected.refresh_from_db()
    assert recent_rejected.title != ""

    # Run again: nothing left to do.
    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "ineligible, rejected and withdrawn applications: 0 anonymised" in out.getvalue()


def test_old_failed_logins_and_inactive_accounts_go(client):
    from axes.models import AccessFailureLog

    AccessFailureLog.objects.create(username="x@example.test", ip_address="192.0.2.1")
    AccessFailureLog.objects.update(attempt_time=timezone.now() - datetime.timedelta(days=200))
    idle = make_user("idle@example.test")
    User.objects.filter(pk=idle.pk).update(
        last_login=timezone.now() - datetime.timedelta(days=4 * 365)
    )
    staff = make_user("agent@example.test", role=Role.OFFICER)
    User.objects.filter(pk=staff.pk).update(
        last_login=timezone.now() - datetime.timedelta(days=4 * 365)
    )
    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "failed-login records: 1 deleted" in out.getvalue()
    assert "inactive accounts: 1 closed" in out.getvalue()
    assert not AccessFailureLog.objects.exists()
    assert User.objects.get(pk=idle.pk).full_name == "Compte supprimé"
    assert User.objects.get(pk=staff.pk).is_active
