"""What an uploaded file must be before Pépinière keeps it: a clean name and the structure its
extension promises.

The first bytes are not enough: `%PDF-` followed by an HTML page, or any zip renamed `.docx`,
passed a magic-number check. So a PDF must open with pypdf (header at byte 0, `%%EOF` near the end,
a cross-reference table and a document catalogue); an OOXML file (docx, xlsx, pptx) must be a zip
whose `[Content_Types].xml` declares the main part of that very format (a macro-enabled `.docm`
renamed `.docx` is refused), and an ODF file (odt, ods, odp) a zip whose `mimetype` entry names
that format. Zips whose entries would inflate past `MAX_UNCOMPRESSED` (zip bombs) are refused.

Names are shown to officers and sent back in Content-Disposition: bidirectional controls (a
right-to-left override makes `devis\u202efdp.exe` display as `devisexe.pdf`), control characters
and path separators are removed, the name is NFC-normalised and capped at `MAX_NAME` characters with its
extension kept."""

from __future__ import annotations

import io
import unicodedata
import warnings
import zipfile
from typing import IO
from xml.etree import ElementTree

from django.utils.translation import gettext as _
from pypdf import PdfReader

MAX_NAME = 200
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 5000
PDF_EOF_WINDOW = 1024

OOXML_MAIN_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
ODF_MIMETYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
IMAGE_MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
}
CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"

# Unicode explicit directional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069)
# are category Cf, like the zero-width characters and marks: all are removed, with controls (Cc).
_REMOVED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}
_SEPARATORS = str.maketrans({"/": "_", "\\": "_", ":": "_"})


def sanitise_filename(name: str, *, default: str = "document") -> str:
    """A name safe to display and to send back: NFC, no bidi or control characters, no path,
    at most MAX_NAME characters, the extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(c for c in name if unicodedata.category(c) not in _REMOVED_CATEGORIES)
    name = name.translate(_SEPARATORS)
    name = " ".join(name.split())
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem = stem.strip(" .") or default
    extension = extension.strip()[:16]
    room = MAX_NAME - (len(extension) + 1 if extension else 0)
    return f"{stem[:room].rstrip(' .') or default}.{extension}" if extension else stem[:MAX_NAME]


def structure_error(extension: str, file: IO[bytes]) -> str | None:
    """Why the file is not a well-formed `extension` document, in French; None when it is."""
    file.seek(0)
    if extension == "pdf":
        return _pdf_error(file)
    if extension in OOXML_MAIN_TYPES or extension in ODF_MIMETYPES:
        return _zip_error(extension, file)
    head = file.read(4096)
    if extension in IMAGE_MAGIC:
        if not head.startswith(IMAGE_MAGIC[extension]):
            return _mismatch(extension)
        return None
    # Other formats are plain text (txt, csv): refuse binary content.
    if b"\x00" in head:
        return _mismatch(extension)
    return None


def _mismatch(extension: str) -> str:
    return _("Le contenu du fichier ne correspond pas à son extension .%(ext)s.") % {
        "ext": extension
    }


def _pdf_error(file: IO[bytes]) -> str | None:
    invalid = _(
        "Ce fichier .pdf n'est pas un PDF valide (il est peut-être abîmé ou d'un autre format) : "
        "enregistrez-le de nouveau au format PDF puis joignez-le."
    )
    if file.read(5) != b"%PDF-":
        return _mismatch("pdf")
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(max(0, size - PDF_EOF_WINDOW))
    if b"%%EOF" not in file.read():
        return invalid
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(file, strict=True)
            if reader.is_encrypted and not reader.decrypt(""):
                return _(
                    "Ce PDF est protégé par un mot de passe : enregistrez-le sans protection "
                    "puis joignez-le."
                )
            if len(reader.pages) < 1:
                return invalid
    except Exception:  # noqa: BLE001 - pypdf raises many kinds of errors on malformed input
        return invalid
    return None


def _zip_error(extension: str, file: IO[bytes]) -> str | None:
    if not zipfile.is_zipfile(file):
        return _mismatch(extension)
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES or (
                sum(entry.file_size for entry in entries) > MAX_UNCOMPRESSED
            ):
                return _(
                    "Ce fichier .%(ext)s se décompresse en un volume démesuré : il est refusé. "
                    "Enregistrez le document de nouveau puis joignez-le."
                ) % {"ext": extension}
            if extension in ODF_MIMETYPES:
                ok = _odf_ok(archive, entries, ODF_MIMETYPES[extension])
            else:
                ok = _ooxml_ok(archive, OOXML_MAIN_TYPES[extension])
    except (zipfile.BadZipFile, ElementTree.ParseError, OSError, EOFError, ValueError):
        ok = False
    if not ok:
        return _(
            "Ce fichier n'est pas un document .%(ext)s valide (c'est peut-être une archive "
            "renommée ou un autre format) : enregistrez-le au format .%(ext)s puis joignez-le."
        ) % {"ext": extension}
    return None


def _read_small(archive: zipfile.ZipFile, name: str, limit: int = 1024 * 1024) -> bytes:
    with archive.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise ValueError(name)
    return data


def _ooxml_ok(archive: zipfile.ZipFile, main_type: str) -> bool:
    if "[Content_Types].xml" not in archive.namelist():
        return False
    root = ElementTree.fromstring(_read_small(archive, "[Content_Types].xml"))  # noqa: S314
    names = set(archive.namelist())
    for override in root.iter(f"{CONTENT_TYPES_NS}Override"):
        if override.get("ContentType") == main_type:
            return (override.get("PartName") or "").lstrip("/") in names
    return False


def _odf_ok(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], mimetype: str) -> bool:
    # ODF: the first entry is "mimetype", stored uncompressed, holding the format's media type.
    if not entries or entries[0].filename != "mimetype":
        return False
    return _read_small(archive, "mimetype").strip() == mimetype.encode()
