"""The staff's pages at a desk and on a phone (issue 9): axe-core finds no serious or critical
violation on the back-office, expert, jury and finance pages at 1280 px and 390 px; no page is
wider than a 390 px screen; a long table keeps its header row in view while it scrolls; a row of
a list opens its application, and the controls inside a row still work."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.urls import reverse
from playwright.sync_api import expect

from pepiniere.accounts.models import Role
from pepiniere.applications import services as application_services
from pepiniere.grants import services as grant_services
from pepiniere.lib.testing.factories import make_call, make_submitted, make_user
from pepiniere.reviews import services as review_services
from pepiniere.reviews.models import Assignment, AssignmentRun
from pepiniere.reviews.tests.factories import make_reviewer
from pepiniere.selection import services as selection_services
from pepiniere.selection.constraints import ConstraintSpec
from pepiniere.selection.tests.factories import mark_selected, ranked_call
from pepiniere.tests_browser.conftest import db, login
from pepiniere.tests_browser.test_accessibility import _violations

PASSWORD = "secret-pass-123"  # the factories' default
DESK = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Enough applications for the ranking to be taller than the screen, at a desk and on a phone.
PROJECTS = [(("33", "40", "24", "47", "64")[i % 5], 20000 + 1000 * i, 5 - i % 4) for i in range(14)]

# Elements sticking out of the page at the right, outside any scroll region (named on failure).
WIDE_ELEMENTS = """() => [...document.querySelectorAll('body *')].filter(e => {
  if (e.getBoundingClientRect().right <= innerWidth + 1) return false;
  for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== 'visible') return false;
  }
  return true;
}).slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"""


def _staff_world():
    """A reviewed and ranked call (scenarios, an open jury session, an award) and a call whose
    experts are being assigned, with one review to write."""
    call, officer, applications = ranked_call(PROJECTS, envelope="150000", title="Numérique")
    jury = make_user(role=Role.JURY, funder=call.funder)
    finance = make_user(role=Role.FINANCE, funder=call.funder)
    selection_services.create_scenario(call=call, actor=officer, name="Classement simple")
    selection_services.create_scenario(
        call=call,
        actor=officer,
        name="Gironde à 30 %",
        constraints=[ConstraintSpec("departement", "33", "max_share", "0.3")],
    )
    mark_selected(*applications[:2])
    grant_services.award_grant(
        application=applications[0],
        actor=officer,
        amount=Decimal("20000"),
        decision_reference="CP-2026-001",
        decision_date=datetime.date.today(),
    )

    # The second call: one assignment confirmed (the expert's review to write), a proposal
    # waiting for the officer for the others.
    assigning = make_call(funder=call.funder, reviews_per_application=1, title="Tiers-lieux")
    pending = []
    for _ in range(3):
        application = make_submitted(call=assigning)
        application_services.mark_eligible(application=application, actor=officer)
        pending.append(application)
    expert = make_reviewer(assigning, max_load=10)
    run = review_services.propose_assignment(call=assigning, actor=officer)
    review_services.confirm_assignment(
        run=run,
        actor=officer,
        excluded=[(a, r) for a, r, _affinity in run.pairs if a != pending[0].pk],
    )
    review_services.propose_assignment(call=assigning, actor=officer)
    assert AssignmentRun.objects.filter(call=assigning, confirmed_at__isnull=True).exists()
    assignment = Assignment.objects.get(reviewer=expert, application=pending[0])
    return {
        "call": call,
        "assigning": assigning,
        "applications": applications,
        "officer": officer,
        "jury": jury,
        "finance": finance,
        "expert": expert,
        "assignment": assignment,
    }


def _check(page, url: str, name: str) -> list[str]:
    """axe-core at a desk and on a phone, and nothing wider than the phone's screen."""
    problems: list[str] = []
    for viewport in (DESK, PHONE):
        page.set_viewport_size(viewport)
        response = page.goto(url)
        assert response is not None and response.ok, f"{name}: HTTP {response and response.status}"
        problems += _violations(page, f"{name} ({viewport['width']} px)")
    overflow = page.evaluate("document.scrollingElement.scrollWidth - innerWidth")
    if overflow > 0:
        problems.append(
            f"{name}: {overflow} px wider than a 390 px screen ({page.evaluate(WIDE_ELEMENTS)})"
        )
    return problems


