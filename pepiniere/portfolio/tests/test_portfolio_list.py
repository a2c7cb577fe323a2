import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import strip_tags
from openpyxl import load_workbook

from pepiniere.accounts.models import Role
from pepiniere.calls.models import Sector
from pepiniere.lib.testing.factories import (
    make_call,
    make_funder,
    make_organisation,
    make_user,
    page_text,
    plain,
)
from pepiniere.organisations.models import SizeBand
from pepiniere.portfolio.tests.factories_portfolio import apply, support
from pepiniere.programmes.models import Axis

pytestmark = pytest.mark.django_db

LIST = reverse("portfolio:list")
EXPORT = reverse("portfolio:export")


@pytest.fixture
def region():
    return make_funder("Région Aquitaine")


@pytest.fixture
def calls(region):
    innovation = make_call(funder=region, code="innov", title="Innovation 2015", fields=False)
    innovation.sectors.set([Sector.objects.get(code="logiciel-libre")])
    formation = make_call(
        funder=region,
        code="form",
        title="Formation 2016",
        fields=False,
        programme=innovation.programme,
    )
    Axis.objects.filter(calls=formation).update(code="formation")
    return {"innovation": innovation, "formation": formation}


@pytest.fixture
def officer(region):
    return make_user("agent@example.test", role=Role.OFFICER, funder=region)


@pytest.fixture
def portfolio(calls):
    bands = {b.code: b for b in SizeBand.objects.all()}
    voiles = make_organisation(
        name="Les Voiles Partagées", departement="33", size_band=bands["02"], siret="73282932000074"
    )
    covoit = make_organisation(
        name="Covoit Béarn", departement="64", kind="sme", size_band=bands["11"]
    )
    asso = make_organisation(name="Atelier Vélo", departement="24", kind="association")
    rejected = make_organisation(name="Refusée SAS", departement="33")
    support(voiles, calls["innovation"], amount="40000", decided=datetime.date(2015, 6, 1))
    support(voiles, calls["formation"], amount="10000", decided=datetime.date(2016, 6, 1))
    support(covoit, calls["innovation"], amount="25000.50", decided=datetime.date(2015, 6, 1))
    support(asso, calls["formation"], amount="8000", decided=datetime.date(2016, 6, 1))
    apply(rejected, calls["innovation"])
    return {"voiles": voiles, "covoit": covoit, "asso": asso, "rejected": rejected}


def _names(response):
    return [o.name for o, _f in response.context["rows"]]


def test_the_officer_sees_every_organisation_the_funder_supported_with_its_awards(
    client, officer, portfolio
):
    client.force_login(officer)
    response = client.get(LIST)
    assert response.status_code == 200
    assert _names(response) == ["Atelier Vélo", "Covoit Béarn", "Les Voiles Partagées"]
    text = plain(page_text(response))
    assert "3 structures soutenues" in text
    assert "Refusée SAS" not in text  # applied, never funded
    voiles = dict(response.context["rows"])[portfolio["voiles"]]
    assert (voiles.awards, voiles.total) == (2, Decimal("50000"))
    assert voiles.first_award == datetime.date(2015, 6, 1)
    assert "50 000,00 €" in text and "1er juin 2015" in text


def test_a_co_funders_share_puts_the_organisation_in_its_portfolio_and_no_one_elses(
    client, region, calls, portfolio
):
    state = make_funder("État")
    other = make_funder("Autre Région")
    lone = make_organisation(name="Cofinancée SAS")
    support(lone, calls["innovation"], amount="30000", shares={region: "20000", state: "10000"})
    state_officer = make_user(role=Role.OFFICER, funder=state)
    client.force_login(state_officer)
    assert _names(client.get(LIST)) == ["Cofinancée SAS"]
    client.force_login(make_user(role=Role.FINANCE, funder=other))
    response = client.get(LIST)
    assert response.status_code == 200 and _names(response) == []
    assert "Aucune structure soutenue" in page_text(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"call": "call-x"}, []),
        ({"axis": "formation"}, ["Atelier Vélo", "Les Voiles Partagées"]),
        ({"year": "2015"}, ["Covoit Béarn", "Les Voiles Partagées"]),
        ({"departement": "64"}, ["Covoit Béarn"]),
        ({"kind": "association"}, ["Atelier Vélo"]),
        ({"size_band": "11"}, ["Covoit Béarn"]),
        ({"sector": "logiciel-libre"}, ["Covoit Béarn", "Les Voiles Partagées"]),
        ({"q": "voiles part"}, ["Les Voiles Partagées"]),
        ({"q": "732 829 320"}, ["Les Voiles Partagées"]),
        ({"q": "73282932000074"}, ["Les Voiles Partagées"]),
    ],
)
def test_filters_and_search(client, officer, calls, portfolio, query, expected):
    client.force_login(officer)
    assert _names(client.get(LIST, query)) == expected


