import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pepiniere.applications.models import Application, ApplicationVersion, Status
from pepiniere.lib.testing.factories import (
    PDF_BYTES,
    make_call,
    make_draft,
    make_organisation,
    make_submitted,
    make_user,
    page_text,
)

pytestmark = pytest.mark.django_db


def _post_form(**overrides):
    data = {
        "core-title": "Partage de parkings",
        "core-summary": "Des places privées ouvertes aux voisins.",
        "core-requested_amount": "30 000",
        "core-project_budget": "60 000",
        "f-innovation": "Un badge connecté.",
    }
    data.update(overrides)
    return data


def test_applicant_starts_an_application_from_the_call_page(client):
    user = make_user()
    organisation = make_organisation(member=user)
    call = make_call()
    client.force_login(user)
    response = client.post(
        reverse("applications:start", args=[call.slug]), {"organisation": organisation.pk}
    )
    application = Application.objects.get()
    assert response.url == reverse("applications:edit", args=[application.pk])
    assert application.status == Status.DRAFT


def _selected_organisation(response) -> str:
    """The value the browser would send: the option marked selected, else the first one."""
    import re

    options = re.findall(r'<option value="(\d+)"( selected)?>', response.content.decode())
    return next((value for value, selected in options if selected), options[0][0])


def test_the_call_page_preselects_the_structure_whose_draft_waits_and_resumes_it(client):
    user = make_user()
    call = make_call()
    make_organisation(member=user, name="Aaa sans dossier")
    with_draft = make_organisation(member=user, name="Zzz avec brouillon")
    draft = make_draft(call=call, applicant=user, organisation=with_draft, complete=False)
    client.force_login(user)
    page = client.get(reverse("calls:detail", args=[call.slug]))
    assert _selected_organisation(page) == str(with_draft.pk)
    assert "Zzz avec brouillon — dossier à reprendre" in page_text(page)
    response = client.post(
        reverse("applications:start", args=[call.slug]),
        {"organisation": _selected_organisation(page)},
    )
    assert response.url == reverse("applications:edit", args=[draft.pk])
    assert Application.objects.count() == 1


def test_starting_again_for_the_same_structure_resumes_its_draft(client):
    user = make_user()
    call = make_call()
    organisation = make_organisation(member=user)
    draft = make_draft(call=call, applicant=user, organisation=organisation, complete=False)
    client.force_login(user)
    for _ in range(2):
        response = client.post(
            reverse("applications:start", args=[call.slug]), {"organisation": organisation.pk}
        )
        assert response.url == reverse("applications:edit", args=[draft.pk])
    assert Application.objects.count() == 1


def test_cannot_start_for_an_organisation_one_does_not_belong_to(client):
    organisation = make_organisation(member=make_user())
    client.force_login(make_user())
    response = client.post(
        reverse("applications:start", args=[make_call().slug]), {"organisation": organisation.pk}
    )
    assert response.status_code == 302
    assert not Application.objects.exists()


def test_autosave_stores_the_text_and_returns_the_new_revision(client):
    application = make_draft(complete=False)
    client.force_login(application.created_by)
    response = client.post(
        reverse("applications:edit", args=[application.pk]),
        _post_form(),
        headers={"HX-Request": "true"},
    )
    application.refresh_from_db()
    assert response.status_code == 200
    assert "Brouillon enregistré" in page_text(response)
    assert response.headers["X-Draft-Revision"] == str(application.draft_revision)
    assert application.answers["innovation"] == "Un badge connecté."
    assert application.title == "Partage de parkings"


