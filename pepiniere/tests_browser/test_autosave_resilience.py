"""Nothing typed is lost: session expiry during autosave, restore after a reload, double submit."""

from __future__ import annotations

import re

from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from pepiniere.applications.models import Application, ApplicationVersion, Status
from pepiniere.lib.testing.factories import make_call, make_draft, make_organisation, make_user
from pepiniere.tests_browser.conftest import db, login, wait_for

PASSWORD = "secret-pass-123"
FIRST = "Une plateforme locale de partage de bateaux."
MORE = " Elle s'appuie sur les ports de plaisance et un réseau de bénévoles."


def _applicant_with_draft():
    applicant = make_user(password=PASSWORD)
    organisation = make_organisation(member=applicant)
    draft = make_draft(applicant=applicant, organisation=organisation, complete=False)
    return applicant, draft


def _innovation_in_db(application: Application) -> str:
    return Application.objects.get(pk=application.pk).answers.get("innovation", "")


def _type_and_wait_saved(page, application: Application, text: str) -> None:
    page.get_by_label("Innovation").fill(text)
    wait_for(lambda: _innovation_in_db(application) == text, message="autosave never happened")
    expect(page.get_by_role("status").filter(has_text="Brouillon enregistré")).to_be_visible()


def _expire_session() -> None:
    with db():
        Session.objects.all().delete()


def test_session_expiry_keeps_the_text_and_saves_it_after_logging_in_again(
    page, context, live_server
):
    applicant, draft = _applicant_with_draft()
    login(page, live_server, applicant.email, PASSWORD)
    page.goto(f"/dossiers/{draft.pk}/modifier/")
    _type_and_wait_saved(page, draft, FIRST)

    _expire_session()
    page.get_by_label("Innovation").fill(FIRST + MORE)
    banner = page.get_by_role("alert").filter(has_text="Votre session a expiré")
    expect(banner).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Session expirée")).to_be_visible()
    # Nothing is lost: the text is still in the field; the server still has the first part.
    expect(page.get_by_label("Innovation")).to_have_value(FIRST + MORE)
    with db():
        assert _innovation_in_db(draft) == FIRST

    # Log in again in another tab (the banner's link opens one), then come back and retry.
    other = context.new_page()
    login(other, live_server, applicant.email, PASSWORD)
    other.close()
    page.bring_to_front()
    page.get_by_role("button", name="Réessayer l'enregistrement").click()
    wait_for(
        lambda: _innovation_in_db(draft) == FIRST + MORE,
        message="the text typed while the session had expired never reached the server",
    )
    expect(banner).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="Brouillon enregistré")).to_be_visible()


def test_text_kept_in_the_browser_is_restored_and_saved_after_a_reload(page, live_server):
    applicant, draft = _applicant_with_draft()
    login(page, live_server, applicant.email, PASSWORD)
    edit_url = f"/dossiers/{draft.pk}/modifier/"
    page.goto(edit_url)
    _type_and_wait_saved(page, draft, FIRST)

    _expire_session()
    page.get_by_label("Innovation").fill(FIRST + MORE)
    expect(page.get_by_role("alert").filter(has_text="Votre session a expiré")).to_be_visible()

    # Log in again in the same tab, then come back to the form.
    login(page, live_server, applicant.email, PASSWORD)
    page.goto(edit_url)
    expect(page.get_by_label("Innovation")).to_have_value(FIRST + MORE)
    expect(page.get_by_text("Nous avons remis dans le formulaire des saisies")).to_be_visible()
    wait_for(
        lambda: _innovation_in_db(draft) == FIRST + MORE,
        message="the restored text was never saved",
    )
    expect(page.get_by_role("status").filter(has_text="Brouillon enregistré")).to_be_visible()

    # Once saved, the copy is not restored a second time.
    page.reload()
    expect(page.get_by_label("Innovation")).to_have_value(FIRST + MORE)
    expect(page.get_by_text("Nous avons remis dans le formulaire des saisies")).to_be_hidden()


def test_submitting_twice_gives_one_submission(page, context, live_server):
    applicant = make_user(password=PASSWORD)
    call = make_call(code="dbl")
    first = make_draft(
        call=call, applicant=applicant, organisation=make_organisation(member=applicant)
    )
    second = make_draft(
        call=call, applicant=applicant, organisation=make_organisation(member=applicant)
    )
    login(page, live_server, applicant.email, PASSWORD)

    # A double click on the button.
    page.goto(f"/dossiers/{first.pk}/verifier/")
    page.get_by_role("button", name="Déposer le dossier").dblclick()
    expect(page.get_by_role("heading", level=1)).to_have_text("Récépissé de dépôt")
    expect(page.locator("main")).to_contain_text(f"{call.reference_prefix}-0001")

    # Two requests sent one right after the other (a retried request, a second tab...).
    page.goto(f"/dossiers/{second.pk}/verifier/")
    token = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    submit_url = f"{live_server.url}/dossiers/{second.pk}/deposer/"
    responses = [
        page.request.post(
            submit_url,
            form={"csrfmiddlewaretoken": token},
            headers={"Referer": page.url, "Origin": live_server.url},
        )
        for _ in range(2)
    ]
    for response in responses:
        assert response.status == 200, response.status
        assert re.search(rf"/dossiers/{second.pk}/recepisse/$", response.url), response.url
        assert f"{call.reference_prefix}-0002" in response.text()

    with db():
        for application, number in ((first, 1), (second, 2)):
            application.refresh_from_db()
            assert application.status == Status.SUBMITTED
            assert application.reference == f"{call.reference_prefix}-{number:04d}"
            assert ApplicationVersion.objects.filter(application=application).count() == 1
        call.refresh_from_db()
    # One number per application: no gap, no duplicate.
    assert call.last_application_number == 2
