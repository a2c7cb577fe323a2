"""Match-funding, in a real browser: an association imports its platform's export (a refunded
payment excluded), sees the report line by line, confirms, sees the top-up it can expect; the
officer closes the ended campaign and the association sees the top-up awarded."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from pepiniere.crowdfunding import services
from pepiniere.crowdfunding.tests.factories import campaign_data, match_world
from pepiniere.lib.testing.factories import plain
from pepiniere.tests_browser.conftest import db, login
from pepiniere.tests_browser.test_accessibility import _violations

PASSWORD = "secret-pass-123"


def test_an_association_imports_its_pledges_and_sees_its_top_up(page, live_server, tmp_path):
    with db():
        world = match_world()
        now = timezone.now()
        campaign = services.create_campaign(
            organisation=world.association,
            actor=world.member,
            data=campaign_data(
                world,
                title="Un fablab pour le quartier",
                target=Decimal("3000"),
                investment_expenses=Decimal("2500"),
                starts_at=now - datetime.timedelta(days=30),
                ends_at=now - datetime.timedelta(minutes=5),
            ),
        )
        services.launch_campaign(
            campaign=campaign, actor=world.member, now=now - datetime.timedelta(days=20)
        )
    day = timezone.localdate(now - datetime.timedelta(days=3)).isoformat()
    export = tmp_path / "export-helloasso.csv"
    export.write_text(
        "reference;date;amount;status;name\n"
        f"HA-1;{day};1 200,00 €;payé;Anne Secrète\n"
        f"HA-2;{day};950,50;payé;\n"
        f"HA-3;{day};300;remboursé;Bob\n"
        f"HA-4;{day};1 000;payé;\n",
        encoding="cp1252",
    )

    login(page, live_server, world.member.email, PASSWORD)
    page.goto(f"{live_server.url}/financement-participatif/mes-campagnes/")
    page.get_by_role("link", name="Un fablab pour le quartier").click()
    page.get_by_role("link", name="Importer l'export de la plateforme").click()
    page.get_by_label("Export CSV de la plateforme").set_input_files(str(export))
    page.get_by_role("button", name="Voir le rapport").click()
    expect(page.locator("#import-totals")).to_have_text(
        "4 lignes : 3 importées, 1 exclues, 0 illisibles, 0 doublons."
    )
    expect(page.locator("main table")).to_contain_text("paiement remboursé : non compté")
    problems = _violations(page, "import report")
    page.get_by_role("button", name=re.compile("Confirmer l'import de 3 contributions")).click()
    expect(page.locator("#expected-top-up")).to_be_visible()
    assert "2 500,00 € d'abondement de la Région" in plain(
        page.locator("#expected-top-up").inner_text()
    )
    assert "3 150,50 € collectés sur 3 000,00 € (105 %)" in plain(
        page.locator(".campaign-progress").inner_text()
    )
    problems += _violations(page, "campaign")
    page.goto(f"{live_server.url}/financement-participatif/")
    problems += _violations(page, "public campaigns")

    # The officer closes the ended campaign by hand: the rule's top-up becomes an award.
    page.context.clear_cookies()
    login(page, live_server, world.officer.email, PASSWORD)
    page.goto(f"{live_server.url}/instruction/abondement/{world.call.slug}/")
    page.get_by_role("button", name="Clôturer").click()
    expect(page.locator(".messages")).to_contain_text("Objectif atteint")
    problems += _violations(page, "officer's match-funding page")
    assert not problems, "axe-core violations:\n" + "\n".join(problems)

    page.context.clear_cookies()
    login(page, live_server, world.member.email, PASSWORD)
    page.goto(f"{live_server.url}/financement-participatif/campagnes/{campaign.pk}/")
    result = plain(page.locator("#campaign-result").inner_text())
    assert "Abondement attribué : 2 500,00 €." in result
    assert "limité aux dépenses d'investissement déclarées" in result
    page.get_by_role("link", name="Voir le dossier : convention et versements").click()
    expect(page.locator("main")).to_contain_text("aide attribuée")
