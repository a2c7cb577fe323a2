"""Every page a demo role reaches reads as French: no English word from a small list, no ISO date
(« 2015-08-01 »), no raw code (« decision_letter », « in_review »), no Django month abbreviation
(« Jui »). The demo is the data: it has every kind of answer, history and decision."""

import re

from django.apps import apps
from django.test import Client

from pepiniere.accounts.models import User
from pepiniere.audit.labels import ACTION_LABELS
from pepiniere.lib.testing.crawl import crawl
from pepiniere.tests_demo.conftest import DEMO

pytestmark = DEMO


START = {
    "porteur": ["/", "/dossiers/", "/structures/", "/compte/"],
    "agent": ["/instruction/", "/instruction/conception/"],
    "expert": ["/expertise/", "/compte/"],
    "jury": ["/instruction/"],
    "finance": ["/", "/instruction/aides/economie-collaborative-2015/"],
}
ENGLISH = re.compile(
    r"\b(January|February|March|April|June|July|August|September|October|November|December"
    r"|Jan|Feb|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Jui|yes|no|None|True|False|the|and|with"
    r"|reviews?|reviewers?|submitted|pending|draft|Save|Delete|Search|Add|Change)\b"
)
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# Admin pages left out, and why.
ADMIN_EXCEPTIONS = {
    "/admin/calls/sector/": "its « nom en anglais » column is the English name, on purpose",
    "/admin/otp_": "django-otp's device admin ships no French translation (the site's own "
    "« Mon compte » pages manage the second factor in French)",
}


def _codes() -> re.Pattern[str]:
    """Stored codes a person should never read: every choice value and audit action with an
    underscore (« in_review », « decision_letter »)."""
    codes = {code for code in ACTION_LABELS if "_" in code}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "choices", None) or []:
                if isinstance(value, str) and "_" in value:
                    codes.add(value)
    return re.compile(
        r"(?<![\w/.@-])(" + "|".join(sorted(map(re.escape, codes))) + r")(?![\w/.@-])"
    )


def _problems(url: str, text: str, codes: re.Pattern[str]) -> list[str]:
    found = []
    for pattern, kind in ((ENGLISH, "English"), (ISO_DATE, "ISO date"), (codes, "raw code")):
        for match in pattern.finditer(text):
            around = text[max(0, match.start() - 50) : match.end() + 50]
            found.append(f"{url}: {kind} « {match.group(0)} » in …{around}…")
    return found


def test_pages_of_every_demo_role_are_in_french(demo):
    codes = _codes()
    problems: list[str] = []
    for role, start in START.items():
        client = Client()
        client.force_login(User.objects.get(email=f"{role}@pepiniere.test"))
        pages = 0
        for page in crawl(client, start, limit=70):
            assert page.response.status_code < 500, page.url
            if page.text:
                pages += 1
                problems += _problems(page.url, page.text, codes)
        assert pages >= 3, role
    assert not problems, "\n".join(problems[:40])


def test_admin_pages_are_in_french(demo):
    codes = _codes()
    client = Client()
    client.force_login(User.objects.get(email="admin@pepiniere.test"))
    problems: list[str] = []
    for page in crawl(client, ["/admin/"], limit=60, per_shape=1, admin=True):
        assert page.response.status_code < 500, page.url
        if page.text and not any(page.url.startswith(prefix) for prefix in ADMIN_EXCEPTIONS):
            problems += _problems(page.url, page.text, codes)
    assert not problems, "\n".join(problems[:40])