def test_filters_by_programme_and_call(client, officer, calls, portfolio):
    client.force_login(officer)
    programme = calls["innovation"].programme.slug
    assert len(_names(client.get(LIST, {"programme": programme}))) == 3
    assert _names(client.get(LIST, {"call": calls["formation"].slug})) == [
        "Atelier Vélo",
        "Les Voiles Partagées",
    ]
    # Within a filter, the figures are those of the awards it keeps.
    response = client.get(LIST, {"call": calls["formation"].slug})
    voiles = dict(response.context["rows"])[portfolio["voiles"]]
    assert (voiles.awards, voiles.total) == (1, Decimal("10000"))


def test_sorts(client, officer, portfolio):
    client.force_login(officer)
    assert _names(client.get(LIST, {"sort": "-total"})) == [
        "Les Voiles Partagées",
        "Covoit Béarn",
        "Atelier Vélo",
    ]
    assert _names(client.get(LIST, {"sort": "-name"}))[0] == "Les Voiles Partagées"
    assert _names(client.get(LIST, {"sort": "departement"})) == [
        "Atelier Vélo",
        "Les Voiles Partagées",
        "Covoit Béarn",
    ]
    assert _names(client.get(LIST, {"sort": "first_award"}))[-1] == "Atelier Vélo"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"year": "deux mille"}, "Année de l'aide"),
        ({"year": "1066"}, "Année de l'aide"),
        ({"per_page": "7"}, "25, 50, 100 ou 200"),
        ({"format": "pdf"}, "csv"),
    ],
)
def test_malformed_parameters_are_a_french_400(client, officer, portfolio, query, message):
    client.force_login(officer)
    url = EXPORT if "format" in query else LIST
    response = client.get(url, query)
    assert response.status_code == 400
    assert message in page_text(response)


def test_pages_of_any_size_cost_the_same_number_of_queries(
    client, officer, calls, portfolio, django_assert_num_queries
):
    for n in range(30):
        support(make_organisation(name=f"Structure en série {n:02d}"), calls["formation"])
    client.force_login(officer)
    # The figures come with the page's rows (the support summaries) ...
    with django_assert_num_queries(10):
        response = client.get(LIST, {"per_page": "25"})
    assert len(response.context["rows"]) == 25
    with django_assert_num_queries(10):
        response = client.get(LIST, {"per_page": "100", "sort": "-total"})
    assert len(response.context["rows"]) == 33
    with django_assert_num_queries(10):
        client.get(LIST, {"per_page": "25", "page": "2", "q": "série", "departement": "33"})
    # ... or, within a filter on the award, sorted on them, from the awards the filter keeps;
    # sorted by name, from one grouped query over the page's awards.
    with django_assert_num_queries(10):
        response = client.get(LIST, {"per_page": "100", "axis": "formation", "sort": "-total"})
    assert len(response.context["rows"]) == 32
    with django_assert_num_queries(11):
        response = client.get(LIST, {"per_page": "100", "axis": "formation", "year": "2016"})
    assert len(response.context["rows"]) == 32


def test_a_large_portfolio_is_counted_up_to_a_cap_and_paged_that_far(
    client, officer, portfolio, monkeypatch
):
    from pepiniere.portfolio import views_portfolio

    monkeypatch.setattr(views_portfolio, "COUNT_CAP", 2)
    client.force_login(officer)
    response = client.get(LIST, {"per_page": "25"})
    text = plain(page_text(response))
    assert "Plus de 2 structures soutenues" in text
    assert "affinez avec les filtres ou la recherche, ou exportez la liste complète" in text
    assert _names(response) == ["Atelier Vélo", "Covoit Béarn"]  # the pages stop at the cap
    # Under the cap the count is exact; the export is never capped.
    narrowed = plain(page_text(client.get(LIST, {"departement": "33"})))
    assert "1 structure soutenue" in narrowed and "Plus de" not in narrowed
    export = client.get(EXPORT, {"format": "csv"}).content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(export), delimiter=";"))) == 1 + 3


