"""The officer's screening journey in the back-office, in a real browser: filter the list, ask an
applicant for more information, declare another application eligible, export the list as CSV."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from django.core import mail
from playwright.sync_api import expect

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Application, InformationRequest, Status
from pepiniere.lib.testing.factories import (
    make_call,
    make_organisation,
    make_submitted,
    make_user,
)
from pepiniere.tests_browser.conftest import db, login, wait_for

PASSWORD = "secret-pass-123"
MESSAGE = "Joignez le plan de financement signé par votre banque."


def _listed_references(page) -> list[str]:
    return sorted(page.locator("#results tbody th a").all_inner_texts())


def test_officer_screens_filters_and_exports(page, live_server):
    call = make_call(code="num", title="Numérique et territoires")
    officer = make_user(
        "olivia@example.test",
        role=Role.OFFICER,
        funder=call.funder,
        password=PASSWORD,
        full_name="Olivia Durand",
    )
    submitted = {}
    for name, departement in (
        ("Bateaux Partagés", "33"),
        ("Vignes Connectées", "33"),
        ("Surf Numérique", "64"),
    ):
        applicant = make_user(full_name=f"Porteur {name}")
        organisation = make_organisation(member=applicant, name=name, departement=departement)
        submitted[name] = make_submitted(call=call, applicant=applicant, organisation=organisation)
    boats, vines, surf = submitted.values()
    assert boats.reference is not None and vines.reference is not None
    assert surf.reference is not None
    gironde = sorted([boats.reference, vines.reference])
    everyone = sorted([boats.reference, vines.reference, surf.reference])
    mail.outbox.clear()  # the receipts of the three submissions

    login(page, live_server, officer.email, PASSWORD)
    page.goto(f"/instruction/dossiers/?call={call.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Numérique et territoires")
    expect(page.locator("#results-title")).to_have_text("3 dossiers")
    assert _listed_references(page) == everyone

    # Filter on the Gironde: the application from the Pyrénées-Atlantiques goes away.
    page.get_by_label("Département", exact=True).select_option("33")
    page.get_by_role("button", name="Filtrer", exact=True).click()
    page.wait_for_url(re.compile(r"[?&]departement=33(&|$)"))
    expect(page.locator("#results-title")).to_have_text("2 dossiers")
    assert _listed_references(page) == gironde
    expect(page.get_by_role("link", name=surf.reference)).to_have_count(0)
    # The call filter is kept.
    expect(page.get_by_label("Appel", exact=True)).to_have_value(call.slug)

    # Ask the first applicant for more information.
    page.get_by_role("link", name=boats.reference, exact=True).click()
    page.wait_for_url(f"**/instruction/dossiers/{boats.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(boats.reference)
    page.get_by_label("Demander des compléments (message envoyé au porteur)").fill(MESSAGE)
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_text("Demande de compléments envoyée au porteur.")).to_be_visible()
    expect(page.locator("main .badge.status-incomplete")).to_have_text("À compléter")
    expect(page.locator("main")).to_contain_text(MESSAGE)
    # Nothing more to send while the applicant completes the application.
    expect(page.get_by_role("button", name="Envoyer la demande")).to_have_count(0)

    with db():
        boats.refresh_from_db()
        assert boats.status == Status.INCOMPLETE
        request = InformationRequest.objects.get(application=boats)
        assert request.message == MESSAGE
        assert request.requested_by == officer
        assert request.answered_at is None
    applicant_email = boats.created_by.email
    emails = wait_for(
        lambda: [m for m in mail.outbox if applicant_email in m.to],
        message="the applicant never got the request for more information by email",
    )
    assert len(emails) == 1
    assert boats.reference in str(emails[0].subject)
    assert "compléments" in str(emails[0].subject)
    assert MESSAGE in str(emails[0].body)

    # Back to the call's list; declare another application eligible.
    page.get_by_role("link", name="Dossiers de l'appel").click()
    page.wait_for_url(re.compile(rf"/instruction/dossiers/\?call={re.escape(call.slug)}$"))
    expect(page.locator("#results-title")).to_have_text("3 dossiers")
    page.get_by_role("link", name=surf.reference, exact=True).click()
    page.wait_for_url(f"**/instruction/dossiers/{surf.pk}/")
    page.get_by_role("button", name="Déclarer recevable", exact=True).click()
    expect(page.get_by_text("Dossier déclaré recevable")).to_be_visible()
    expect(page.locator("main .badge.status-eligible")).to_have_text("Recevable")
    expect(page.get_by_role("button", name="Déclarer recevable", exact=True)).to_have_count(0)
    with db():
        surf.refresh_from_db()
        assert surf.status == Status.ELIGIBLE

    # Back to the list; its rows show the decisions; export it.
    page.get_by_role("link", name="Dossiers de l'appel").click()
    expect(page.locator("#results-title")).to_have_text("3 dossiers")
    listed = _listed_references(page)
    assert listed == everyone
    rows = page.locator("#results tbody tr")
    expect(rows.filter(has_text=boats.reference).locator(".badge")).to_have_text("À compléter")
    expect(rows.filter(has_text=surf.reference).locator(".badge")).to_have_text("Recevable")
    expect(rows.filter(has_text=vines.reference).locator(".badge")).to_have_text("Déposé")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Exporter en CSV").click()
    download = download_info.value
    assert re.fullmatch(r"dossiers-\d{8}-\d{4}\.csv", download.suggested_filename)
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf"), "the CSV has no UTF-8 byte-order mark"
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    header, body = table[0], [row for row in table[1:] if row]
    assert header[:3] == ["Référence", "Statut", "Appel"]
    assert "Département" in header
    assert sorted(row[0] for row in body) == listed
    by_reference = {row[0]: row for row in body}
    assert by_reference[boats.reference][1] == "à compléter"
    assert by_reference[surf.reference][1] == "recevable"
    assert by_reference[vines.reference][1] == "déposé"
    departement_column = header.index("Département")
    assert by_reference[surf.reference][departement_column].startswith("64 ")
    assert by_reference[vines.reference][departement_column].startswith("33 ")
    assert {row[2] for row in body} == {"Numérique et territoires"}

    with db():
        assert Application.objects.filter(call=call, status=Status.SUBMITTED).get() == vines
