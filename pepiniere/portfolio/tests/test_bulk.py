"""Bulk entry: the XLSX template, the line-by-line preview, the confirmation (all or nothing) and
files refused as a whole with a French reason."""

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from pepiniere.accounts.models import Role
from pepiniere.lib.spreadsheet import SafeXlsxSheet
from pepiniere.lib.testing.factories import make_call, make_organisation, make_user
from pepiniere.portfolio import bulk, services, services_campaigns
from pepiniere.portfolio.models import (
    ImportStatus,
    KpiImport,
    KpiReport,
    ReportSource,
    ReportStatus,
)
from pepiniere.portfolio.tests.factories import award, report

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def campaign_world():
    call = make_call()
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    orgs = [make_organisation(name=name) for name in ("Alpha", "Bêta", "Gamma", "Delta")]
    for org in orgs:
        award(org, call, D(2016, 3, 1))
    report(orgs[1], 2015, baseline=True, fte=5, headcount=5, revenue=50000)
    campaign = services_campaigns.launch_campaign(
        actor=officer, funder=call.funder, call=call, period_year=2016, due_date=D(2017, 5, 31)
    ).campaign
    # Delta's report is already validated (an earlier import or review).
    done = KpiReport.objects.get(campaign=campaign, organisation=orgs[3])
    KpiReport.objects.filter(pk=done.pk).update(
        status=ReportStatus.VALIDATED, validated_at=done.created_at
    )
    return {"call": call, "officer": officer, "orgs": orgs, "campaign": campaign}


def _filled(campaign, rows):
    book = load_workbook(io.BytesIO(bulk.template_xlsx(campaign)))
    sheet: Any = book.active
    headers = [c.value for c in sheet[2]]
    by_siren = {sheet.cell(row=r, column=1).value: r for r in range(3, sheet.max_row + 1)}
    for siren, values in rows.items():
        r = by_siren.get(siren) or sheet.max_row + 1
        sheet.cell(row=r, column=1, value=siren)
        for header, value in values.items():
            sheet.cell(row=r, column=headers.index(header) + 1, value=value)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("rempli.xlsx", out.getvalue())