def test_pagination_keeps_the_filters(client, officer, calls, portfolio):
    for n in range(30):
        support(make_organisation(name=f"Structure en série {n:02d}"), calls["formation"])
    client.force_login(officer)
    response = client.get(LIST, {"per_page": "25", "axis": "formation"})
    assert "Page 1 sur 2" in page_text(response)
    assert "axis=formation&amp;per_page=25&amp;page=2" in response.content.decode()
    second = client.get(LIST, {"per_page": "25", "axis": "formation", "page": "2"})
    assert len(second.context["rows"]) == 7


def test_csv_export_french_and_point(client, officer, portfolio):
    client.force_login(officer)
    response = client.get(EXPORT, {"format": "csv", "departement": "64"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Structure", "SIREN"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Structure"] == "Covoit Béarn"
    assert row["Montant attribué"] == "25000,50"
    assert row["Première aide"] == "01/06/2015"
    assert row["Département"] == "64 Pyrénées-Atlantiques"
    point = client.get(EXPORT, {"format": "csv", "departement": "64", "decimal": "point"})
    rows = list(csv.reader(io.StringIO(point.content.decode("utf-8-sig")), delimiter=";"))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["Montant attribué"], row["Première aide"]) == ("25000.50", "2015-06-01")


def test_xlsx_export_has_numbers_and_dates(client, officer, portfolio):
    client.force_login(officer)
    response = client.get(EXPORT, {"format": "xlsx", "sort": "-total"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Structure" and len(rows) == 4
    assert rows[1][0] == "Les Voiles Partagées"
    assert rows[1][11] == 50000 and rows[1][12] == datetime.datetime(2015, 6, 1)


def test_finance_reads_the_portfolio_applicants_and_experts_do_not(client, region, portfolio):
    client.force_login(make_user(role=Role.FINANCE, funder=region))
    assert client.get(LIST).status_code == 200
    assert client.get(EXPORT).status_code == 200
    for role in (Role.APPLICANT, Role.REVIEWER):
        client.force_login(make_user(role=role))
        response = client.get(LIST)
        assert response.status_code == 403
        assert "réservé aux chargé·es de mission" in page_text(response)
        assert client.get(EXPORT).status_code == 403
    client.logout()
    assert client.get(LIST).status_code == 302


def test_the_menu_offers_the_portfolio_to_officers_and_finance_only(client, region, officer):
    client.force_login(officer)
    assert f'href="{LIST}"' in client.get(reverse("home:index")).content.decode()
    client.force_login(make_user(role=Role.FINANCE, funder=region))
    assert f'href="{LIST}"' in client.get(reverse("home:index")).content.decode()
    client.force_login(make_user(role=Role.APPLICANT))
    assert f'href="{LIST}"' not in client.get(reverse("applications:mine")).content.decode()


def test_the_programme_s_promise_stands_beside_the_jobs_rcr01_counts(
    client, officer, calls, portfolio
):
    pytest.importorskip("pepiniere.portfolio.indicators")
    from django.utils import timezone

    from pepiniere.portfolio.models import KpiReport, ReportSource

    programme = calls["innovation"].programme
    programme.description = "Des milliers d'emplois en trois ans."
    programme.save()
    now = timezone.now()
    latest = timezone.localdate().year - 1
    for year, fte, baseline in ((2014, "10", True), (2018, "14", False), (latest, "20", False)):
        KpiReport.objects.create(
            organisation=portfolio["voiles"],
            period_year=year,
            is_baseline=baseline,
            status="validated",
            source=ReportSource.BASELINE if baseline else ReportSource.CAMPAIGN,
            fte=Decimal(fte),
            created_at=now,
            updated_at=now,
            validated_at=now,
        )
    client.force_login(officer)
    assert 'hx-get="/suivi/portefeuille/emplois/"' in client.get(LIST).content.decode()
    text = plain(strip_tags(page_text(client.get(reverse("portfolio:jobs")))))
    assert "Annoncé : Des milliers d'emplois en trois ans." in text
    assert "2015–2018 : 4,0 ETP créés, dans 1 structure soutenue" in text
    assert f"2015–{latest} : 10,0 ETP créés, dans 1 structure soutenue" in text
