"""The accelerator in a real browser, on a phone's width: an officer forms a cohort from the
jury's selection (one start-up too many at a time is refused with the figures), then has mentors
proposed by the engine, swaps one and confirms; the start-up then sees its mentor."""

from __future__ import annotations

from playwright.sync_api import expect

from pepiniere.accelerator.models import Mentoring
from pepiniere.accelerator.tests.factories import make_accelerator, make_mentor, make_selected
from pepiniere.lib.testing.factories import make_user
from pepiniere.tests_browser.conftest import db, login

PASSWORD = "secret-pass-123"


def test_officer_forms_a_cohort_and_matches_mentors(page, live_server):
    programme, officer = make_accelerator(max_concurrent=2)
    officer.set_password(PASSWORD)
    officer.save()
    founder = make_user("sofia@example.test", password=PASSWORD, full_name="Sofia Fondatrice")
    selected = [
        make_selected(programme, "Paye Ouverte", title="Paie libre", member=founder),
        make_selected(programme, "Santé Commune", title="Dossier de soins libre"),
        make_selected(programme, "Forge Garonne", title="Forge logicielle"),
    ]
    make_mentor(programme, officer, full_name="Marc Mentor", expertise="paie", capacity=1)
    make_mentor(programme, officer, full_name="Inès Santé", expertise="soins", capacity=1)
    make_mentor(programme, officer, full_name="Yann Réserve", expertise="machines", capacity=1)

    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, officer.email, PASSWORD)
    page.goto(f"{live_server.url}/accueil/")
    page.get_by_role("link", name="Accélérateur").first.click()
    page.get_by_role("link", name="Accélérateur open source").click()
    page.get_by_role("link", name="Constituer une cohorte").click()
    page.get_by_label("Année de la cohorte").fill("2016")
    for application in selected:
        page.locator(f"#app-{application.pk}").check()
        page.locator(f"#start-{application.pk}").fill("2016-01-04")
    page.get_by_role("button", name="Former la cohorte").click()
    expect(page.get_by_text("Au plus 2 start-ups à la fois : le 4 janvier 2016")).to_be_visible()

    # The third starts when the first places free.
    for application in selected[:2]:
        page.locator(f"#app-{application.pk}").check()
        page.locator(f"#start-{application.pk}").fill("2016-01-04")
    page.get_by_role("button", name="Former la cohorte").click()
    expect(page.get_by_text("Cohorte 2016 : 2 start-up(s) en séjour.")).to_be_visible()
    expect(page.get_by_role("link", name="Paye Ouverte")).to_be_visible()

    page.get_by_role("link", name="Mentors de la cohorte : proposer, ajuster, confirmer").click()
    page.get_by_role("button", name="Proposer des mentors pour 2 start-ups").click()
    expect(page.get_by_text("Proposition prête")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Paye Ouverte")
    expect(row).to_contain_text("Marc Mentor")  # the closest expertise
    # The officer prefers the reserve mentor for Santé Commune.
    santé = page.get_by_role("row").filter(has_text="Santé Commune")
    santé.get_by_label("Autre mentor pour Santé Commune").select_option(label="Yann Réserve (0/1)")
    santé.get_by_role("button", name="Remplacer").click()
    expect(page.get_by_text("Mentor remplacé·e dans la proposition.")).to_be_visible()
    page.get_by_role("button", name="Confirmer ces mentors").click()
    expect(page.get_by_text("2 mentorat(s) confirmé(s).")).to_be_visible()
    with db():
        pairs = set(
            Mentoring.objects.values_list("stay__organisation__name", "mentor__user__full_name")
        )
    assert pairs == {("Paye Ouverte", "Marc Mentor"), ("Santé Commune", "Yann Réserve")}
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width

    # The start-up sees its stay and its mentor.
    page.context.clear_cookies()
    login(page, live_server, founder.email, PASSWORD)
    page.goto(f"{live_server.url}/dossiers/")
    page.get_by_role("link", name="le séjour de Paye Ouverte").click()
    expect(page.get_by_text("Marc Mentor")).to_be_visible()
