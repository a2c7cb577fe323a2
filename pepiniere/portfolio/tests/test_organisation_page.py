import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from pepiniere.accounts.models import Role
from pepiniere.agreements.models import Agreement, AgreementVersion
from pepiniere.grants.models import Award
from pepiniere.lib.testing.factories import (
    make_call,
    make_funder,
    make_organisation,
    make_user,
    page_text,
    plain,
)
from pepiniere.portfolio.models import KpiReport, ReportSource
from pepiniere.portfolio.tests.factories_portfolio import apply, support

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def _paris(year, month, day):
    return datetime.datetime(year, month, day, 12, tzinfo=PARIS)


@pytest.fixture
def region():
    return make_funder("Région Aquitaine")


@pytest.fixture
def world(region):
    other_funder = make_funder("Département voisin")
    call = make_call(
        funder=region,
        code="innov",
        title="Innovation 2015",
        fields=False,
        opens_at=_paris(2015, 1, 5),
        closes_at=_paris(2015, 3, 13),
    )
    later = make_call(
        funder=region,
        code="conso",
        title="Consolidation 2016",
        fields=False,
        opens_at=_paris(2016, 1, 5),
        closes_at=_paris(2016, 3, 13),
    )
    elsewhere = make_call(
        funder=other_funder, code="ailleurs", title="Appel d'un autre financeur", fields=False
    )
    member = make_user(role=Role.APPLICANT)
    organisation = make_organisation(name="Altocumulus", member=member)
    support(organisation, call, amount="50000", decided=datetime.date(2015, 6, 1))
    apply(organisation, later)
    apply(organisation, elsewhere)
    return {
        "organisation": organisation,
        "member": member,
        "officer": make_user(role=Role.OFFICER, funder=region),
        "finance": make_user(role=Role.FINANCE, funder=region),
        "other_officer": make_user(role=Role.OFFICER, funder=other_funder),
        "stranger": make_user(role=Role.APPLICANT),
    }


def _url(organisation):
    return reverse("portfolio:organisation", args=[organisation.pk])


def test_the_officer_reads_the_timeline_of_applications_and_awards(client, world):
    client.force_login(world["officer"])
    response = client.get(_url(world["organisation"]))
    assert response.status_code == 200
    text = plain(page_text(response))
    assert "Aide attribuée : 50 000,00 €" in text
    assert "1er juin 2015" in text
    assert "Innovation 2015" in text and "Consolidation 2016" in text
    # Applications to another funder's calls are that funder's business.
    assert "Appel d'un autre financeur" not in text
    kinds = [e.kind for e in response.context["page"].timeline]
    assert kinds == ["submitted", "award", "submitted"]
    assert reverse("backoffice:detail", args=[response.context["page"].applications[0].pk]) in (
        response.content.decode()
    )


def test_members_read_their_own_page_with_every_application(client, world):
    client.force_login(world["member"])
    response = client.get(_url(world["organisation"]))
    assert response.status_code == 200
    text = page_text(response)
    assert "Appel d'un autre financeur" in text
    assert "tel que le voient les financeurs" in text
    assert "/instruction/" not in response.content.decode()  # links to their own files


def test_finance_reads_it_without_back_office_links(client, world):
    client.force_login(world["finance"])
    response = client.get(_url(world["organisation"]))
    assert response.status_code == 200
    assert "/instruction/dossiers/" not in response.content.decode()


@pytest.mark.parametrize("who", ["other_officer", "stranger"])
def test_others_are_told_nothing(client, world, who):
    client.force_login(world[who])
    assert client.get(_url(world["organisation"])).status_code == 404
    assert client.get(reverse("portfolio:organisation", args=[987654])).status_code == 404


def test_an_organisation_only_applying_is_not_in_the_portfolio(client, world, region):
    hopeful = make_organisation(name="Candidate SAS")
    apply(hopeful, make_call(funder=region, fields=False))
    client.force_login(world["officer"])
    assert client.get(_url(hopeful)).status_code == 404


def test_the_page_reads_a_bounded_number_of_queries(
    client, world, region, django_assert_max_num_queries, django_assert_num_queries
):
    client.force_login(world["officer"])
    client.get(_url(world["organisation"]))  # the session's first request writes it
    # 10 today (one more once the payments stage is installed), at most 15 however long the
    # history.
    with django_assert_max_num_queries(15) as first:
        client.get(_url(world["organisation"]))
    for year in range(2016, 2022):
        _report(world["organisation"], year, headcount=20 + year - 2016)
    for n in range(5):
        support(
            world["organisation"],
            make_call(funder=region, fields=False),
            decided=datetime.date(2017 + n, 3, 1),
        )
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(_url(world["organisation"]))
    assert response.context["page"].awards == 6


def _report(organisation, year, *, baseline=False, status="validated", headcount=20, **extra):
    now = timezone.now()
    return KpiReport.objects.create(
        organisation=organisation,
        period_year=year,
        is_baseline=baseline,
        status=status,
        source=ReportSource.BASELINE if baseline else ReportSource.CAMPAIGN,
        headcount=None if status == "due" else headcount,
        fte=None if status == "due" else Decimal(headcount) * Decimal("0.9"),
        revenue=None if status == "due" else Decimal("1100000"),
        equity_raised=extra.pop("equity", None),
        sites=extra.pop("sites", 1),
        created_at=now,
        updated_at=now,
        submitted_at=now if status in ("submitted", "validated") else None,
        validated_at=now if status == "validated" else None,
        **extra,
    )


