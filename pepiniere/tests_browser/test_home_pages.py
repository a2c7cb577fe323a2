"""axe-core on each role's home, on a desktop screen and on a 390 px phone (issue 9, « Every
role at home »): no serious or critical violation, nothing wider than the phone's screen outside
a scrollable table."""

from __future__ import annotations

import os
from pathlib import Path

from pepiniere.accounts.models import Role, RoleGrant
from pepiniere.lib.testing.world import build_world
from pepiniere.tests_browser.conftest import db, login
from pepiniere.tests_browser.test_grants_pages import _check

PASSWORD = "secret-pass-123"
# PEPINIERE_SCREENSHOTS=DIR keeps a picture of each home (to look at them), none by default.
SCREENSHOTS = (
    Path(os.environ["PEPINIERE_SCREENSHOTS"]) if os.environ.get("PEPINIERE_SCREENSHOTS") else None
)
ROLES = ("applicant", "expert", "officer", "jury", "finance", "admin")


def test_each_roles_home_is_accessible_on_a_desktop_and_on_a_phone(page, live_server):
    with db():
        world = build_world()
        several = world.users["officer"]
        RoleGrant.objects.create(user=several, role=Role.REVIEWER)
    problems: list[str] = []
    for role in ROLES:
        page.context.clear_cookies()
        page.set_viewport_size({"width": 1280, "height": 900})
        login(page, live_server, world.users[role].email, PASSWORD)
        landed = page.url
        for width, height in ((1280, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            problems += [f"{role} at {width} px: {p}" for p in _check(page, [landed])]
            if SCREENSHOTS:
                page.screenshot(path=SCREENSHOTS / f"home-{role}-{width}.png", full_page=True)
        if role == "finance":
            assert page.locator("#finance-chart").is_visible()
            assert page.get_by_role("table", name="Par appel à projets").count() == 1
    assert not problems, "\n".join(problems)
