"""Importing the platform's export: cents or euros, refunded and failed payments excluded, a
report whose outcomes add up to the lines, duplicates, and a bad file refused whole."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pepiniere.crowdfunding import services
from pepiniere.crowdfunding.models import PledgeSource, PledgeStatus
from pepiniere.crowdfunding.tests.factories import live_campaign, match_world

pytestmark = pytest.mark.django_db


def day(offset: int = -2) -> str:
    return timezone.localdate(timezone.now() + datetime.timedelta(days=offset)).isoformat()


def upload(text: str, encoding: str = "utf-8", name: str = "export.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), "text/csv")


def run(world, campaign, text: str, **kwargs):
    entry, report = services.preview_import(
        campaign=campaign, actor=world.member, uploaded=upload(text, **kwargs)
    )
    return entry, report


def test_cents_column_with_refunded_and_failed_excluded_and_totals_adding_up():
    world = match_world()
    campaign = live_campaign(world)
    text = (
        "reference,date,amount_cents,status,email,name\n"
        f"A1,{day()},150000,paid,a@x.test,Anne\n"
        f"A2,{day()},2550,refunded,b@x.test,Bob\n"
        f"A3,{day()},1000,failed,,\n"
        f"A1,{day()},150000,paid,,\n"
        f"A4,{day()},12.5,paid,,\n"
    )
    entry, report = run(world, campaign, text)
    assert [(line.number, line.outcome) for line in report.lines] == [
        (2, "imported"),
        (3, "excluded"),
        (4, "excluded"),
        (5, "duplicate"),
        (6, "rejected"),
    ]
    assert sum(report.totals.values()) == len(report.lines) == entry.lines == 5
    assert "nombre entier de centimes" in report.lines[4].reason
    # One rejected line: the file is refused whole, nothing imported.
    with pytest.raises(services.CampaignError, match="refusé en entier"):
        services.confirm_import(pledge_import=entry, actor=world.member)
    assert not campaign.pledges.exists()


def test_euros_french_and_english_decimals_semicolons_cp1252_and_reimport_adds_nothing():
    world = match_world()
    campaign = live_campaign(world)
    text = (
        "Référence;Date;Montant;Statut;Nom\n"
        f"R1;{day()};15,00;Payé;Éloïse Durand\n"
        f"R2;{day()};15.00 €;validé;\n"
        f"R3;{day()};1 500,00 €;;\n"
        f"R4;{day()};1500;remboursé;\n"
    )
    entry, report = run(world, campaign, text, encoding="cp1252")
    assert report.totals == {"imported": 3, "excluded": 1, "rejected": 0, "duplicate": 0}
    services.confirm_import(pledge_import=entry, actor=world.member)
    amounts = dict(campaign.pledges.values_list("reference", "amount"))
    assert amounts == {"R1": Decimal("15"), "R2": Decimal("15"), "R3": Decimal("1500")}
    assert campaign.pledges.get(reference="R1").payer_name == "Éloïse Durand"
    assert set(campaign.pledges.values_list("source", flat=True)) == {PledgeSource.IMPORTED}
    again, report = run(world, campaign, text, encoding="cp1252")
    assert report.totals == {"imported": 0, "excluded": 1, "rejected": 0, "duplicate": 3}
    services.confirm_import(pledge_import=again, actor=world.member)
    assert campaign.pledges.count() == 3


def test_a_payment_refunded_after_its_import_leaves_the_total():
    world = match_world()
    campaign = live_campaign(world)
    entry, _report = run(world, campaign, f"reference,date,amount\nR1,{day()},40\nR2,{day()},60\n")
    services.confirm_import(pledge_import=entry, actor=world.member)
    entry, report = run(
        world,
        campaign,
        f"reference,date,amount,status\nR1,{day()},40,paid\nR2,{day()},60,refunded\n",
    )
    assert "désormais remboursée" in report.lines[1].reason
    services.confirm_import(pledge_import=entry, actor=world.member)
    assert campaign.pledges.get(reference="R2").status == PledgeStatus.REFUNDED


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "vide"),
        ("reference,amount\nA,1\n", "Colonne obligatoire absente : date"),
        ("reference,date,amount,amount_cents\nA,2026-01-01,1,100\n", "une seule"),
        ("reference,date,status\nA,2026-01-01,paid\n", "Colonne de montant absente"),
        ("reference,date,amount\n", "aucune ligne"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole_with_a_french_reason(text, message):
    world = match_world()
    campaign = live_campaign(world)
    with pytest.raises(services.CampaignError, match=message):
        run(world, campaign, text)
    assert not campaign.imports.exists()


def test_bad_dates_unknown_statuses_and_pledges_outside_the_collection():
    world = match_world()
    campaign = live_campaign(world)
    text = (
        "reference\tdate\tamount\tstatus\n"
        "A\t31/02/2026\t10\tpaid\n"
        f"B\t{day()}\t10\tbizarre\n"
        f"C\t{day(-400)}\t10\tpaid\n"
        f"D\t{day()}T10:00:00+01:00\t-3\tpaid\n"
    )
    _entry, report = run(world, campaign, text)
    assert [line.outcome for line in report.lines] == [
        "rejected",
        "rejected",
        "excluded",
        "rejected",
    ]
    assert "date illisible" in report.lines[0].reason
    assert "statut inconnu « bizarre »" in report.lines[1].reason
    assert "hors de la période" in report.lines[2].reason