def test_autosave_after_session_expiry_answers_401_and_changes_nothing(client):
    application = make_draft(complete=False)
    client.force_login(application.created_by)
    Session.objects.all().delete()
    response = client.post(
        reverse("applications:edit", args=[application.pk]),
        _post_form(),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 401
    assert "Session expirée" in page_text(response)
    application.refresh_from_db()
    assert application.answers.get("innovation") is None


def test_plain_save_button_works_without_javascript(client):
    application = make_draft(complete=False)
    client.force_login(application.created_by)
    response = client.post(reverse("applications:edit", args=[application.pk]), _post_form(save=""))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.answers["_core"]["requested_amount"] == "30 000"


def test_upload_saves_the_typed_text_too(client):
    application = make_draft(complete=False)
    client.force_login(application.created_by)
    data = _post_form(
        **{"file-plan": SimpleUploadedFile("budget.pdf", PDF_BYTES, "application/pdf")}
    )
    client.post(reverse("applications:upload", args=[application.pk, "plan"]), data)
    application.refresh_from_db()
    assert application.answers["innovation"] == "Un badge connecté."
    assert application.attachment_set.get().original_name == "budget.pdf"


def test_attachments_are_served_only_to_people_allowed_to_see_the_application(client):
    application = make_submitted()
    attachment = application.attachment_set.get()
    url = reverse("applications:attachment", args=[attachment.token])
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    officer = make_user(role="officer", funder=application.call.funder)
    client.force_login(officer)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response.headers["Cache-Control"] == "private, no-store"


def test_another_applicant_gets_404_on_every_page_of_a_file(client):
    application = make_submitted()
    client.force_login(make_user())
    for name in ["detail", "edit", "precheck", "receipt", "receipt_pdf", "withdraw"]:
        assert (
            client.get(reverse(f"applications:{name}", args=[application.pk])).status_code == 404
        ), name
    assert client.post(reverse("applications:submit", args=[application.pk])).status_code == 404


def test_precheck_lists_problems_and_hides_the_submit_button(client):
    application = make_draft(complete=False)
    client.force_login(application.created_by)
    page = page_text(client.get(reverse("applications:precheck", args=[application.pk])))
    assert "Titre du projet" in page and "Plan de financement" in page
    assert "Déposer le dossier" not in page


def test_double_post_of_submit_gives_one_submission_and_two_receipts(client):
    application = make_draft()
    client.force_login(application.created_by)
    url = reverse("applications:submit", args=[application.pk])
    first = client.post(url)
    second = client.post(url)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("applications:receipt", args=[application.pk])
    assert ApplicationVersion.objects.filter(application=application).count() == 1


def test_receipt_pdf_is_a_real_pdf_with_the_reference(client):
    application = make_submitted()
    client.force_login(application.created_by)
    response = client.get(reverse("applications:receipt_pdf", args=[application.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert application.reference in response["Content-Disposition"]


def test_my_applications_query_count_does_not_grow(client, django_assert_max_num_queries):
    user = make_user()
    organisation = make_organisation(member=user)
    make_draft(applicant=user, organisation=organisation)
    client.force_login(user)
    with django_assert_max_num_queries(10) as small:
        client.get(reverse("applications:mine"))
    for _ in range(5):
        make_draft(applicant=user, organisation=make_organisation(member=user))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("applications:mine"))
    assert response.status_code == 200


def test_detail_shows_the_public_trail_and_versions(client):
    application = make_submitted()
    client.force_login(application.created_by)
    page = page_text(client.get(reverse("applications:detail", args=[application.pk])))
    assert application.reference is not None
    assert application.reference in page
    assert "Version 1" in page
    assert "déposé" in page


def test_withdraw_through_the_page(client):
    application = make_submitted()
    client.force_login(application.created_by)
    client.post(reverse("applications:withdraw", args=[application.pk]), {"reason": "Abandon"})
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN


def test_submit_keeps_its_query_count_for_the_deadline_rush(client, django_assert_max_num_queries):
    """The page every applicant hits in the last hour: bench/surge.py measures its throughput,
    this pins its queries. First submission: session, user, one read with the membership, lock,
    attachments, form and eligibility rules (the labels required: one more), the writes; a double
    click: no rule and no write."""
    application = make_draft()
    client.force_login(application.created_by)
    url = reverse("applications:submit", args=[application.pk])
    with django_assert_max_num_queries(16):
        first = client.post(url)
    with django_assert_max_num_queries(7):
        again = client.post(url)
    assert first.status_code == again.status_code == 302
    assert first.url == again.url == reverse("applications:receipt", args=[application.pk])
    assert ApplicationVersion.objects.filter(application=application).count() == 1
