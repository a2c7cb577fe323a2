"""Reading CSV files people export from other software: the text and the separator.

- encoding: UTF-8 with or without BOM, else cp1252 (bytes cp1252 leaves undefined read as
  latin-1). No detection library: UTF-8 never decodes text that is not UTF-8, and the exports we
  receive are one or the other.
- separator: `,` `;` or tab, the one that splits the header line into most fields.

Each importer reads its own columns with `csv` over the text returned here."""

from __future__ import annotations

import codecs
import unicodedata

DELIMITERS = (",", ";", "\t")


def decode_text(data: bytes) -> str:
    """The file's text: UTF-8 (BOM dropped), else cp1252, else latin-1."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def sniff_delimiter(header_line: str) -> str:
    """The separator that splits the header into most fields (`,` when none does better)."""
    return max(DELIMITERS, key=lambda d: (header_line.count(d), -DELIMITERS.index(d)))


def header_key(name: str) -> str:
    """A header as a comparable key: accents folded, lower case, spaces and dashes as `_`."""
    folded = unicodedata.normalize("NFKD", name.strip().lstrip("\ufeff"))
    text = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return "_".join(text.replace("-", " ").replace(".", " ").split())
