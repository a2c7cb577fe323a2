"""The impact pages read precomputed figures (ImpactSnapshot): read without computing, stale
figures still shown and said to be, the refresh task and command, the JSON round trip, and the
same permissions and secrecy as when the pages computed their figures."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from pepiniere.engine.calibration import Notice
from pepiniere.engine.forecast import ForecastYear, JobsForecast
from pepiniere.grants import hooks as grants_hooks
from pepiniere.impact import evaluation, services, snapshots, tables
from pepiniere.impact.models import Audience, ImpactSnapshot, Part
from pepiniere.lib.testing.factories import page_text, plain
from pepiniere.organisations.models import Organisation
from pepiniere.portfolio.indicators import Scope
from pepiniere.portfolio.models import ReportStatus
from pepiniere.portfolio.services import validate_report

pytestmark = pytest.mark.django_db

FRESH = "ils sont recalculés dès qu'un rapport, une aide ou une évaluation change"
STALE = "de nouvelles données sont arrivées depuis : mise à jour en cours"


def visible(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", plain(page_text(response))))


def no_computing(monkeypatch):
    """Any computation of figures fails the test: the page must read its snapshot."""

    def refuse(*args, **kwargs):
        raise AssertionError("computed in the request")

    monkeypatch.setattr(tables, "build", refuse)
    monkeypatch.setattr(evaluation, "compute", refuse)


def dashboard_url(world, **params):
    query = "&".join(f"{k}={v}" for k, v in {"annee": 2020, **params}.items())
    return reverse("impact:dashboard") + "?" + query


def test_the_landing_pages_are_precomputed_and_read_in_a_few_queries(
    client, world, fake_engine, monkeypatch, django_assert_num_queries
):
    out = call_command_output("refresh_impact")
    assert "Parties de page calculées pour la première fois : " in out
    assert "Parties de page périmées recalculées : 0" in out
    # The funder's portfolio in each of the 6 breakdowns, its programme (1 + evaluation), the
    # public page in each of its 5 breakdowns + evaluation; the neighbour the same: 2 × 14.
    assert ImpactSnapshot.objects.count() == 28
    no_computing(monkeypatch)
    client.force_login(world["officer"])
    url = dashboard_url(world, programme=world["programme"].slug, par="call")
    # The session and user, the officer's roles and funders (5), the calls of the menu, the
    # programme, the data version, the two snapshots: nothing that grows with the data.
    with django_assert_num_queries(12):
        response = client.get(url)
    text = visible(response)
    assert "ETP créés 15,0" in text and "Autofinancement des projets 262 345 €" in text
    assert "Emplois attribuables à l'aide" in text  # the evaluation, from its snapshot
    assert FRESH in text
    for par in ("call", "axis", "programme", "departement", "sector", "award_year"):
        assert client.get(reverse("impact:dashboard") + f"?par={par}").status_code == 200
    public = reverse("impact:public_programme", args=[world["programme"].slug])
    client.logout()
    for par in ("call", "axis", "departement", "sector", "award_year"):
        assert "ETP créés 15,0" in visible(client.get(f"{public}?par={par}"))


def call_command_output(*args):
    import io

    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_part_never_computed_is_computed_once_then_read(
    client, world, monkeypatch, django_assert_num_queries
):
    client.force_login(world["officer"])
    url = dashboard_url(world, par="departement", annee=2019)
    assert not ImpactSnapshot.objects.exists()
    assert client.get(url).status_code == 200
    snapshot = ImpactSnapshot.objects.get()
    assert (snapshot.part, snapshot.audience, snapshot.year, snapshot.dimension) == (
        Part.INDICATORS,
        Audience.OFFICER,
        2019,
        "departement",
    )
    assert snapshot.language == "fr" and timezone.is_aware(snapshot.computed_at)
    assert snapshot.funders == str(world["region"].pk)
    no_computing(monkeypatch)
    with django_assert_num_queries(10):
        assert client.get(url).status_code == 200


def test_stale_figures_are_still_shown_said_stale_and_the_queued_task_refreshes_them(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["officer"])
    url = dashboard_url(world)
    assert "ETP créés 15,0" in visible(client.get(url))
    # A firm of the region transmits its 2020 figures: 5 more FTE once counted.
    firm = Organisation.objects.get(name="Firme 1")
    report_2020 = firm.kpi_reports.get(period_year=2020, is_baseline=False)
    report_2020.fte = Decimal("17")
    report_2020.updated_at = timezone.now() + datetime.timedelta(seconds=1)
    report_2020.save()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        text = visible(client.get(url))
    assert "ETP créés 15,0" in text  # the figures computed before, at once
    assert STALE in text
    assert len(queued) == 1  # the refresh, queued once for this version of the data
    with django_capture_on_commit_callbacks(execute=False) as again:
        assert STALE in visible(client.get(url))
    assert again == []  # not once per view
    queued[0]()  # the task runs (inline in tests)
    text = visible(client.get(url))
    assert "ETP créés 20,0" in text and FRESH in text


def test_validating_a_report_queues_the_refresh(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["officer"])
    url = dashboard_url(world)
    assert "ETP créés 15,0" in visible(client.get(url))
    solo = Organisation.objects.get(name="Solo")
    solo.kpi_reports.filter(period_year=2020).update(status=ReportStatus.SUBMITTED)
    submitted = solo.kpi_reports.get(period_year=2020)
    with django_capture_on_commit_callbacks(execute=True) as done:
        validate_report(report=submitted, actor=world["officer"])
    assert len(done) == 1
    snapshot = ImpactSnapshot.objects.get()
    assert snapshot.data_version == services.current_version()  # refreshed by the task
    assert FRESH in visible(client.get(url))


def test_an_amendment_marks_the_figures_stale(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["officer"])
    url = dashboard_url(world)
    client.get(url)
    grant = world["innovation"].applications.first().award
    with django_capture_on_commit_callbacks(execute=False) as queued:
        grants_hooks.announce_amendment(award=grant, actor=world["officer"], old_amount=None)
    assert len(queued) == 1
    assert STALE in visible(client.get(url))


def test_the_command_says_what_failed_and_exits_non_zero(world, monkeypatch):
    original = tables.build

    def broken(scope, year, dimension, *, mask):
        if dimension == "sector":
            raise RuntimeError("base indisponible")
        return original(scope, year, dimension, mask=mask)

    monkeypatch.setattr(tables, "build", broken)
    with pytest.raises(CommandError, match="partie"):
        call_command_output("refresh_impact")
    # The others were computed all the same.
    assert ImpactSnapshot.objects.exclude(dimension="sector").count() == 24
    assert not ImpactSnapshot.objects.filter(dimension="sector").exists()


def test_officers_of_one_funder_never_read_another_funders_snapshot(client, world):
    call_command_output("refresh_impact")
    client.force_login(world["other_officer"])
    text = visible(client.get(reverse("impact:dashboard") + "?annee=2020"))
    assert "ETP créés 899,0" in text and "262 345" not in text
    programme = dashboard_url(world, programme=world["programme"].slug)
    assert client.get(programme).status_code == 403
    appel = dashboard_url(world, appel=world["innovation"].slug)
    assert client.get(appel).status_code == 403
    client.force_login(world["applicant"])
    assert client.get(reverse("impact:dashboard")).status_code == 403


def test_the_public_snapshot_holds_only_masked_aggregates(client, world, fake_engine):
    slug = world["programme"].slug
    html = visible(client.get(reverse("impact:public_programme", args=[slug]) + "?par=call"))
    assert "secret statistique" in html
    stored = ImpactSnapshot.objects.get(
        audience=Audience.PUBLIC, part=Part.INDICATORS, dimension="call"
    )
    payload = json.dumps(stored.payload)
    for hidden in ("12345", "250000", "Firme", "Solo"):
        assert hidden not in payload, hidden
    secret = [
        cell for _label, cells in stored.payload["breakdown"]["rows"] for cell in cells if cell[3]
    ]
    assert secret and all(cell[0] is None and cell[1] == 0 for cell in secret)
    public_evaluation = ImpactSnapshot.objects.get(audience=Audience.PUBLIC, part=Part.EVALUATION)
    assert public_evaluation.payload["promise"] == ""  # the page shows the programme's own


def test_an_estimate_on_too_few_firms_is_not_stored_for_the_public(world, monkeypatch):
    few = evaluation.Evaluation(
        available=True,
        computed_at=timezone.now(),
        seconds=0.1,
        n_treated=2,
        n_control=9,
        per_firm=evaluation.Interval(2.5, 1.0, 4.0),
        awarded=Decimal("262345.00"),
        cost_per_job=(Decimal("52469"), Decimal("32793"), None),
    )
    public = snapshots.evaluation_from_json(
        snapshots.evaluation_to_json(snapshots.public_evaluation(few))
    )
    assert public.per_firm is None and public.cost_per_job is None
    assert public.awarded == Decimal("0") and (public.n_treated, public.n_control) == (2, 9)


def test_indicators_round_trip_through_json(world):
    for mask in (False, True):
        figures = tables.build(Scope(programme_id=world["programme"].pk), 2020, "call", mask=mask)
        text = json.dumps(snapshots.indicators_to_json(figures), allow_nan=False)
        back = snapshots.indicators_from_json(json.loads(text))
        if mask:  # a masked cell keeps neither its value nor its enterprises
            for _label, cells in figures.breakdown.rows + figures.series.rows:
                for shown in cells:
                    if shown.secret:
                        shown.cell = type(shown.cell)(None, 0)
        assert back == figures
        values = [s.cell.value for _l, cells in back.breakdown.rows for s in cells]
        assert any(isinstance(v, Decimal) for v in values)
        assert any(type(v) is int for v in values)


def test_an_evaluation_round_trips_through_json_decimals_and_forecast_included():
    original = evaluation.Evaluation(
        available=True,
        computed_at=timezone.now(),
        seconds=1.25,
        n_treated=5,
        n_control=4,
        per_firm=evaluation.Interval(2.5, 1.0, 4.0),
        attributable=evaluation.Interval(12.5, None, 20.0),
        at_horizon=evaluation.Interval(3.0, 2.0, 4.0),
        at_horizon_total=evaluation.Interval(15.0, 10.0, 20.0),
        event_study=[(-2, 0.1, -0.5, 0.7), (3, 3.0, 2.0, 4.0)],
        pretrend_p_value=float("nan"),
        awarded=Decimal("262345.00"),
        cost_per_job=(Decimal("20988"), Decimal("13117"), None),
        warnings=["Peu de candidats non retenus : l'intervalle est large."],
        discontinuities=[
            evaluation.CallDiscontinuity(
                "Innovation 2016", 3.25, 20, evaluation.Interval(1.0, -1.0, 3.0), 0.8, 10, 10, []
            ),
            evaluation.CallDiscontinuity("Amorçage", 2.0, 3, None, None, 1, 2, ["Trop peu"]),
        ],
        forecast=JobsForecast(
            origin_year=2020,
            observed=70.0,
            years=[ForecastYear(2021, 72.5, 70.1, 75.0, 69.0, 77.25)],
            n_firms=5,
            history_years=[2016, 2017],
            draws=666,
            warnings=["Peu d'années"],
            notices=[Notice("few_history_years", {"years": 2})],
        ),
        by_calendar_year={2018: (2.0, 1.0, 3.0), 2020: (3.0, 1.0, 5.0)},
        treated_by_year={2018: 5, 2020: 5},
        promise="Des milliers d'emplois en trois ans.",
        promise_year=2018,
        gross_at_promise=Decimal("7.00"),
    )
    text = json.dumps(snapshots.evaluation_to_json(original), allow_nan=False)
    back = snapshots.evaluation_from_json(json.loads(text))
    assert back.pretrend_p_value != back.pretrend_p_value  # NaN, kept as NaN
    back.pretrend_p_value = original.pretrend_p_value = None
    assert back == original
    assert back.awarded == Decimal("262345.00") and str(back.awarded) == "262345.00"
    assert back.cost_per_job == (Decimal("20988"), Decimal("13117"), None)
    assert back.in_year(2020) == original.in_year(2020)
    assert back.in_year(2020).cost_per_job[0] == Decimal("17490")  # type: ignore[index,union-attr]
    assert back.computed_at == original.computed_at and timezone.is_aware(back.computed_at)
