"""Follow the links a person can click (GET, same site), from a few start pages, and hand back
each HTML page with its visible text. Shared by the project-wide page tests (French text, CSP)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

# Links that log out, switch language, download a file or start a job: not pages to read.
SKIPPED = re.compile(
    r"deconnexion|logout|/i18n/|export|telecharger|/piece|/pieces/|\.pdf|/pdf/|recu"
)
# Attributes a screen reader or a sighted person reads.
READ_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder")


@dataclass
class Page:
    url: str
    response: Any
    html: str
    text: str


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        # Django's admin icons say alt="True"/"False"/"Search" whatever the language (a Django
        # limitation, not our text): the cell or the field next to them says it in French.
        if tag == "img" and "/static/admin/img/" in (values.get("src") or ""):
            return
        for name in READ_ATTRIBUTES:
            if values.get(name):
                self.parts.append(values[name] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def read(html: str) -> tuple[str, list[str]]:
    """The visible text of a page (one space between pieces) and the links on it."""
    reader = _Reader()
    reader.feed(html)
    return " ".join(" ".join(reader.parts).split()), reader.links


def _shape(url: str) -> str:
    """/dossiers/12/ and /dossiers/13/ are one shape, and so are two calls' pages
    (/appels/innovation-2015/, /appels/formation-2016/): a segment with a digit is an identifier."""
    return re.sub(r"[^/]*\d[^/]*", "N", urlsplit(url).path)


def crawl(
    client: Any,
    start: Iterable[str],
    *,
    limit: int = 80,
    per_shape: int = 2,
    admin: bool = False,
) -> Iterator[Page]:
    """Pages reachable from ``start`` with ``client`` (at most ``limit``, ``per_shape`` per URL
    shape: /dossiers/1/ and /dossiers/2/ are the same page). ``admin`` crawls /admin/ only;
    otherwise /admin/ is left out."""
    queue = list(start)
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    served = 0
    while queue and served < limit:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/") or url in seen or SKIPPED.search(url):
            continue
        if parts.path.startswith("/admin/") != admin:
            continue
        seen.add(url)
        shape = _shape(url)
        if shapes.get(shape, 0) >= per_shape:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        response = client.get(url)
        served += 1
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            yield Page(url, response, "", "")
            continue
        html = response.content.decode()
        text, links = read(html)
        yield Page(url, response, html, text)
        queue.extend(link.split("#")[0] for link in links if link.split("#")[0])
