"""No Content-Security-Policy violation on the main pages of each demo role (issue 10 item 14):
the browser reports every blocked script, style or handler as a ``securitypolicyviolation``
event, which the page logs to the console here."""

from __future__ import annotations

from django.test import Client

from pepiniere.accounts.models import User
from pepiniere.demo.scenario import PASSWORD, build
from pepiniere.lib.testing.crawl import crawl
from pepiniere.tests_browser.conftest import db, login

LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI + " " +
                (e.sample || "") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""
ROLES = {
    "porteur": ["/", "/dossiers/", "/structures/", "/compte/", "/compte/double-facteur/activer/"],
    # The dashboard draws its charts with Chart.js; the builder's form step drags questions.
    "agent": [
        "/instruction/appels/economie-collaborative-2015/",
        "/instruction/conception/economie-collaborative-2015/formulaire/",
        "/instruction/",
        "/instruction/conception/",
    ],
    "expert": ["/expertise/"],
    "admin": ["/admin/"],
}


def _main_pages(email: str, start: list[str], admin: bool) -> list[str]:
    client = Client()
    client.force_login(User.objects.get(email=email))
    pages = crawl(client, start, limit=14, per_shape=1, admin=admin)
    return [page.url for page in pages if page.html]


def test_main_pages_of_every_role_break_no_content_security_policy(page, live_server):
    with db():
        build()
        urls = {
            role: _main_pages(f"{role}@pepiniere.test", start, role == "admin")
            for role, start in ROLES.items()
        }
    violations: list[str] = []
    page.context.add_init_script(LISTENER)
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "CSP violation" in message.text or "Content Security Policy" in message.text
            else None
        ),
    )
    visited = 0
    for role, role_urls in urls.items():
        page.context.clear_cookies()
        login(page, live_server, f"{role}@pepiniere.test", PASSWORD)
        for url in role_urls:
            page.goto(f"{live_server.url}{url}")
            page.wait_for_load_state("load")
            visited += 1
    page.goto(f"{live_server.url}/api/v1/docs")  # Swagger UI, from django-ninja's static files
    page.wait_for_load_state("networkidle")
    assert visited >= 30
    assert not violations, "\n".join(violations[:30])
