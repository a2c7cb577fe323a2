"""axe-core on the applicant's main pages: no violation of impact "serious" or "critical".

No rule is excluded. Should one ever need to be, exclude it here with the reason next to it.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from pepiniere.lib.testing.factories import make_call, make_draft, make_organisation, make_user
from pepiniere.tests_browser.conftest import login

PASSWORD = "secret-pass-123"
BLOCKING = {"serious", "critical"}
AXE = Axe()


def _violations(page, name: str) -> list[str]:
    page.wait_for_load_state("load")
    results = AXE.run(page, options={"resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        targets = ", ".join(" ".join(map(str, node["target"])) for node in violation["nodes"])
        found.append(
            f"{name}: {violation['id']} ({violation['impact']}) — {violation['help']} — {targets}"
        )
    return found


def test_main_pages_have_no_serious_accessibility_violation(page, live_server):
    applicant = make_user(password=PASSWORD)
    organisation = make_organisation(member=applicant, name="Bateaux Partagés")
    call = make_call(
        code="eco", title="Économie collaborative", departements=["33", "40"], max_age_years=20
    )
    complete = make_draft(call=call, applicant=applicant, organisation=organisation)
    incomplete = make_draft(
        call=make_call(title="Tiers-lieux numériques"),
        applicant=applicant,
        organisation=organisation,
        complete=False,
    )
    problems: list[str] = []

    page.goto("/")
    problems += _violations(page, "catalogue")
    page.goto(f"/appels/{call.slug}/")
    problems += _violations(page, "call page (anonymous)")
    page.goto("/compte/connexion/")
    problems += _violations(page, "login")

    login(page, live_server, applicant.email, PASSWORD)
    page.goto(f"/appels/{call.slug}/")
    problems += _violations(page, "call page (applicant)")
    page.goto(f"/dossiers/{complete.pk}/modifier/")
    problems += _violations(page, "application form")
    page.goto(f"/dossiers/{complete.pk}/verifier/")
    problems += _violations(page, "precheck (ready)")
    page.goto(f"/dossiers/{incomplete.pk}/verifier/")
    problems += _violations(page, "precheck (to fix)")
    page.goto("/dossiers/")
    problems += _violations(page, "Mes dossiers")

    assert not problems, "axe-core violations:\n" + "\n".join(problems)
