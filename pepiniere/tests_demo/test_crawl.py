"""The crawl (issue 9, « Tests »): for each demo role, start from where the login lands, follow
every same-site link of the pages reached (GET only, breadth-first), and find no server error and
no link that answers the person who sees it with 403 or 404 (or sends them to the login page).

The demo scenario is built once for the package (tests_demo/conftest.py). The crawl is bounded so that
it stays well under a minute on two cores: links whose path differs only by numbers (one
application, one review, one scenario…) or by a dated slug (one call of the roadmap) are followed
for the first few of each kind met, and a
path's query strings (filters, sorts, pages) for its first few: a sample of each kind of page,
every kind reached. Files (PDF, CSV, XLSX) are requested and their status checked, not read.
The Django admin is checked on its index and the pages it links to (not crawled further: it is
the administrators' tool, covered by its own tests)."""

from __future__ import annotations

import re
from collections import deque
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from pepiniere.accounts.models import User
from pepiniere.demo.scenario import ACCOUNTS
from pepiniere.tests_demo.conftest import DEMO

pytestmark = DEMO

HREF = re.compile(r'<a\b[^>]*?\bhref="([^"]*)"', re.I)
# A path segment with a digit in it is an identifier: a number (/dossiers/12/) or a dated slug
# (/appels/economie-collaborative-2015/). The roadmap has dozens of calls: one kind of page each.
NUMBER = re.compile(r"[^/]*\d[^/]*")
PER_PATTERN = 3  # concrete URLs followed per path pattern (/dossiers/<n>/, …)
PER_QUERY = 3  # query strings followed per path (filters, sorts, pages)
MAX_PAGES = 400  # per role: a safety net, far above what the demo needs
SKIP_PREFIXES = ("/static/", "/i18n/", "/api/v1/docs", "/compte/deconnexion")


@pytest.fixture
def demo_users(demo: dict[str, Any]) -> dict[str, User]:
    return {email: User.objects.get(email=email) for email, _name, _role in ACCOUNTS}


def _links(html: str, base: str) -> list[str]:
    out = []
    for href in HREF.findall(html):
        href = href.replace("&amp;", "&")
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        url = urljoin(base, href)
        parts = urlsplit(url)
        if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
            continue  # another site
        path = parts.path
        if path.startswith(SKIP_PREFIXES):
            continue
        out.append(path + (f"?{parts.query}" if parts.query else ""))
    return out


def crawl(client: Client, start: str) -> tuple[dict[str, int], list[str]]:
    """Breadth-first crawl from ``start``: the status of each URL requested, and the problems
    (``page → link: status``)."""
    statuses: dict[str, int] = {}
    problems: list[str] = []
    patterns: dict[str, set[str]] = {}  # path pattern → concrete paths followed
    queries: dict[str, set[str]] = {}  # path → query strings followed
    queue: deque[tuple[str, str]] = deque([(start, "(login)")])
    while queue and len(statuses) < MAX_PAGES:
        url, found_on = queue.popleft()
        if url in statuses:
            continue
        response = client.get(url)
        status = response.status_code
        statuses[url] = status
        if status in (301, 302, 303, 307, 308):
            target = urljoin(url, response["Location"])
            if "/compte/connexion/" in target:
                problems.append(f"{found_on} → {url}: sends to the login page")
            elif urlsplit(target).netloc in ("", "testserver"):
                queue.append((urlsplit(target).path + _query(target), found_on))
            continue
        if status >= 500 or status in (401, 403, 404, 405):
            problems.append(f"{found_on} → {url}: {status}")
            continue
        if "text/html" not in response.get("Content-Type", "") or response.streaming:
            continue  # a file: its status is what matters
        path = urlsplit(url).path
        if path.startswith("/admin/") and path != "/admin/":
            continue  # checked, not crawled further
        for link in _links(response.content.decode(), url):
            if link in statuses:
                continue
            link_path, _sep, query = link.partition("?")
            pattern = NUMBER.sub("<n>", link_path)
            if pattern != link_path:
                known = patterns.setdefault(pattern, set())
                if link_path not in known and len(known) >= PER_PATTERN:
                    continue
                known.add(link_path)
            if query:
                known = queries.setdefault(link_path, set())
                if query not in known and len(known) >= PER_QUERY:
                    continue
                known.add(query)
            queue.append((link, url))
    return statuses, problems


def _query(url: str) -> str:
    query = urlsplit(url).query
    return f"?{query}" if query else ""


@pytest.mark.parametrize("email", [email for email, _name, _role in ACCOUNTS])
def test_no_link_of_a_role_answers_an_error_to_it(demo_users: dict[str, User], email: str) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(demo_users[email])
    statuses, problems = crawl(client, "/accueil/")
    assert len(statuses) > 10, statuses  # the crawl did reach the role's pages
    assert not problems, f"{email}:\n" + "\n".join(problems)


def test_an_anonymous_visitor_meets_no_error(demo_users: dict[str, User]) -> None:
    statuses, problems = crawl(Client(raise_request_exception=False), "/")
    # Links to log in are expected on public pages; everything else must open.
    problems = [p for p in problems if "sends to the login page" not in p]
    assert len(statuses) > 3
    assert not problems, "\n".join(problems)
