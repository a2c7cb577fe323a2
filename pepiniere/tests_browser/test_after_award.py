"""After the award, end to end in a real browser: the officer sends the agreement, the porteur
signs it, the funder signs it, the porteur requests the first instalment, the officer checks the
request, finance authorises it, a payment run is made and confirmed paid; at each step the
person acting sees the state and the amounts in French, and the finance ledgers' « versé » moves.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from pepiniere.accounts.models import Role
from pepiniere.grants import services as grant_services
from pepiniere.lib.testing.factories import (
    PDF_BYTES,
    make_call,
    make_organisation,
    make_submitted,
    make_user,
    plain,
)
from pepiniere.organisations import bank_services
from pepiniere.selection.tests.factories import mark_selected
from pepiniere.tests_browser.conftest import db, login

PASSWORD = "secret-pass-123"
AMOUNT = Decimal("40000")
FIRST = "20 000,00 €"  # 50 % at signature (the default schedule)


def _world():
    """An awarded application of a call of the Région, the people who act on it, validated bank
    details for the beneficiary and for the Région (the payer of the run)."""
    from pepiniere.programmes.models import Funder

    call = make_call(title="Économie collaborative", envelope=Decimal("550000"))
    Funder.objects.filter(pk=call.funder_id).update(
        siret="23330001900015", iban="FR7630001007941234567890185", bic="BDFEFRPPCCT"
    )
    officer = make_user(
        "agent@example.test",
        role=Role.OFFICER,
        funder=call.funder,
        password=PASSWORD,
        full_name="Agathe Instructrice",
    )
    finance = make_user(
        "finance@example.test",
        role=Role.FINANCE,
        funder=call.funder,
        password=PASSWORD,
        full_name="Fanny Finances",
    )
    porteur = make_user("porteur@example.test", password=PASSWORD, full_name="Paul Porteur")
    organisation = make_organisation(member=porteur, name="Bateaux Partagés")
    application = make_submitted(call=call, applicant=porteur, organisation=organisation)
    mark_selected(application)
    grant_services.award_grant(
        application=application,
        actor=finance,
        amount=AMOUNT,
        decision_reference="CP-2026-042",
        decision_date=datetime.date.today(),
    )
    account = bank_services.submit_bank_details(
        organisation=organisation,
        actor=porteur,
        holder=organisation.name,
        iban="FR76 3000 6000 0112 3456 7890 189",
        rib=SimpleUploadedFile("rib.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    bank_services.validate_bank_details(account=account, actor=officer)
    return call, officer, finance, porteur, application


def _as(page, live_server, user) -> None:
    page.context.clear_cookies()
    login(page, live_server, user.email, PASSWORD)


def _ledger_paid(page) -> str:
    """The « Versé » cell of the call's row in the finance ledger per call."""
    row = page.locator("#ledger-calls").locator("xpath=ancestor::table").locator("tbody tr")
    return plain(row.first.locator("td").nth(2).inner_text())


def test_after_the_award_the_agreement_is_signed_and_the_first_instalment_paid(page, live_server):
    with db():
        call, officer, finance, porteur, application = _world()

    # Finance, before: committed, nothing paid.
    _as(page, live_server, finance)
    page.goto("/accueil/finances/")
    expect(page.locator("#ledger-calls").locator("xpath=ancestor::table")).to_contain_text(
        "40 000,00 €"
    )
    assert _ledger_paid(page) == "0,00 €"

    # 1. The officer prepares and sends the agreement.
    _as(page, live_server, officer)
    page.goto(f"/instruction/conventions/appels/{call.slug}/")
    page.get_by_role("button", name=re.compile("Préparer")).first.click()
    page.get_by_role("link", name=re.compile("CONV-")).first.click()
    page.get_by_role("button", name=re.compile("pour signature")).click()
    expect(page.locator("main .badge").first).to_contain_text("envoyée")

    # 2. The porteur signs it.
    _as(page, live_server, porteur)
    page.goto(f"/dossiers/{application.pk}/convention/")
    page.get_by_label("Vos prénom et nom").fill("Paul Porteur")
    page.get_by_label("Votre qualité").fill("Président")
    page.locator("main input[name=consent]").check()
    page.get_by_role("button", name="Signer la convention").click()
    expect(page.locator("main")).to_contain_text("signée")

    # 3. The funder signs it: the agreement is sealed, the application contracted.
    _as(page, live_server, officer)
    page.goto(f"/instruction/conventions/appels/{call.slug}/")
    page.get_by_role("link", name=re.compile("CONV-")).first.click()
    page.get_by_label("Vos prénom et nom").fill("Agathe Instructrice")
    page.get_by_label("Votre qualité").fill("Directrice du numérique, par délégation")
    page.locator("main input[name=consent]").check()
    page.get_by_role("button", name="Signer et sceller la convention").click()
    expect(page.get_by_text("Convention signée par les deux parties, scellée.")).to_be_visible()

    # 4. The porteur requests the first instalment.
    _as(page, live_server, porteur)
    page.goto(f"/versements/dossiers/{application.pk}/")
    expect(page.locator("main")).to_contain_text(FIRST)
    page.get_by_role("link", name="Demander ce versement").first.click()
    page.get_by_role("button", name="Envoyer la demande de versement").click()
    expect(page.locator("main")).to_contain_text("demandée")

    # 5. The officer checks the request.
    _as(page, live_server, officer)
    page.goto("/instruction/versements/demandes/")
    page.get_by_role("link", name=application.reference).click()
    page.get_by_role("button", name="Enregistrer la vérification").click()

    # 6. Finance authorises it (not the person who checked), makes a run and confirms it paid.
    _as(page, live_server, finance)
    page.goto("/instruction/versements/autorisations/")
    expect(page.locator("main")).to_contain_text(FIRST)
    page.get_by_role("button", name=re.compile("Autoriser")).click()
    page.goto("/instruction/versements/lots/")
    page.get_by_role("button", name="Créer un lot avec les versements autorisés").click()
    page.get_by_role("button", name="Confirmer tout le lot payé").click()

    # The ledger's « versé » moved; the porteur sees the instalment paid.
    page.goto("/accueil/finances/")
    assert _ledger_paid(page) == FIRST
    expect(page.locator("main")).not_to_contain_text("Aucun versement n'est encore confirmé")
    _as(page, live_server, porteur)
    page.goto(f"/versements/dossiers/{application.pk}/")
    expect(page.locator("main")).to_contain_text("versée")
