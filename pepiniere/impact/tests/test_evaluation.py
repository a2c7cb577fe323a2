"""The counterfactual section: the rows the engine gets, what the pages make of its answer
(attributable jobs, cost per job, warnings, event study), public secrecy, the missing engine."""

import re

import pytest
from django.urls import reverse

from pepiniere.impact import evaluation
from pepiniere.lib.testing.factories import page_text, plain
from pepiniere.portfolio.indicators import Scope

pytestmark = pytest.mark.django_db


def visible(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", plain(page_text(response))))


def test_the_engine_gets_funded_firms_and_never_aided_rejected_ones(world, rejected):
    scope = Scope(programme_id=world["programme"].pk)
    rows = evaluation.did_rows(scope)
    first_years = {unit: first for unit, _year, first, _fte in rows}
    names = dict(
        type(rejected["control"]).objects.filter(pk__in=first_years).values_list("pk", "name")
    )
    assert {names[u]: f for u, f in first_years.items()} == {
        "Firme 1": 2016,
        "Firme 2": 2016,
        "Firme 3": 2016,
        "Firme 4": 2016,
        "Solo": 2018,
        "Recalée": None,  # rejected, never aided: a control
    }  # « Aidée ailleurs » (aided by another funder) is neither; « Étrangère » is out of scope
    control = [(y, fte) for u, y, _f, fte in rows if u == rejected["control"].pk]
    assert sorted(control) == [(2015, 4.0), (2020, 5.0)]
    # Yearly reports, and the baselines (the year before each award has no yearly report here).
    assert len(rows) == 5 * 2 + 2


def test_attributable_jobs_cost_per_job_and_warnings_on_the_dashboard(
    client, world, rejected, fake_engine
):
    client.force_login(world["officer"])
    url = reverse("impact:dashboard") + f"?programme={world['programme'].slug}&annee=2020"
    text = visible(client.get(url))
    # In 2020: 3.0 FTE per firm × 5 firms = 15 [5; 25]; 200 000 € ÷ 15 = 13 333 € [8 000; 40 000].
    assert "Emplois attribuables à l'aide en 2020 (5 entreprises aidées) 15,0 5,0 25,0" in text
    assert "dont par entreprise aidée en 2020 3,0 1,0 5,0" in text
    assert (
        "Coût par emploi attribuable en 2020 (200 000 € attribués) 13 333 € 8 000 € 40 000 €"
        in text
    )
    # Over every followed year: 2.5 per firm-year × 5 = 12.5 [5; 20]; three years on: 15 [10; 20].
    assert "Effet moyen par entreprise aidée et par année suivie 2,5 1,0 4,0" in text
    assert "emplois attribuables (5 entreprises aidées) 12,5 5,0 20,0" in text
    assert "Emplois attribuables trois ans après l'aide de chaque entreprise 15,0 10,0 20,0" in text
    assert "Emplois créés, brut (RCR01, 2020) 15,0" in text
    assert "Peu de candidats non retenus : l'intervalle est large." in text
    assert "2 ans avant 0,1 -0,5 0,7" in text or "2 ans avant 0,1 −0,5 0,7" in text
    assert "3 ans après 3,0 2,0 4,0" in text
    # The promise of the programme and its answer three years on (2015 + 3).
    assert "Annoncé : Des milliers d'emplois en trois ans." in text
    assert "Constaté en 2018, trois ans après le début du programme" in text
    assert "10,0 ETP attribuables à l'aide cette année-là (entre 5,0 et 15,0" in text
    # The whole funder's scope has no counterfactual section (per programme or call only).
    assert "Emplois attribuables" not in visible(client.get(reverse("impact:dashboard")))


def test_public_page_shows_the_estimate_when_built_on_enough_firms(client, world, fake_engine):
    url = reverse("impact:public_programme", args=[world["programme"].slug]) + "?annee=2020"
    text = visible(client.get(url))
    assert "Emplois attribuables à l'aide en 2020 (5 entreprises aidées) 15,0" in text


def test_public_page_masks_an_estimate_on_too_few_firms(client, world, fake_engine, monkeypatch):
    from pepiniere.impact.tests.conftest import FakeEstimate

    engine = evaluation._engine()
    monkeypatch.setattr(
        engine,
        "estimate_did",
        lambda rows, alpha: FakeEstimate(
            effect=7.25, ci_low=6.0, ci_high=8.5, n_treated=5, n_control=2, method="cs"
        ),
    )
    url = reverse("impact:public_programme", args=[world["programme"].slug]) + "?annee=2020"
    response = client.get(url)
    text = visible(response)
    assert "l'estimation repose sur moins de trois entreprises" in text
    assert "7,3" not in text and "36,3" not in text and "7.25" not in response.content.decode()


def test_without_the_engine_the_page_says_so(client, world, monkeypatch):
    monkeypatch.setattr(evaluation, "_engine", lambda: None)
    client.force_login(world["officer"])
    url = reverse("impact:dashboard") + f"?programme={world['programme'].slug}&annee=2020"
    assert "n'est pas encore installée sur cette plateforme" in visible(client.get(url))


def test_the_real_engine_runs_through_the_page_and_says_what_it_cannot_tell(
    client, world, rejected
):
    client.force_login(world["officer"])
    url = reverse("impact:dashboard") + f"?programme={world['programme'].slug}&annee=2020"
    response = client.get(url)
    assert response.status_code == 200
    text = visible(response)
    assert "Emplois attribuables à l'aide" in text
    # One rejected applicant and reports five years apart: the engine warns in French.
    assert "À lire avant de citer ces chiffres" in text


def test_the_backtest_command_prints_coverage(world):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from pepiniere.lib.testing.factories import make_organisation
    from pepiniere.portfolio.tests.factories import award, report

    for i in range(6):
        firm = make_organisation(name=f"Suivie {i}")
        award(firm, world["innovation"], evaluation_date(2015))
        for year in range(2014, 2022):
            report(firm, year, fte=5 + i + (year - 2014) * (1 + i % 3))
    out = io.StringIO()
    call_command(
        "impact_backtest", "--call", world["innovation"].slug, "--origin", "2018", stdout=out
    )
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("forecast from 2018: 6 firms")
    assert [line[:5] for line in lines[1:4]] == ["2019:", "2020:", "2021:"]
    assert any(line.startswith("coverage: 80 % interval") for line in lines)
    with pytest.raises(CommandError, match="unknown programme"):
        call_command("impact_backtest", "--programme", "nope")


def evaluation_date(year):
    import datetime

    return datetime.date(year, 3, 1)