def test_the_template_has_one_row_per_organisation_with_siren_and_name(campaign_world):
    sheet: Any = load_workbook(io.BytesIO(bulk.template_xlsx(campaign_world["campaign"]))).active
    assert f"campagne n° {campaign_world['campaign'].pk}" in sheet["A1"].value
    assert [c.value for c in sheet[2]][:5] == [
        "SIREN",
        "Raison sociale",
        "Effectif salarié en fin de période",
        "Équivalents temps plein annuels (ETP)",
        "dont ETP de recherche et développement",
    ]
    rows = [(r[0], r[1]) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert rows == [(o.siren, o.name) for o in sorted(campaign_world["orgs"], key=lambda o: o.name)]


def test_preview_reports_each_line_then_confirm_imports_accepted_and_warned(campaign_world):
    alpha, beta, gamma, delta = campaign_world["orgs"]
    fte, staff, revenue = (
        "Équivalents temps plein annuels (ETP)",
        "Effectif salarié en fin de période",
        "Chiffre d'affaires (€)",
    )
    uploaded = _filled(
        campaign_world["campaign"],
        {
            alpha.siren: {staff: 3, fte: 2.5, revenue: 10000},
            beta.siren: {staff: 6, fte: 6, revenue: 900000},  # × 18 against 2015: warned
            gamma.siren: {staff: 4, fte: "beaucoup", revenue: 1},
            delta.siren: {staff: 1, fte: 1, revenue: 1},  # already validated
            "123456789": {staff: 1, fte: 1, revenue: 1},
        },
    )
    kpi_import = bulk.upload_import(
        campaign=campaign_world["campaign"], actor=campaign_world["officer"], uploaded=uploaded
    )
    outcomes = {line["siren"]: (line["outcome"], line["messages"]) for line in kpi_import.lines}
    assert outcomes[alpha.siren] == ("accepted", [])
    assert outcomes[beta.siren][0] == "warned"
    assert "dix fois plus élevé que celui de 2015" in outcomes[beta.siren][1][0]
    assert outcomes[gamma.siren] == (
        "refused",
        [
            "Équivalents temps plein annuels (ETP) : « beaucoup » n'est pas un nombre : le "
            "caractère « b » n'est pas admis (exemple : 1 200,5)."
        ],
    )
    assert outcomes[delta.siren] == (
        "refused",
        ["Rapport déjà « validé » : corrigez-le depuis sa page."],
    )
    assert outcomes["123456789"][0] == "refused"
    assert bulk.counts(kpi_import) == {"accepted": 1, "warned": 1, "refused": 3}
    assert not KpiReport.objects.filter(source=ReportSource.IMPORT).exists()  # preview only

    client = Client()
    client.force_login(campaign_world["officer"])
    url = reverse("kpi:import", args=[campaign_world["campaign"].pk, kpi_import.pk])
    assert (
        "1 ligne(s) acceptée(s), 1 avec alerte, 3 refusée(s)." in client.get(url).content.decode()
    )
    client.post(url)
    imported = KpiReport.objects.filter(source=ReportSource.IMPORT).order_by("organisation__name")
    assert [(r.organisation, r.status, r.fte) for r in imported] == [
        (alpha, ReportStatus.VALIDATED, Decimal("2.50")),
        (beta, ReportStatus.VALIDATED, Decimal("6.00")),
    ]
    kpi_import.refresh_from_db()
    assert kpi_import.status == ImportStatus.CONFIRMED


def test_nothing_is_half_imported_when_a_report_changed_since_the_preview(campaign_world):
    alpha, beta, *_ = campaign_world["orgs"]
    fte, staff, revenue = (
        "Équivalents temps plein annuels (ETP)",
        "Effectif salarié en fin de période",
        "Chiffre d'affaires (€)",
    )
    uploaded = _filled(
        campaign_world["campaign"],
        {
            alpha.siren: {staff: 3, fte: 2, revenue: 1},
            beta.siren: {staff: 5, fte: 5, revenue: 60000},
        },
    )
    kpi_import = bulk.upload_import(
        campaign=campaign_world["campaign"], actor=campaign_world["officer"], uploaded=uploaded
    )
    KpiReport.objects.filter(campaign=campaign_world["campaign"], organisation=beta).update(
        status=ReportStatus.SUBMITTED
    )
    with pytest.raises(services.KpiError, match="rien n'a été importé"):
        bulk.confirm_import(kpi_import=kpi_import, actor=campaign_world["officer"])
    assert (
        KpiReport.objects.get(campaign=campaign_world["campaign"], organisation=alpha).status
        == ReportStatus.DUE
    )
    kpi_import.refresh_from_db()
    assert kpi_import.status == ImportStatus.PREVIEW


def _workbook(rows):
    sheet = SafeXlsxSheet("x")
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    sheet.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"SIREN;ETP\n123;4\n", "ce n'est pas un classeur XLSX lisible"),
        (b"", "il est vide."),
        ("other_campaign", "ce modèle est celui de la campagne n° 999999"),
        ("no_title", "la première ligne du modèle manque"),
        ("missing_column", "colonne(s) absente(s) : « Équivalents temps plein annuels (ETP) »"),
    ],
)
def test_a_bad_file_is_refused_whole_with_a_french_reason(campaign_world, content, reason):
    campaign = campaign_world["campaign"]
    if content == "other_campaign":
        content = _workbook([["Indicateurs (campagne n° 999999)"], ["SIREN"]])
    elif content == "no_title":
        content = _workbook([["SIREN", "Raison sociale"], ["1", "x"]])
    elif content == "missing_column":
        content = _workbook(
            [
                [f"x (campagne n° {campaign.pk})"],
                [
                    "SIREN",
                    "Raison sociale",
                    "Effectif salarié en fin de période",
                    "Chiffre d'affaires (€)",
                ],
                ["1", "x", 1, 1],
            ]
        )
    client = Client()
    client.force_login(campaign_world["officer"])
    response = client.post(
        reverse("kpi:upload", args=[campaign.pk]), {"file": SimpleUploadedFile("f.xlsx", content)}
    )
    assert response.status_code == 400
    assert "Fichier refusé : " + reason in response.content.decode().replace("&#x27;", "'").replace(
        "&quot;", '"'
    )
    assert not KpiImport.objects.exists()
