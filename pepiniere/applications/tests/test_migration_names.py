"""The data migration cleans the names of files uploaded before names were cleaned."""

import importlib

import pytest
from django.apps import apps

from pepiniere.applications.models import Attachment
from pepiniere.lib.testing.factories import make_draft

pytestmark = pytest.mark.django_db


def test_stored_names_with_bidi_or_control_characters_are_cleaned():
    application = make_draft()
    attachment = application.attachment_set.get()
    Attachment.objects.filter(pk=attachment.pk).update(original_name="devis\u202efdp.exe\x07.pdf")
    migration = importlib.import_module(
        "pepiniere.applications.migrations.0004_clean_attachment_names"
    )
    migration.clean_names(apps, None)
    attachment.refresh_from_db()
    assert attachment.original_name == "devisfdp.exe.pdf"
