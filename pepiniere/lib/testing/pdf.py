"""A stand-in for WeasyPrint in tests that follow a document's lifecycle, not its layout.

`stand_in_pdf` takes the same arguments as `pepiniere.lib.htmlpdf.html_to_pdf` and returns, in a
few milliseconds instead of about half a second, a real one-page PDF (pypdf) that carries the
SHA-256 of the exact HTML it was given and the attachments it was asked to embed: two different
texts give two different files, so hashes, signatures and seals behave as with the real layout,
and pyHanko can seal it. It lays nothing out: a test that checks what the document looks like,
that it is PDF/A, or its seal end to end uses the real renderer (the agreements tests mark those
``@pytest.mark.real_pdf``)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence


def stand_in_pdf(
    html: str,
    *,
    title: str = "",
    author: str = "",
    variant: str | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)  # A4 in points
    writer.add_metadata(
        {
            "/Title": title or "stand-in",
            "/Author": author,
            "/Subject": f"html sha256 {hashlib.sha256(html.encode()).hexdigest()} {variant or ''}",
        }
    )
    for name, data, _description in attachments:
        writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
