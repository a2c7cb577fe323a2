"""Content-Security-Policy (issue 10 item 14): every page is served with the strict policy, and no
template or page carries inline script, inline style or event-handler attributes that the policy
would block (htmx's own indicator styles are turned off in base.html)."""

import re
from pathlib import Path

from django.conf import settings
from django.test import Client

from pepiniere.accounts.models import User
from pepiniere.lib.testing.crawl import crawl
from pepiniere.tests_demo.conftest import DEMO

pytestmark = DEMO

ROOT = Path(settings.BASE_DIR) / "pepiniere"
# Rendered to PDF only (never served to a browser): its <style> is the letter's page layout.
PDF_TEMPLATES = {
    "grants/templates/grants/letters/letter.html",
    "agreements/templates/agreements/pdf/document.html",
}
INLINE = [
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"\bhx-on", re.I), "hx-on attribute (evaluated code)"),
]
# A <script> that runs: neither a src= nor a data block (json_script writes type="application/json").
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(ld\+)?json\")[^>]*>"
)
EXPECTED = {
    "default-src": "'self'",
    # Django adds the request's nonce only to a page that used it (the admin's inline scripts).
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _inline(text: str) -> list[str]:
    found = [name for pattern, name in INLINE if pattern.search(text)]
    return found + [f"inline script {m.group(0)}" for m in INLINE_SCRIPT.finditer(text)]


def test_no_template_has_inline_script_style_or_handlers():
    wrong = []
    for path in sorted(ROOT.rglob("templates/**/*.html")):
        relative = str(path.relative_to(ROOT))
        if relative in PDF_TEMPLATES or "/email/" in relative:
            continue
        for problem in _inline(path.read_text()):
            wrong.append(f"{relative}: {problem}")
    assert not wrong, wrong


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {
        part.split()[0]: part.partition(" ")[2]
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def test_every_page_of_every_demo_role_has_the_strict_policy(demo):
    problems: list[str] = []
    nonces: set[str] = set()
    for role, start, admin in (
        ("anonyme", ["/", "/compte/connexion/", "/compte/inscription/"], False),
        ("porteur", ["/", "/dossiers/", "/structures/", "/compte/"], False),
        ("agent", ["/instruction/", "/instruction/conception/"], False),
        ("expert", ["/expertise/"], False),
        ("admin", ["/admin/"], True),
    ):
        client = Client()
        if role != "anonyme":
            client.force_login(User.objects.get(email=f"{role}@pepiniere.test"))
        for page in crawl(client, start, limit=30, per_shape=1, admin=admin):
            if not page.html:
                continue
            policy = _policy(page.response)
            for directive, value in EXPECTED.items():
                if not policy.get(directive, "").startswith(value):
                    problems.append(f"{page.url}: {directive} is {policy.get(directive)!r}")
            if "unsafe-inline" in page.response.headers.get("Content-Security-Policy", ""):
                problems.append(f"{page.url}: 'unsafe-inline' in the policy")
            if admin:
                nonces.add(policy.get("script-src", ""))
            if not admin:  # Django's admin puts its nonce on its own inline scripts
                problems += [f"{page.url}: {p}" for p in _inline(page.html)]
    assert not problems, "\n".join(problems[:40])
    assert len(nonces) > 10 and all("'nonce-" in n for n in nonces)  # a new one each time