def _header_stays_in_view(page, region_name: str) -> None:
    """Scroll the page to the table, then the table to its end: its header row is still on top."""
    region = page.get_by_role("region", name=region_name)
    state = region.evaluate(
        """r => {
          window.scrollTo(0, r.getBoundingClientRect().top + scrollY);
          const before = r.scrollTop;
          r.scrollTop = r.scrollHeight;
          const header = [...r.querySelectorAll('thead th')].map(th => th.getBoundingClientRect())
            .filter(box => box.right <= innerWidth).pop();
          const hit = document.elementFromPoint(header.left + 4, header.top + header.height / 2);
          return {
            scrolled: r.scrollTop - before,
            offset: Math.round(header.top - r.getBoundingClientRect().top),
            visible: r.querySelector('thead').contains(hit),
          };
        }"""
    )
    assert state["scrolled"] > 100, f"{region_name}: the table is not taller than its region"
    assert abs(state["offset"]) <= 2 and state["visible"], f"{region_name}: header left: {state}"


def test_staff_pages_are_accessible_and_fit_a_phone(page, live_server):
    with db():
        world = _staff_world()
    call, assigning = world["call"], world["assigning"]
    first = world["applications"][0]
    problems: list[str] = []

    login(page, live_server, world["officer"].email, PASSWORD)
    for url, name in [
        (f"{reverse('backoffice:list')}?call={call.slug}", "officer's list"),
        (reverse("backoffice:detail", args=[first.pk]), "application page"),
        (reverse("backoffice:dashboard", args=[call.slug]), "dashboard"),
        (reverse("reviews:ranking", args=[call.slug]), "ranking"),
        (reverse("reviews:progress", args=[call.slug]), "progress"),
        (reverse("reviews:assignment", args=[assigning.slug]), "assignment"),
        (reverse("grants:call", args=[call.slug]), "awards"),
    ]:
        problems += _check(page, url, name)

    # The ranking is long: on a phone (the viewport _check left) and at a desk, its header row
    # stays on top of the table while the table scrolls.
    page.goto(reverse("reviews:ranking", args=[call.slug]))
    _header_stays_in_view(page, "Classement des dossiers")
    page.set_viewport_size(DESK)
    page.reload()
    _header_stays_in_view(page, "Classement des dossiers")

    # A row is a link: a click on its amount opens the application (the link stretched over the
    # row takes the click, as it does for a person; Playwright's own click would refuse).
    page.get_by_role("region", name="Classement des dossiers").evaluate("r => r.scrollTop = 0")
    amount = page.locator("tbody tr", has_text=first.reference).locator("td.num").last
    amount.scroll_into_view_if_needed()
    box = amount.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(f"**{reverse('backoffice:detail', args=[first.pk])}")
    # ... and the controls in a row are still theirs: a click beside the box ticks it.
    page.goto(f"{reverse('backoffice:list')}?call={call.slug}")
    tick = page.locator("tbody tr", has_text=first.reference).locator("label.tick")
    tick.scroll_into_view_if_needed()
    box = tick.bounding_box()
    assert box is not None  # a corner of the cell, away from the box itself
    page.mouse.click(box["x"] + box["width"] - 3, box["y"] + box["height"] - 3)
    expect(page.get_by_label(f"Sélectionner {first.reference}")).to_be_checked()
    assert page.url.endswith(f"?call={call.slug}")

    page.goto(reverse("selection:scenarios", args=[call.slug]))
    page.get_by_role("button", name="Comparer les scénarios cochés").click()
    page.wait_for_url(re.compile(r"/comparer/"))
    problems += _check(page, page.url, "comparison")

    page.context.clear_cookies()
    login(page, live_server, world["jury"].email, PASSWORD)
    page.goto(reverse("reviews:ranking", args=[call.slug]))
    page.get_by_role("link", name="Jury", exact=True).click()
    page.get_by_role("button", name="Ouvrir la séance").click()
    expect(page.get_by_role("button", name="Décider").first).to_be_visible()
    problems += _check(page, page.url, "jury session")

    page.context.clear_cookies()
    login(page, live_server, world["finance"].email, PASSWORD)
    problems += _check(page, reverse("grants:call", args=[call.slug]), "awards (finance)")

    page.context.clear_cookies()
    login(page, live_server, world["expert"].email, PASSWORD)
    for url, name in [
        (reverse("reviews:home"), "Mes évaluations"),
        (reverse("reviews:review", args=[world["assignment"].pk]), "review page"),
        (reverse("reviews:bids", args=[assigning.slug]), "preferences"),
    ]:
        problems += _check(page, url, name)
    # On a phone the review page reads the application, then the grid, inputs full width.
    grid = page.locator(".review-scoring")
    page.goto(reverse("reviews:review", args=[world["assignment"].pk]))
    application_box = page.locator(".review-application").bounding_box()
    grid_box = grid.bounding_box()
    score_box = grid.get_by_label("Note").first.bounding_box()
    assert application_box and grid_box and score_box
    assert grid_box["y"] >= application_box["y"] + application_box["height"]
    assert score_box["width"] >= PHONE["width"] - 100

    assert not problems, "\n".join(problems)
