"""The impact dashboard in a real browser, on a phone's width: an officer opens it from the
menu, picks a programme, reads the indicators beside their definitions, the charts draw from the
same figures as the tables, and the public page masks a cell built on one firm."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from pepiniere.accounts.models import Role
from pepiniere.lib.testing.factories import make_call, make_organisation, make_user
from pepiniere.portfolio.tests.factories import award, report
from pepiniere.tests_browser.conftest import login

PASSWORD = "secret-pass-123"


def test_officer_reads_the_impact_dashboard_on_a_phone(page, live_server):
    call = make_call(title="Innovation 2016")
    programme = call.programme
    seed = make_call(title="Amorçage 2018", funder=call.funder, programme=programme)
    officer = make_user(
        "olivia@example.test", role=Role.OFFICER, funder=call.funder, password=PASSWORD
    )
    for i in range(4):
        firm = make_organisation(name=f"Firme {i}")
        award(firm, call, datetime.date(2016, 3, 1))
        report(firm, 2015, baseline=True, fte=10, revenue=100000)
        report(firm, 2020, fte=12, revenue=150000)
    solo = make_organisation(name="Solo")
    award(solo, seed, datetime.date(2018, 3, 1))
    report(solo, 2017, baseline=True, fte=3)
    report(solo, 2020, fte=10)

    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, officer.email, PASSWORD)
    page.goto(f"{live_server.url}/accueil/")
    page.get_by_role("link", name="Impact").first.click()
    page.get_by_label("Programme").select_option(label=programme.title)
    page.locator("#annee").fill("2020")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", name="Emplois attribuables à l'aide")).to_be_visible()
    rcr01 = page.locator("#indicator-RCR01")
    expect(rcr01).to_contain_text("Emplois créés dans les structures soutenues")
    expect(rcr01).to_contain_text("15,0")
    # RCO04 counts the accelerator's stays (none in this world): a figure, no longer « sans objet ».
    expect(page.locator("#indicator-RCO04")).not_to_contain_text("sans objet")
    # The charts are drawn (Chart.js attached to each canvas) and nothing overflows the phone.
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-jobs') !== undefined")
    assert page.evaluate("() => Chart.getChart('chart-jobs').data.datasets[0].data.at(-1)") == 15
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width

    # The public page: no login, Amorçage's one-firm cell is a secret.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/impact/programmes/{programme.slug}/?annee=2020")
    expect(page.get_by_role("heading", level=1)).to_contain_text(programme.title)
    row = page.get_by_role("row", name="Amorçage 2018")
    expect(row).to_contain_text("secret statistique")
    expect(row).not_to_contain_text("7,0")
