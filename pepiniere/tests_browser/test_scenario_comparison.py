"""The officer's selection scenarios, in a real browser: on a reviewed and ranked call, compute a
plain "ranking order" scenario and one that caps the Gironde's share of the envelope, both through
the form, then compare them side by side and see which applications change fate."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from pepiniere.selection.models import Rule, Scenario
from pepiniere.selection.tests.factories import ranked_call
from pepiniere.tests_browser.conftest import db, login

PASSWORD = "secret-pass-123"  # make_user's default, which ranked_call uses for its officer
# (département, requested euros, score 0–5), in submission order. Within 100 000 €, the ranking
# order funds the two Gironde projects and the last one (the 30 000 € one no longer fits); with
# the Gironde held to 40 % of the envelope, the second Gironde project gives way to the Dordogne.
PROJECTS = [("33", 40000, 5), ("33", 40000, 4), ("24", 30000, 3), ("40", 20000, 3)]
SIMPLE = "Classement simple"
CAPPED = "Gironde à 40 %"
CONSTRAINT = "au plus 40 % de l'enveloppe pour département : 33"


def plain(text: str) -> str:
    """Babel's French amounts use (narrow) no-break spaces: compare with ordinary ones."""
    return re.sub(r"[\u00a0\u202f]", " ", text)


def _text(locator) -> str:
    return plain(locator.inner_text())


