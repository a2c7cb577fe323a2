"""The expert's journey in a real browser: the list of assigned applications, a conflict of
interest declared on one of them (which goes to another expert of the pool), the review of the
other one, and no access to somebody else's review."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import expect

from pepiniere.calls.models import Criterion
from pepiniere.reviews.models import (
    Assignment,
    AssignmentStatus,
    Conflict,
    Recommendation,
    Review,
    ReviewStatus,
)
from pepiniere.reviews.tests.factories import reviewed_call
from pepiniere.tests_browser.conftest import db, login

PASSWORD = "secret-pass-123"  # the factories' default password
NOTE = "J'ai conseillé cette structure pour sa levée de fonds l'an dernier."
OVERALL = "Projet solide, équipe expérimentée ; le modèle économique reste à préciser."


def test_expert_declares_a_conflict_then_submits_a_review(page, live_server):
    call, _officer, applications, reviewers = reviewed_call(n_applications=2, n_reviewers=3, k=1)
    Criterion.objects.create(call=call, title="Impact territorial", position=1)
    criteria = list(call.criteria.all())
    assert [c.title for c in criteria] == ["Innovation", "Impact territorial"]
    # The expert is the one given both applications (the solver puts equal-affinity applications
    # together; reviewed_call gives every expert the same profile).
    expert = next(
        (
            r
            for r in reviewers
            if Assignment.objects.filter(reviewer=r, status=AssignmentStatus.ASSIGNED).count() == 2
        ),
        None,
    )
    assert expert is not None, "reviewed_call gave no expert both applications"
    first, second = Assignment.objects.filter(reviewer=expert).order_by("application__number")
    first_ref, second_ref = first.application.reference, second.application.reference

    login(page, live_server, expert.email, PASSWORD)
    page.goto("/expertise/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes évaluations")
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(first_ref)
    expect(rows.nth(1)).to_contain_text(second_ref)
    expect(rows.nth(0).locator(".badge")).to_have_text("À évaluer")

    # A conflict of interest on the first one.
    rows.filter(has_text=first_ref).get_by_role(
        "link", name="Déclarer un conflit d'intérêts"
    ).click()
    page.wait_for_url(f"**/expertise/evaluations/{first.pk}/conflit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclarer un conflit d'intérêts")
    # The call reviews blind (the default): the page never names the applicant.
    expect(page.locator("main")).to_contain_text("l'identité du porteur est masquée")
    expect(page.locator("main")).not_to_contain_text(first.application.organisation.name)
    page.get_by_label(re.compile(r"^Nature du conflit")).fill(NOTE)
    page.get_by_role("button", name="Déclarer le conflit").click()
    page.wait_for_url(re.compile(r"/expertise/$"))
    expect(page.get_by_text("Conflit d'intérêts enregistré")).to_be_visible()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text(second_ref)
    expect(page.locator("main tbody")).not_to_contain_text(first_ref)

    with db():
        first.refresh_from_db()
        assert first.status == AssignmentStatus.WITHDRAWN
        conflict = Conflict.objects.get(
            reviewer=expert, organisation=first.application.organisation
        )
        assert conflict.note == NOTE
        replacement = Assignment.objects.get(
            application=first.application, status=AssignmentStatus.ASSIGNED
        )
    assert replacement.reviewer != expert
    assert replacement.reviewer in reviewers

    # Somebody else's review page does not exist for this expert.
    response = page.goto(f"/expertise/evaluations/{replacement.pk}/")
    assert response is not None and response.status == 404
    response = page.goto(f"/expertise/evaluations/{replacement.pk}/conflit/")
    assert response is not None and response.status == 404

    # The review of the second one.
    page.goto("/expertise/")
    rows.filter(has_text=second_ref).get_by_role("link", name="Évaluer").click()
    page.wait_for_url(f"**/expertise/evaluations/{second.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Évaluation du dossier {second_ref}")
    marks = {"Innovation": "4", "Impact territorial": "3"}
    for title, mark in marks.items():
        grid = page.get_by_role("group", name=re.compile(rf"^{title}\b"))
        grid.get_by_label("Note").fill(mark)
        grid.get_by_label("Commentaire").fill(f"{title} : appréciation détaillée.")
    page.get_by_label("Avis général").fill(OVERALL)
    page.get_by_label("À financer", exact=True).check()
    # The form saves a draft as one types; let that save land before handing in.
    expect(page.locator("#review-status")).to_contain_text("Brouillon enregistré")
    page.get_by_role("button", name="Remettre l'évaluation").click()
    page.wait_for_url(re.compile(r"/expertise/$"))
    expect(page.get_by_text("Évaluation remise. Merci !")).to_be_visible()
    row = rows.filter(has_text=second_ref)
    expect(row.locator(".badge")).to_have_text("Évalué")
    expect(row.get_by_role("link", name="Voir")).to_be_visible()

    with db():
        review = Review.objects.get(assignment=second)
        scores = {s.criterion.title: s for s in review.scores.select_related("criterion")}
        second.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert review.submitted_at is not None
    assert review.recommendation == Recommendation.FUND
    assert review.overall_comment == OVERALL
    assert {title: s.score for title, s in scores.items()} == {
        title: Decimal(mark) for title, mark in marks.items()
    }
    assert scores["Innovation"].comment == "Innovation : appréciation détaillée."
    assert second.status == AssignmentStatus.SUBMITTED
