"""axe-core and a 390 px screen on the de minimis and letter-template pages (issues 9 and 10)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse

from pepiniere.grants import services
from pepiniere.grants.models import LinkRelation
from pepiniere.grants.tests.factories import selected_call
from pepiniere.lib.testing.factories import make_user
from pepiniere.tests_browser.conftest import login
from pepiniere.tests_browser.test_accessibility import _violations

PASSWORD = "secret-pass-123"


def _check(page, urls: list[str]) -> list[str]:
    problems: list[str] = []
    for url in urls:
        page.goto(url)
        problems += _violations(page, url)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 1:
            wide = page.evaluate(
                "[...document.querySelectorAll('body *')].filter(e => !e.closest('.table-wrap, .data-table') && e.getBoundingClientRect()"
                ".right > document.documentElement.clientWidth + 1).map(e => e.tagName + '.' + "
                "e.className).slice(0, 5).join(', ')"
            )
            problems.append(f"{url}: {overflow} px wider than a 390 px screen ({wide})")
    return problems


def test_minimis_award_and_letter_template_pages_are_accessible_on_a_phone(page, live_server):
    call, officer, _finance, (linked_app, declarant_app) = selected_call(2)
    officer.set_password(PASSWORD)
    officer.save()
    linked, declarant = linked_app.organisation, declarant_app.organisation
    member = make_user("membre@example.test", password=PASSWORD)
    linked.members.add(member)
    services.declare_aid(
        organisation=linked,
        actor=member,
        funder_name="Bpifrance",
        amount=Decimal("28000"),
        granted_on=datetime.date.today() - datetime.timedelta(days=30),
    )
    services.declare_linked_undertaking(
        organisation=declarant,
        actor=declarant.members.first(),
        name=linked.name,
        siren=linked.siren,
        relation=LinkRelation.VOTING,
    )
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, member.email, PASSWORD)
    problems = _check(page, [reverse("aid:minimis", args=[linked.pk])])
    page.context.clear_cookies()
    login(page, live_server, officer.email, PASSWORD)
    problems += _check(
        page,
        [
            reverse("grants:award", args=[call.slug, declarant_app.pk]),
            reverse("grants:letter_templates", args=[call.slug]),
            reverse("grants:letter_template", args=[call.slug, "rejected"]),
        ],
    )
    assert not problems, "\n".join(problems)
