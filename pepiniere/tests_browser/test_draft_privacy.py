"""Local copies of drafts are per person and go away at logout (issue 10, item 10)."""

from __future__ import annotations

from pepiniere.lib.testing.factories import make_draft, make_organisation, make_user
from pepiniere.tests_browser.conftest import login, wait_for

PASSWORD = "secret-pass-123"


def _draft_keys(page):
    return page.evaluate(
        "Object.keys(window.localStorage).filter(k => k.startsWith('pepiniere-draft-'))"
    )


def test_the_local_copy_is_keyed_per_person_and_cleared_at_logout(page, live_server):
    applicant = make_user(password=PASSWORD)
    draft = make_draft(
        applicant=applicant, organisation=make_organisation(member=applicant), complete=False
    )
    login(page, live_server, applicant.email, PASSWORD)
    page.goto(f"/dossiers/{draft.pk}/modifier/")
    # A copy someone else left on this browser is not kept.
    page.evaluate("window.localStorage.setItem('pepiniere-draft-999999-1', '{}')")
    page.reload()
    page.get_by_label("Innovation").fill("Un texte confidentiel.")
    wait_for(lambda: _draft_keys(page) == [f"pepiniere-draft-{applicant.pk}-{draft.pk}"])

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/")
    assert _draft_keys(page) == []
