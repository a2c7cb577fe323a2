"""HTML → PDF with WeasyPrint, offline: decision letters now, agreements later.

Fonts are the vendored DejaVu files (lib/fonts), declared with ``@font-face`` and ``file://`` URLs,
so that a PDF looks the same on every machine. The URL fetcher refuses everything but those files:
a template that names an image or a stylesheet on the network (or any other local file) renders
without it, and the server never makes a request on a template's behalf.

WeasyPrint needs Debian's pango (libpango-1.0-0, libpangoft2-1.0-0): ``make install`` and
``.ci/run`` install it when missing."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from pepiniere.lib.pdf import FONTS

ALLOWED_DIRS = (FONTS,)


def font_face_css() -> str:
    regular = (FONTS / "DejaVuSans.ttf").as_uri()
    bold = (FONTS / "DejaVuSans-Bold.ttf").as_uri()
    return (
        "@font-face { font-family: 'DejaVu Sans'; font-weight: normal; "
        f"src: url('{regular}'); }}\n"
        "@font-face { font-family: 'DejaVu Sans'; font-weight: bold; "
        f"src: url('{bold}'); }}\n"
    )


def _is_allowed(url: str) -> bool:
    if not url.startswith("file://"):
        return False
    from urllib.parse import unquote, urlparse

    path = Path(unquote(urlparse(url).path)).resolve()
    return any(path.is_relative_to(folder) for folder in ALLOWED_DIRS)


@cache
def _fetcher_class() -> Any:
    from weasyprint.urls import URLFetcher

    class LocalFontsOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not _is_allowed(url):
                raise ValueError(f"refused (offline rendering): {url[:80]}")
            return super().fetch(url, headers)

    return LocalFontsOnly


@cache
def _no_https() -> ssl.SSLContext:
    # WeasyPrint's fetcher builds an HTTPS handler, and without a context Python makes a default
    # one and loads the system's CA bundle: 20 to 35 ms of every PDF, for a protocol we refuse
    # anyway. This context trusts no certificate, so it could not open a connection either.
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _fetcher() -> Any:
    # A fetcher per document (it keeps the request it is opening), its class and context shared.
    return _fetcher_class()(allowed_protocols=("file",), ssl_context=_no_https())


def html_to_pdf(
    html: str,
    *,
    title: str = "",
    author: str = "",
    variant: str | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> bytes:
    """A PDF of `html` (a full document with its own CSS). Metadata from <title> and <meta name=
    author> of the document when present; `title`/`author` are accepted for callers that build the
    document without them. `variant` is a WeasyPrint PDF variant (agreements use "pdf/a-3b", the
    archival PDF that may carry attachments); `attachments` are (file name, bytes, description)
    embedded in the PDF."""
    # Imported here: WeasyPrint loads pango and fontconfig, only PDF requests need it.
    from weasyprint import HTML, Attachment

    document = HTML(string=html, base_url=str(FONTS), url_fetcher=_fetcher()).render()
    if title:
        document.metadata.title = title
    if author:
        document.metadata.authors = [author]
    options: dict[str, Any] = {}
    if variant:
        options["pdf_variant"] = variant
    if attachments:
        options["attachments"] = [
            Attachment(string=data, name=name, description=description, relationship="Source")
            for name, data, description in attachments
        ]
    pdf = document.write_pdf(**options)
    assert pdf is not None
    return bytes(pdf)
