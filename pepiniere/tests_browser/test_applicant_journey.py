"""The applicant's whole journey, from the call page to the PDF receipt, in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from pepiniere.applications.models import Application, Status
from pepiniere.lib.testing.factories import PDF_BYTES, make_call, make_organisation, make_user
from pepiniere.tests_browser.conftest import db, login, wait_for

PASSWORD = "secret-pass-123"
INNOVATION = (
    "Une plateforme de partage de bateaux entre particuliers, adossée aux ports de plaisance "
    "de la Gironde, qui met en relation propriétaires et plaisanciers."
)
PLAN = PDF_BYTES


def test_applicant_applies_and_gets_a_receipt(page, live_server):
    applicant = make_user("claire@example.test", password=PASSWORD, full_name="Claire Martin")
    organisation = make_organisation(member=applicant, name="Bateaux Partagés", departement="33")
    call = make_call(code="eco", title="Économie collaborative", departements=["33"])

    login(page, live_server, applicant.email, PASSWORD)
    page.goto(f"/appels/{call.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Économie collaborative")
    page.get_by_label("Structure qui candidate").select_option(label="Bateaux Partagés")
    page.get_by_role("button", name="Commencer ou reprendre mon dossier").click()
    page.wait_for_url(re.compile(r"/dossiers/\d+/modifier/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier de candidature")

    # Type the answers; they are saved as typed, without clicking any button.
    page.get_by_label("Titre du projet").press_sequentially("Partage de bateaux")
    page.get_by_label("Résumé du projet").fill("Location de bateaux entre particuliers.")
    page.get_by_label("Montant demandé (€)").fill("40000")
    page.get_by_label("Budget total du projet (€)").fill("80000")
    page.get_by_label("Innovation").fill(INNOVATION)
    expect(page.get_by_text(f"{len(INNOVATION.split())} mots sur 50")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Brouillon enregistré")).to_be_visible()

    application = wait_for(
        lambda: Application.objects.filter(
            organisation=organisation, call=call, answers__innovation=INNOVATION
        ).first(),
        message="the draft in the database never got the typed text",
    )
    assert application.status == Status.DRAFT
    assert application.answers["_core"]["title"] == "Partage de bateaux"

    # Attach the financing plan.
    page.get_by_label("Plan de financement").set_input_files(
        {"name": "plan-de-financement.pdf", "mimeType": "application/pdf", "buffer": PLAN}
    )
    page.get_by_role("button", name=re.compile(r"^Joindre")).click()
    expect(page.get_by_text("« plan-de-financement.pdf » est joint au dossier.")).to_be_visible()
    expect(page.get_by_role("link", name="plan-de-financement.pdf")).to_be_visible()
    # The text typed before the upload is still there.
    expect(page.get_by_label("Innovation")).to_have_value(INNOVATION)

    # Pre-check: everything is green.
    page.get_by_role("button", name="Vérifier et déposer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifier et déposer")
    checks = page.locator("ul.checks li")
    expect(checks.filter(has_text="Territoire")).to_contain_text("respecté")
    expect(
        page.get_by_text("Toutes les réponses obligatoires sont présentes et valides.")
    ).to_be_visible()
    expect(page.get_by_text("non respecté")).to_have_count(0)
    expect(page.get_by_text("Corrigez les points signalés")).to_have_count(0)

    page.get_by_role("button", name="Déposer le dossier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Récépissé de dépôt")
    reference = f"{call.reference_prefix}-0001"
    assert re.fullmatch(r"AAP-\d{4}-ECO-0001", reference)
    expect(page.locator("main")).to_contain_text(
        f"Votre dossier est déposé sous la référence {reference}."
    )

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le récépissé (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"recepisse-{reference}-v1.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    with db():
        application.refresh_from_db()
        assert application.status == Status.SUBMITTED
        assert application.reference == reference
        versions = list(application.versions.all())
    assert len(versions) == 1
    assert versions[0].answers["innovation"] == INNOVATION
    assert [a["name"] for a in versions[0].attachments] == ["plan-de-financement.pdf"]
