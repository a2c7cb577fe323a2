"""Blind review: an expert of a call « en aveugle » never learns who applies, on any page, file,
e-mail or API answer it can reach."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.api.models import ApiToken
from pepiniere.applications import services as application_services
from pepiniere.calls.models import FieldKind, FormField
from pepiniere.lib.testing.factories import (
    PDF_BYTES,
    complete_answers,
    make_call,
    make_draft,
    make_organisation,
    make_user,
    page_text,
    plain,
)
from pepiniere.reviews import services
from pepiniere.reviews.models import Assignment
from pepiniere.reviews.tests.factories import make_reviewer

pytestmark = pytest.mark.django_db


def _world(**call_settings):
    call = make_call(reviews_per_application=1, **call_settings)
    FormField.objects.create(
        call=call, key="siret", label="SIRET du porteur", kind=FieldKind.SIRET, position=3
    )
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    applicant = make_user("jeanne.marival@voiles.test", full_name="Jeanne Marival")
    colleague = make_user("paul.ostende@voiles.test", full_name="Paul Ostende")
    organisation = make_organisation(
        member=applicant,
        name="Voiles Marival",
        rna="W332001234",
        commune_code="33236",
        commune_name="Lège-Cap-Ferret",
    )
    organisation.memberships.create(user=colleague)
    application = make_draft(
        call=call, applicant=applicant, organisation=organisation, complete=False
    )
    answers = complete_answers()
    answers["siret"] = organisation.siret
    application_services.save_draft(application=application, actor=applicant, answers=answers)
    application_services.upload_attachment(
        application=application,
        actor=applicant,
        field_key="plan",
        uploaded=SimpleUploadedFile("plan-voiles-marival.pdf", PDF_BYTES, "application/pdf"),
    )
    application_services.submit_application(application=application, actor=applicant)
    application_services.mark_eligible(application=application, actor=officer)
    reviewer = make_reviewer(call)
    secrets = [
        "Marival",
        "Ostende",
        "voiles.test",
        organisation.siret,
        organisation.siren,
        "W332001234",
        "Lège-Cap-Ferret",
    ]
    return call, officer, application, reviewer, secrets


def _everything_the_expert_reads(client, call, officer, application, reviewer, capture):
    """Every page, file name, e-mail and API answer the expert can reach, as text."""
    texts = {}
    client.force_login(reviewer)
    texts["bids"] = page_text(client.get(reverse("reviews:bids", args=[call.slug])))
    mail.outbox.clear()
    run = services.propose_assignment(call=call, actor=officer)
    with capture(execute=True):
        services.confirm_assignment(run=run, actor=officer)
    services.send_reminders(call=call)
    emails = [f"{m.subject}\n{m.body}" for m in mail.outbox if reviewer.email in m.to]
    assert len(emails) == 2  # « dossiers à évaluer », the reminder
    texts["emails"] = "\n".join(emails)
    assignment = Assignment.objects.get(reviewer=reviewer)
    texts["home"] = page_text(client.get(reverse("reviews:home")))
    texts["review"] = page_text(client.get(reverse("reviews:review", args=[assignment.pk])))
    texts["conflict"] = page_text(client.get(reverse("reviews:conflict", args=[assignment.pk])))
    for attachment in application.attachment_set.all():
        response = client.get(reverse("applications:attachment", args=[attachment.token]))
        assert response.status_code == 200
        texts["file"] = response["Content-Disposition"]
    _token, key = ApiToken.issue(user=reviewer, name="test")
    headers = {"Authorization": f"Bearer {key}"}
    for url in ["/api/v1/reviews/assignments", f"/api/v1/reviews/assignments/{assignment.pk}"]:
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        texts[url] = response.content.decode()
    assert client.get(f"/api/v1/applications/{application.pk}", headers=headers).status_code == 404
    return texts


def test_an_expert_of_a_blind_call_finds_no_identity_of_the_applicant_anywhere(
    client, django_capture_on_commit_callbacks
):
    call, officer, application, reviewer, secrets = _world(
        blind_review=True, blind_hides_commune=True
    )
    texts = _everything_the_expert_reads(
        client, call, officer, application, reviewer, django_capture_on_commit_callbacks
    )
    for where, text in texts.items():
        for secret in secrets:
            assert secret.lower() not in plain(text).lower(), (where, secret)
    review_page = texts["review"]
    assert "identité masquée" in review_page
    assert "Pièce 1 — Plan de financement" in review_page
    assert application.title in review_page  # the project itself is shown
    assert 'filename="piece-1.pdf"' in texts["file"]


def test_without_blind_review_the_expert_sees_who_applies(
    client, django_capture_on_commit_callbacks
):
    call, officer, application, reviewer, _secrets = _world(blind_review=False)
    texts = _everything_the_expert_reads(
        client, call, officer, application, reviewer, django_capture_on_commit_callbacks
    )
    review_page = texts["review"]
    assert "Voiles Marival" in review_page and "Lège-Cap-Ferret" in review_page
    assert application.organisation.siret in review_page
    assert "plan-voiles-marival.pdf" in review_page


def test_blind_review_keeps_the_commune_unless_the_call_hides_it(
    client, django_capture_on_commit_callbacks
):
    call, officer, application, reviewer, _secrets = _world(
        blind_review=True, blind_hides_commune=False
    )
    texts = _everything_the_expert_reads(
        client, call, officer, application, reviewer, django_capture_on_commit_callbacks
    )
    review_page = texts["review"]
    assert "Lège-Cap-Ferret" in review_page and "Voiles Marival" not in review_page
