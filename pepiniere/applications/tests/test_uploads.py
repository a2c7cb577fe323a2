"""Uploads: the structure must match the extension, and names are cleaned before anyone sees them."""

import io
import zipfile
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from pepiniere.applications import services
from pepiniere.applications.models import Attachment
from pepiniere.lib import uploads
from pepiniere.lib.testing.factories import PDF_BYTES, make_draft, make_submitted, page_text

pytestmark = pytest.mark.django_db

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def _ooxml(main_type, part="word/document.xml"):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{part}" ContentType="{main_type}"/></Types>',
        )
        archive.writestr(part, "<document/>")
    return out.getvalue()


def _odf(mimetype):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def _plain_zip():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "pas un document")
    return out.getvalue()


def _xlsx():
    out = io.BytesIO()
    workbook = Workbook()
    workbook.create_sheet("Budget").append(["Budget"])
    workbook.save(out)
    return out.getvalue()


def _upload(application, name, content):
    return services.upload_attachment(
        application=application,
        actor=application.created_by,
        field_key="plan",
        uploaded=SimpleUploadedFile(name, content),
    )


def _draft(extensions="pdf"):
    application = make_draft(complete=False)
    application.call.form_fields.filter(key="plan").update(allowed_extensions=extensions)
    return application


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("plan.pdf", b"%PDF-1.4\n<html><script>alert(1)</script></html>\n", "pas un PDF valide"),
        ("plan.pdf", b"%PDF-1.4\n<html><body>x</body></html>\n%%EOF\n", "pas un PDF valide"),
        ("plan.pdf", b"<html>%PDF-1.4</html>" + PDF_BYTES, "ne correspond pas"),
        ("plan.docx", _plain_zip(), "pas un document .docx valide"),
        ("plan.xlsx", _plain_zip(), "pas un document .xlsx valide"),
        ("plan.docx", _ooxml(DOCM_MAIN), "pas un document .docx valide"),
        ("plan.xlsx", _ooxml(DOCX_MAIN), "pas un document .xlsx valide"),
        ("plan.docx", _ooxml(DOCX_MAIN, part="word/document.xml")[:-30], "docx"),
        ("plan.odt", _odf("application/vnd.oasis.opendocument.spreadsheet"), ".odt valide"),
        ("plan.odt", _plain_zip(), ".odt valide"),
        ("plan.png", b"<svg onload=alert(1)>", "ne correspond pas"),
    ],
)
def test_files_whose_structure_does_not_match_their_extension_are_refused(name, content, fragment):
    application = _draft("pdf,docx,xlsx,odt,png")
    with pytest.raises(services.ApplicationError) as error:
        _upload(application, name, content)
    assert fragment in error.value.message
    assert not application.attachment_set.exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("plan.pdf", PDF_BYTES, "application/pdf"),
        (
            "plan.docx",
            _ooxml(DOCX_MAIN),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("plan.xlsx", _xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            "plan.odt",
            _odf("application/vnd.oasis.opendocument.text"),
            "application/vnd.oasis.opendocument.text",
        ),
    ],
)
def test_well_formed_documents_are_accepted(name, content, content_type):
    application = _draft("pdf,docx,xlsx,odt")
    attachment = _upload(application, name, content)
    assert attachment.content_type == content_type
    assert attachment.file.open("rb").read() == content


def test_a_zip_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UNCOMPRESSED", 1024 * 1024)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"0" * (2 * 1024 * 1024))
    application = _draft("docx")
    with pytest.raises(services.ApplicationError) as error:
        _upload(application, "plan.docx", out.getvalue())
    assert "volume démesuré" in error.value.message


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("devis\u202efdp.pdf", "devisfdp.pdf"),
        ("\u2067plan\u2069 \u200bfinal.pdf", "plan final.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("a/b.pdf/../c.pdf", "c.pdf"),
        ("C:\\Users\\moi\\plan.pdf", "C__Users_moi_plan.pdf"),
        ("plan\r\n\x00.pdf", "plan.pdf"),
        ("Ple\u0301iade.pdf", "Pléiade.pdf"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
        ("\u202e.pdf", "document.pdf"),
    ],
)
def test_file_names_are_cleaned_before_being_stored(given, kept):
    application = _draft()
    assert _upload(application, given, PDF_BYTES).original_name == kept


def test_a_refused_upload_explains_in_french_and_keeps_what_was_typed(client):
    application = make_draft(complete=False)
    client.force_login(application.created_by)
    data = {
        "core-title": "Partage de parkings",
        "f-innovation": "Un badge connecté.",
        "file-plan": SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n<html></html>\n%%EOF"),
    }
    response = client.post(
        reverse("applications:upload", args=[application.pk, "plan"]), data, follow=True
    )
    assert "Ce fichier .pdf n'est pas un PDF valide" in page_text(response)
    application.refresh_from_db()
    assert application.answers["innovation"] == "Un badge connecté."
    assert not application.attachment_set.exists()


def test_downloads_send_the_cleaned_name_rfc5987_encoded(client):
    application = make_submitted()
    attachment = application.attachment_set.get()
    # A name stored before names were cleaned.
    Attachment.objects.filter(pk=attachment.pk).update(original_name="Re\u0301sume\u202efdp.pdf")
    client.force_login(application.created_by)
    response = client.get(reverse("applications:attachment", args=[attachment.token]))
    disposition = response.headers["Content-Disposition"]
    assert f"filename*=utf-8''{quote('Résumefdp.pdf')}" in disposition
    assert "%E2%80%AE" not in disposition