def test_the_kpi_series_are_charted_with_the_same_figures_in_a_table(client, world):
    organisation = world["organisation"]
    base = _report(organisation, 2014, baseline=True, headcount=16)
    _report(organisation, 2015, headcount=22, equity=Decimal("150000"))
    late = _report(organisation, 2016, status="submitted", headcount=31, sites=2)
    _report(organisation, 2017, status="due")
    returned = _report(
        organisation,
        2018,
        status="draft",
        headcount=68,
        returned_reason="Chiffre d'affaires en k€ ?",
    )
    client.force_login(world["officer"])
    response = client.get(_url(organisation))
    text = plain(page_text(response))
    data = response.context["kpi"].chart_data
    # A year without figures (due) has no point; the others have one each.
    assert data["years"] == [2014, 2015, 2016, 2018]
    assert data["series"]["headcount"] == ["16", "22", "31", "68"]
    assert data["series"]["raised"][1] == "150000.00"
    assert data["validated"] == [True, True, False, False]
    assert 'id="kpi-chart-data"' in response.content.decode()
    assert "vendor/chartjs/chart.umd.min.js" in response.content.decode()
    # The table: one row per report, its status and a link to it.
    rows = response.context["kpi"].rows
    assert [(r.period, r.status_label) for r in rows] == [
        ("2014", "validé"),
        ("2015", "validé"),
        ("2016", "transmis"),
        ("2017", "attendu"),
        ("2018", "brouillon"),
    ]
    assert rows[0].baseline and "référence (année avant l'aide)" in text
    assert "1 100 000 €" in text and "150 000 €" in text
    assert "renvoyé : Chiffre d'affaires en k€ ?" in text
    for report in (base, late, returned):
        assert reverse("kpi:report", args=[report.pk]) in response.content.decode()


def test_members_see_their_own_indicators(client, world):
    _report(world["organisation"], 2015, headcount=22)
    client.force_login(world["member"])
    response = client.get(_url(world["organisation"]))
    assert [r.period for r in response.context["kpi"].rows] == ["2015"]


def test_agreements_sent_signed_and_amended_are_on_the_timeline(client, world):
    award = Award.objects.get(application__organisation=world["organisation"])
    officer = world["officer"]
    at = datetime.datetime(2015, 7, 20, 10, tzinfo=PARIS)
    agreement = Agreement.objects.create(
        award=award,
        reference="CONV-2015-INNOV-001",
        status="signed",
        created_by=officer,
        created_at=at,
    )
    for number, amount, day in ((1, "50000", 20), (2, "45000", 25)):
        AgreementVersion.objects.create(
            agreement=agreement,
            number=number,
            amount=Decimal(amount),
            aid_rate=Decimal("70"),
            eligible_budget=Decimal("80000"),
            start_date=datetime.date(2015, 7, 1),
            end_date=datetime.date(2016, 6, 30),
            sha256="0" * 64,
            created_by=officer,
            created_at=at,
            sent_at=at.replace(day=day),
            signed_at=at.replace(day=day + 2),
        )
    client.force_login(world["officer"])
    text = plain(page_text(client.get(_url(world["organisation"]))))
    assert "Convention CONV-2015-INNOV-001 envoyée pour signature" in text
    assert "Convention CONV-2015-INNOV-001 signée : 50 000,00 €" in text
    assert "Avenant n° 1 à la convention CONV-2015-INNOV-001 signée : 45 000,00 €" in text
    assert "22 juillet 2015" in text


def test_the_page_shows_the_labels_held_by_the_structure_or_its_territory(
    client, world, django_assert_num_queries, django_assert_max_num_queries
):
    from pepiniere.organisations.models import Organisation
    from pepiniere.programmes import services as label_services
    from pepiniere.programmes.models import LabelKind
    from pepiniere.programmes.tests.factories import hold_bordeaux, make_label, make_state

    organisation = world["organisation"]
    Organisation.objects.filter(pk=organisation.pk).update(
        commune_code="33318", commune_name="Pessac"
    )
    state = make_state()
    hold_bordeaux(make_label(funder=state))
    client.force_login(world["officer"])
    client.get(_url(organisation))
    with django_assert_max_num_queries(30) as first:
        client.get(_url(organisation))
    admin = make_user(role=Role.ADMIN, is_superuser=True)
    deeptech = make_label(funder=state, name="Deeptech", kind=LabelKind.ORGANISATION)
    holding = label_services.grant_label(
        actor=admin, label=deeptech, organisation=organisation, start_date=datetime.date(2019, 4, 1)
    )
    label_services.end_label_holding(
        actor=admin, holding=holding, end_date=datetime.date(2022, 3, 31)
    )
    with django_assert_num_queries(len(first.captured_queries)):  # one query for the labels
        response = client.get(_url(organisation))
    import re

    text = " ".join(re.sub(r"<[^>]+>", " ", plain(page_text(response))).split())
    assert "French Tech en cours — depuis le 12 novembre 2014" in text
    assert "par son territoire, Bordeaux Métropole ; décerné par État — Mission French Tech" in text
    assert "Deeptech — du 1er avril 2019 au 31 mars 2022" in text
    assert "détenu par la structure" in text
