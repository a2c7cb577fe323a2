"""The expert's preferences page, « Mes évaluations » with a conflict signalled after submitting,
the blind review page, and the officer's *Avancement* page deciding on it: axe-core (no serious or
critical violation) and a phone's width (390 px, nothing wider than the screen)."""

from __future__ import annotations

from pepiniere.reviews import services
from pepiniere.reviews.models import Assignment
from pepiniere.reviews.tests.factories import reviewed_call
from pepiniere.tests_browser.conftest import db, login
from pepiniere.tests_browser.test_accessibility import _violations

PASSWORD = "secret-pass-123"


def _overflow(page) -> int:
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def test_expert_and_officer_pages_of_a_conflict_after_submitting(page, live_server):
    call, officer, applications, reviewers = reviewed_call(n_applications=2, n_reviewers=3, k=1)
    assignment = Assignment.objects.select_related("reviewer").order_by("pk")[0]
    services.save_review(
        assignment=assignment,
        actor=assignment.reviewer,
        scores={c.pk: ("4", "Bien") for c in call.criteria.all()},
        overall="Avis",
        recommendation="fund",
        submit=True,
    )
    services.declare_conflict_on_assignment(
        assignment=assignment, actor=assignment.reviewer, note="Mon ancien associé"
    )
    problems: list[str] = []
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, assignment.reviewer.email, PASSWORD)
    for name, url in [
        ("Mes évaluations", "/expertise/"),
        ("préférences", f"/expertise/appels/{call.slug}/preferences/"),
        ("évaluation", f"/expertise/evaluations/{assignment.pk}/"),
        ("conflit", f"/expertise/evaluations/{assignment.pk}/conflit/"),
    ]:
        page.goto(url)
        problems += _violations(page, name)
        if _overflow(page) > 0:
            problems.append(f"{name}: wider than 390 px")
    page.goto("/expertise/")
    assert "conflit signalé, en attente" in page.locator("main").inner_text()

    page.context.clear_cookies()
    login(page, live_server, officer.email, PASSWORD)
    page.goto(f"/expertise/instruction/{call.slug}/avancement/")
    problems += _violations(page, "avancement")
    if _overflow(page) > 0:
        problems.append("avancement: wider than 390 px")
    page.get_by_role("button", name="Accepter : l'évaluation ne compte plus").click()
    page.wait_for_load_state("load")
    assert "Décision enregistrée" in page.locator("main").inner_text()
    with db():
        assignment.refresh_from_db()
        assert assignment.status == "conflicted"
    assert not problems, "\n".join(problems)
