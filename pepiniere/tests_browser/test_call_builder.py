"""Issue 9: an officer creates a call with the builder (8 questions, a 3-criterion grid), previews
it, publishes it, and an applicant applies to it, in a real browser."""

from __future__ import annotations

import datetime
import re
import time

from django.utils import timezone
from playwright.sync_api import expect

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Application, Status
from pepiniere.calls.models import Call
from pepiniere.lib.testing.factories import (
    PDF_BYTES,
    make_funder,
    make_organisation,
    make_programme,
    make_user,
)
from pepiniere.tests_browser.conftest import db, login

PASSWORD = "secret-pass-123"
QUESTIONS = [
    ("Décrivez l'innovation", "Texte long"),
    ("Site web du projet", "Texte court"),
    ("Nombre d'emplois créés à trois ans", "Nombre"),
    ("Stade du projet", "Choix unique"),
    ("Le projet est-il déjà lancé ?", "Oui / non"),
    ("Date de démarrage", "Date"),
    ("Fonds propres apportés", "Montant (€)"),
    ("Plan de financement", "Fichier"),
]
CRITERIA = ["Caractère innovant", "Potentiel de marché", "Capacité de l'équipe"]


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_officer_builds_previews_and_publishes_a_call_then_an_applicant_applies(page, live_server):
    funder = make_funder("Région Nouvelle-Aquitaine")
    programme = make_programme(funder)
    officer = make_user("agent@example.test", password=PASSWORD, role=Role.OFFICER, funder=funder)
    applicant = make_user("claire@example.test", password=PASSWORD, full_name="Claire Martin")
    make_organisation(member=applicant, name="Bateaux Partagés", departement="33")
    now = timezone.now()

    started = time.monotonic()
    login(page, live_server, officer.email, PASSWORD)
    page.goto("/instruction/")
    page.get_by_role("link", name="Nouvel appel à projets").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvel appel à projets")
    page.get_by_label("Un appel vierge").check()
    page.get_by_label("Titre de l'appel").fill("Numérique responsable")
    page.get_by_label("Programme").select_option(label=programme.title)
    page.get_by_label("Enveloppe (€)").fill("300 000")
    page.get_by_label("Ouverture des dépôts").fill(_local(now - datetime.timedelta(hours=1)))
    page.get_by_label("Date limite de dépôt").fill(_local(now + datetime.timedelta(days=30)))
    page.get_by_role("button", name="Créer l'appel").click()
    expect(page.get_by_text("Appel créé.")).to_be_visible()

    # General: the summary and description the catalogue shows.
    page.get_by_label("Résumé").fill("Des projets numériques sobres et utiles.")
    page.get_by_label("Description").fill("L'appel soutient les projets du numérique responsable.")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Modifications enregistrées.")).to_be_visible()

    # Form: eight questions, each with the settings of its kind.
    page.get_by_role("link", name="3. Formulaire").click()
    for label, kind in QUESTIONS:
        page.get_by_label("Intitulé de la question").fill(label)
        page.get_by_label("Type de réponse").select_option(label=kind)
        page.get_by_role("button", name="Ajouter la question").click()
        expect(page.get_by_text("Question ajoutée")).to_be_visible()
        if kind == "Texte long":
            page.get_by_label("Nombre de mots maximal").fill("200")
        if kind == "Choix unique":
            page.get_by_label("Options proposées").fill("Idée\nPrototype\nPremiers clients")
        if kind == "Nombre":
            page.get_by_label("Valeur minimale").fill("0")
        if kind == "Texte court":
            page.get_by_label("Réponse obligatoire").uncheck()
        page.get_by_role("button", name="Enregistrer la question").click()
        expect(page.get_by_text("Question enregistrée.")).to_be_visible()

    # Reorder: the keyboard way (a button), then the mouse way (drag and drop).
    items = page.locator("ol.builder-questions > li")
    expect(items).to_have_count(8)
    page.get_by_role("button", name="Monter « Site web du projet »").click()
    expect(items.first).to_contain_text("Site web du projet")
    items.nth(0).drag_to(items.nth(2))
    expect(page.get_by_text("Ordre des questions enregistré.")).to_be_attached()
    expect(items.first).to_contain_text("Décrivez l'innovation")

    # Grid: three criteria, one blank criterion offered at a time.
    page.get_by_role("link", name="4. Grille d'évaluation").click()
    for title in CRITERIA:
        new = page.locator("fieldset.criterion").filter(has_text="Nouveau critère")
        new.get_by_label(re.compile(r"^Critère")).fill(title)
        new.get_by_label("Seuil (facultatif)").fill("3")
        page.get_by_role("button", name="Enregistrer la grille").click()
        expect(page.get_by_text("Grille enregistrée.")).to_be_visible()
    page.get_by_label("Seuil global (somme des notes, facultatif)").fill("10")
    page.get_by_role("button", name="Enregistrer la grille").click()

    # Letters: who signs, where from, who follows the file.
    page.get_by_role("link", name="7. Courriers").click()
    page.get_by_label("Signataire des courriers").fill("Alain Rousset")
    page.get_by_label("Qualité du signataire").fill("Le Président du Conseil régional")
    page.get_by_label("Lieu d'émission des courriers").fill("Bordeaux")
    page.get_by_label("Affaire suivie par").fill("Marie Martin, 05 56 00 00 00")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Règles des courriers enregistrées.")).to_be_visible()

    # Preview: the applicant's form; checking empty answers shows the applicant's messages.
    page.get_by_role("link", name="8. Aperçu").click()
    expect(page.get_by_label("Titre du projet")).to_be_visible()
    expect(page.get_by_label("Décrivez l'innovation")).to_be_visible()
    expect(page.get_by_text(re.compile(r"sur 200|200 mots au maximum"))).to_be_visible()
    page.get_by_role("button", name="Vérifier les réponses (aperçu)").click()
    expect(page.get_by_text("réponses à corriger")).to_be_visible()

    # Publish.
    page.get_by_role("link", name="9. Publication").click()
    expect(page.get_by_text("Tout ce qu'il faut pour publier est là.")).to_be_visible()
    page.get_by_role("button", name="Publier l'appel").click()
    expect(page.get_by_text("L'appel est publié : il apparaît au catalogue.")).to_be_visible()
    officer_seconds = time.monotonic() - started
    print(f"\nofficer built and published the call in {officer_seconds:.1f} s")

    with db():
        call = Call.objects.get(title="Numérique responsable")
        assert call.is_published
        assert call.form_fields.count() == 8 and call.criteria.count() == 3
        assert call.grant_policy.letter_place == "Bordeaux"
        keys = {f.label: f.key for f in call.form_fields.all()}

    # The applicant applies.
    page.get_by_role("button", name="Se déconnecter").click()
    login(page, live_server, applicant.email, PASSWORD)
    page.goto("/")
    page.get_by_role("link", name="Numérique responsable").first.click()
    page.get_by_role("button", name="Commencer ou reprendre mon dossier").click()
    page.wait_for_url(re.compile(r"/dossiers/\d+/modifier/$"))
    page.get_by_label("Titre du projet").fill("Sobriété des sites publics")
    page.get_by_label("Résumé du projet").fill("Mesurer et réduire l'empreinte des sites.")
    page.get_by_label("Montant demandé (€)").fill("30000")
    page.get_by_label("Budget total du projet (€)").fill("60000")
    page.get_by_label("Décrivez l'innovation").fill("Un outil libre de mesure de l'empreinte.")
    page.get_by_label("Nombre d'emplois créés à trois ans").fill("4")
    page.get_by_label("Prototype").check()
    page.get_by_role("group", name="Le projet est-il déjà lancé ?").get_by_label("Oui").check()
    page.get_by_label("Date de démarrage").fill("2027-01-15")
    page.get_by_label("Fonds propres apportés").fill("10 000")
    page.get_by_label("Plan de financement").set_input_files(
        {"name": "plan.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    page.get_by_role("button", name=re.compile(r"^Joindre")).click()
    expect(page.get_by_text("« plan.pdf » est joint au dossier.")).to_be_visible()
    page.get_by_role("button", name="Vérifier et déposer").click()
    expect(
        page.get_by_text("Toutes les réponses obligatoires sont présentes et valides.")
    ).to_be_visible()
    page.get_by_role("button", name="Déposer le dossier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Récépissé de dépôt")

    with db():
        application = Application.objects.get(call__title="Numérique responsable")
        assert application.status == Status.SUBMITTED
        assert application.answers[keys["Stade du projet"]] == "Prototype"

    # The officer finds it in the back-office, answers and eligibility included.
    page.get_by_role("button", name="Se déconnecter").click()
    login(page, live_server, officer.email, PASSWORD)
    page.goto(f"/instruction/dossiers/?call={call.slug}")
    page.get_by_role("link", name=application.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sobriété des sites publics")
    expect(page.get_by_role("heading", name="Éligibilité")).to_be_visible()
    expect(page.get_by_text("Un outil libre de mesure de l'empreinte.")).to_be_visible()


def test_builder_pages_are_accessible_and_fit_a_phone(page, live_server):
    """axe-core (no serious or critical violation) on every step, and no horizontal scroll at
    390 px."""
    from pepiniere.lib.testing.factories import make_call
    from pepiniere.tests_browser.test_accessibility import _violations

    funder = make_funder("Région Nouvelle-Aquitaine")
    programme = make_programme(funder)
    officer = make_user("agent@example.test", password=PASSWORD, role=Role.OFFICER, funder=funder)
    call = make_call(funder=funder, programme=programme, is_published=False)
    with db():
        field = call.form_fields.get(key="plan")
    login(page, live_server, officer.email, PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    base = f"/instruction/conception/{call.slug}"
    urls = [
        "/instruction/conception/",
        "/instruction/conception/nouveau/",
        f"{base}/",
        f"{base}/eligibilite/",
        f"{base}/formulaire/",
        f"{base}/formulaire/{field.pk}/",
        f"{base}/grille/",
        f"{base}/evaluation/",
        f"{base}/documents/",
        f"{base}/courriers/",
        f"{base}/apercu/",
        f"{base}/publication/",
    ]
    problems: list[str] = []
    for url in urls:
        page.goto(url)
        problems += _violations(page, url)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 1:
            problems.append(f"{url}: {overflow} px wider than a 390 px screen")
    assert not problems, "\n".join(problems)
