"""The KPI follow-up in a real browser: an officer launches a campaign, the porteur fills its
report (autosaved) and submits it, the officer validates it, and the jobs count (RCR01) moves."""

from __future__ import annotations

import datetime
import re

from playwright.sync_api import expect

from pepiniere.accounts.models import Role
from pepiniere.lib.testing.factories import make_call, make_organisation, make_user
from pepiniere.portfolio.models import KpiReport, ReportStatus
from pepiniere.portfolio.tests.factories import award, report
from pepiniere.tests_browser.conftest import db, login, wait_for

PASSWORD = "secret-pass-123"


def test_officer_launches_porteur_submits_officer_validates_and_rcr01_moves(page, live_server):
    call = make_call(title="Économie collaborative")
    officer = make_user(
        "olivia@example.test", role=Role.OFFICER, funder=call.funder, password=PASSWORD
    )
    porteur = make_user("paul@example.test", password=PASSWORD, full_name="Paul Martin")
    organisation = make_organisation(member=porteur, name="Bateaux Partagés")
    award(organisation, call, datetime.date(2016, 3, 1))
    report(organisation, 2015, baseline=True, fte=10, headcount=10, revenue=200000)

    # The officer launches the campaign for the call.
    login(page, live_server, officer.email, PASSWORD)
    page.goto(f"{live_server.url}/indicateurs/campagnes/nouvelle/")
    page.get_by_label("Structures sollicitées").select_option(label="Économie collaborative")
    page.locator("#id_period_year").fill("2016")
    page.get_by_label("Date limite de réponse").fill("2017-05-31")
    page.get_by_role("button", name="Lancer la campagne").click()
    expect(page.get_by_text("Campagne lancée : 1 structures sollicitées")).to_be_visible()
    expect(page.get_by_role("link", name="Bateaux Partagés")).to_be_visible()
    page.goto(f"{live_server.url}/indicateurs/emplois/?annee=2016")
    expect(page.locator("#rcr01-created")).to_have_text("0,0")

    # The porteur fills the report: it saves itself, then is submitted.
    page.context.clear_cookies()
    login(page, live_server, porteur.email, PASSWORD)
    page.goto(f"{live_server.url}/indicateurs/")
    page.get_by_role("link", name="Indicateurs 2016").click()
    page.get_by_label("Effectif salarié en fin de période").fill("13")
    page.get_by_label("Équivalents temps plein annuels (ETP)").fill("12,5")
    page.get_by_label("Chiffre d'affaires (€)").fill("240 000")
    expect(page.locator("#autosave-status")).to_contain_text("Brouillon enregistré à")

    def draft() -> dict[str, str]:
        with db():
            return KpiReport.objects.get(organisation=organisation, is_baseline=False).draft_values

    wait_for(lambda: draft().get("revenue") == "240 000", message="the draft was not saved")
    assert draft()["fte"] == "12,5"
    page.get_by_role("button", name="Transmettre le rapport").click()
    expect(page.get_by_text("Rapport transmis")).to_be_visible()

    # The officer sees the figure marked as unvalidated, then validates the report.
    page.context.clear_cookies()
    login(page, live_server, officer.email, PASSWORD)
    page.goto(f"{live_server.url}/indicateurs/emplois/?annee=2016")
    expect(page.locator("#rcr01-created")).to_have_text("2,5")
    expect(page.locator("#rcr01-unvalidated")).to_contain_text("1 structure dont un rapport")
    page.get_by_role("link", name="voir le détail").click()
    page.get_by_role("link", name="2016", exact=True).click()
    page.get_by_role("button", name="Valider le rapport").click()
    expect(page.get_by_text("Rapport validé")).to_be_visible()
    with db():
        assert KpiReport.objects.get(organisation=organisation, period_year=2016).status == (
            ReportStatus.VALIDATED
        )
    page.goto(f"{live_server.url}/indicateurs/emplois/?annee=2016")
    expect(page.locator("#rcr01-created")).to_have_text("2,5")
    expect(page.locator("#rcr01-unvalidated")).to_have_count(0)
    expect(page.locator("#kpi-chart")).to_be_visible()
    assert re.search(r"2016\s+2,5", page.locator("table").first.inner_text())