def test_officer_compares_two_selection_scenarios(page, live_server):
    call, officer, (gironde_1, gironde_2, dordogne, landes) = ranked_call(
        PROJECTS, envelope="100000", title="Numérique et territoires"
    )
    scenarios_url = f"/instruction/selection/{call.slug}/"

    login(page, live_server, officer.email, PASSWORD)
    page.goto(scenarios_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Numérique et territoires")
    expect(page.get_by_role("heading", name="Scénarios de sélection")).to_be_visible()
    expect(page.get_by_text("Aucun scénario pour l'instant.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("parmi les 4 dossiers classés")

    # Scenario A: the ranking order, no constraint, the call's envelope (pre-filled).
    page.get_by_label("Nom du scénario").fill(SIMPLE)
    page.get_by_label("Règle").select_option(Rule.RANKED.value)
    assert (
        plain(page.get_by_label("Enveloppe (€)").input_value())
        .replace(" ", "")
        .startswith("100000")
    )
    page.get_by_role("button", name="Calculer le scénario").click()
    page.wait_for_url(re.compile(rf"/instruction/selection/{re.escape(call.slug)}/\d+/$"))
    expect(page.get_by_text(f"Scénario « {SIMPLE} » calculé.")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Scénario « {SIMPLE} »")).to_be_visible()
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Ordre du classement (exact)")
    assert "100 000,00 €" in _text(facts)

    # Scenario B: the same, with the Gironde (33) held to at most 40 % of the envelope.
    page.get_by_role("link", name="← Tous les scénarios").click()
    page.wait_for_url(f"**{scenarios_url}")
    expect(page.get_by_role("link", name=SIMPLE, exact=True)).to_be_visible()
    page.get_by_label("Nom du scénario").fill(CAPPED)
    page.get_by_label("Règle").select_option(Rule.RANKED.value)
    page.get_by_label("Critère de la contrainte 1", exact=True).select_option(label="Département")
    page.get_by_label("Valeurs de la contrainte 1", exact=True).fill("33")
    page.get_by_label("Type de la contrainte 1", exact=True).select_option(
        label="au plus (% de l'enveloppe)"
    )
    page.get_by_label("Montant, nombre ou pourcentage de la contrainte 1", exact=True).fill("40")
    page.get_by_role("button", name="Calculer le scénario").click()
    expect(page.get_by_text(f"Scénario « {CAPPED} » calculé.")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text(CONSTRAINT)

    # Both are listed; tick them and compare.
    page.get_by_role("link", name="← Tous les scénarios").click()
    page.wait_for_url(f"**{scenarios_url}")
    listed = page.locator("main table").first.locator("tbody tr")
    expect(listed).to_have_count(2)
    expect(listed.filter(has_text=CAPPED)).to_contain_text(CONSTRAINT)
    for name in (SIMPLE, CAPPED):
        checkbox = page.get_by_label(f"Comparer « {name} »")
        checkbox.check()
        expect(checkbox).to_be_checked()
    page.get_by_role("button", name="Comparer les scénarios cochés").click()
    page.wait_for_url(re.compile(rf"/instruction/selection/{re.escape(call.slug)}/comparer/\?"))
    expect(page.get_by_role("heading", name="Comparaison des scénarios")).to_be_visible()

    with db():
        simple = Scenario.objects.get(call=call, name=SIMPLE)
        capped = Scenario.objects.get(call=call, name=CAPPED)
    assert re.search(rf"[?&]s={simple.pk}&s={capped.pk}$", page.url), page.url

    # The summary: one column per scenario, side by side, with their totals.
    summary = page.locator("table").filter(has=page.locator("caption", has_text="Synthèse"))
    headers = summary.locator("thead th")
    expect(headers).to_have_text([SIMPLE, CAPPED])

    def summary_row(label: str) -> list[str]:
        row = summary.locator("tbody tr").filter(has=page.get_by_role("rowheader", name=label))
        return [plain(t).strip() for t in row.locator("td").all_inner_texts()]

    assert summary_row("Règle") == ["Ordre du classement (exact)"] * 2
    assert summary_row("Contraintes") == ["aucune", CONSTRAINT]
    assert summary_row("Dossiers financés") == ["3", "3"]
    assert summary_row("Montant engagé") == ["100 000,00 €", "90 000,00 €"]

    # Amounts per criterion: the Gironde gets 80 000 € in A, 40 000 € (its 40 %) in B.
    per_tag = page.locator("table").filter(
        has=page.locator("caption", has_text="Montants financés par critère")
    )
    gironde_row = (
        per_tag.locator("tbody tr")
        .filter(has=page.get_by_role("rowheader", name="Département"))
        .filter(has=page.get_by_role("cell", name="33", exact=True))
    )
    expect(gironde_row).to_have_count(1)
    cells = [plain(t) for t in gironde_row.locator("td.num").all_inner_texts()]
    assert [c.splitlines()[0].strip() for c in cells] == ["80 000,00 €", "40 000,00 €"]

    # The applications whose fate changes: the second Gironde project loses its 40 000 €, the
    # Dordogne project gets its 30 000 €; the others are in "Tous les dossiers" only.
    expect(page.get_by_role("heading", name="2 dossiers dont le sort change")).to_be_visible()
    changed = page.get_by_role("region", name="2 dossiers dont le sort change").locator("tbody tr")
    expect(changed).to_have_count(2)

    def cells_of(application) -> list[str]:
        row = changed.filter(has=page.get_by_role("rowheader", name=application.reference))
        expect(row).to_have_count(1)
        return [
            plain(t).splitlines()[0].strip() for t in row.locator("td:not(.num)").all_inner_texts()
        ]

    assert cells_of(gironde_2) == ["financé 40 000,00 €", "non financé"]
    assert cells_of(dordogne) == ["non financé", "financé 30 000,00 €"]
    for unchanged in (gironde_1, landes):
        expect(changed.filter(has_text=unchanged.reference)).to_have_count(0)
    everything = page.locator("details table tbody tr")
    expect(everything).to_have_count(4)  # hidden until "Tous les dossiers" is opened
    page.get_by_text("Tous les dossiers", exact=True).click()
    expect(everything.filter(has_text=gironde_1.reference)).to_be_visible()
    landes_cells = everything.filter(has_text=landes.reference).locator("td:not(.num)")
    expect(landes_cells).to_have_count(2)
    assert [plain(t).splitlines()[0].strip() for t in landes_cells.all_inner_texts()] == [
        "financé 20 000,00 €"
    ] * 2

    # In the database: two scenarios of this call, by this officer, with their results.
    with db():
        assert Scenario.objects.filter(call=call).count() == 2
        simple.refresh_from_db()
        capped.refresh_from_db()
    for scenario in (simple, capped):
        assert scenario.created_by_id == officer.pk
        assert scenario.rule == Rule.RANKED
        assert scenario.ran_at is not None
        assert scenario.result["budget_cents"] == 100_000_00
    assert simple.constraints == []
    assert capped.constraints == [
        {"tag": "departement", "value": "33", "kind": "max_share", "amount": "0.4"}
    ]
    assert simple.funded == {gironde_1.pk: 40_000_00, gironde_2.pk: 40_000_00, landes.pk: 20_000_00}
    assert capped.funded == {gironde_1.pk: 40_000_00, dordogne.pk: 30_000_00, landes.pk: 20_000_00}
    assert (simple.total_cents, capped.total_cents) == (100_000_00, 90_000_00)
