"""Accelerator support counts in RCO04 and shows on the organisation's follow-up page."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from pepiniere.accelerator import services
from pepiniere.accelerator.tests.factories import make_accelerator, start
from pepiniere.lib.testing.factories import make_funder, page_text
from pepiniere.portfolio import indicators_results as results
from pepiniere.portfolio.indicators import Scope

pytestmark = pytest.mark.django_db

D = datetime.date


def test_rco04_counts_accelerated_start_ups_once():
    programme, officer = make_accelerator()
    first, second, third = start(programme, officer, D(2016, 1, 4), D(2016, 2, 1), D(2017, 1, 9))
    services.leave_stay(stay=second, actor=officer, reason="Cessation", on=D(2016, 3, 1))
    # A second stay of the same start-up (the next year's cohort) counts it once.
    from pepiniere.accelerator.tests.factories import make_selected

    again = make_selected(programme, member=first.organisation.members.get())
    again.organisation = first.organisation
    again.save()
    services.form_cohort(
        programme=programme, year=2017, starts=[(again, D(2017, 3, 1))], actor=officer
    )
    mine = Scope(funder_ids=frozenset({programme.funder_id}))
    assert results.totals(mine, 2017, {"RCO04"})["RCO04"] == {"supported": results.Cell(3, 3)}
    by_programme = Scope(programme_id=programme.call.programme_id)
    assert results.totals(by_programme, 2017, {"RCO04"})["RCO04"]["supported"].value == 3
    in_2016 = Scope(funder_ids=frozenset({programme.funder_id}), award_years=(2016, 2016))
    assert results.totals(in_2016, 2016, {"RCO04"})["RCO04"]["supported"].value == 2
    other = Scope(funder_ids=frozenset({make_funder("Autre").pk}))
    assert results.totals(other, 2017, {"RCO04"})["RCO04"]["supported"].value == 0
    assert third.organisation_id != first.organisation_id


def test_the_stay_is_on_the_organisations_follow_up_page():
    programme, officer = make_accelerator()
    (stay,) = start(programme, officer, D(2016, 1, 4))
    services.renew_stay(stay=stay, actor=officer)
    client = Client()
    client.force_login(officer)
    page = page_text(client.get(reverse("portfolio:organisation", args=[stay.organisation_id])))
    assert "Séjour dans l'accélérateur « Accélérateur open source » (cohorte 2016)" in page
    assert "du 4 janvier 2016 au 4 janvier 2017 ; renouvelé une fois" in page
