"""The PDF renderer stays offline: it reads the vendored fonts and nothing else."""

from __future__ import annotations

import pytest

from pepiniere.lib import htmlpdf
from pepiniere.lib.pdf import FONTS


@pytest.mark.parametrize(
    "url",
    ["https://example.org/logo.png", "http://127.0.0.1/x.css", "file:///etc/passwd", "data:,x"],
)
def test_the_fetcher_refuses_the_network_and_other_files(url):
    with pytest.raises(ValueError, match="refused"):
        htmlpdf._fetcher().fetch(url)


def test_the_fetcher_reads_the_vendored_fonts_and_each_document_gets_its_own():
    first, second = htmlpdf._fetcher(), htmlpdf._fetcher()
    assert first is not second  # it keeps the request it is opening: never shared
    response = first.fetch((FONTS / "DejaVuSans.ttf").as_uri())
    try:
        assert response.read(4) == b"\x00\x01\x00\x00"  # a TrueType font
    finally:
        response.close()


def test_a_document_naming_a_remote_image_renders_without_it():
    pdf = htmlpdf.html_to_pdf('<p>Texte</p><img src="https://example.org/logo.png">')
    assert pdf.startswith(b"%PDF")
