"""The demo's French Tech: the label held by Bordeaux Métropole, the State's national envelopes,
and the State's calls that require the label, with one structure that meets the rule and one
that does not."""

import datetime

from django.test import Client
from django.urls import reverse

from pepiniere.applications.eligibility import check_eligibility
from pepiniere.applications.models import Application, Status
from pepiniere.demo.labels_scenario import BORDEAUX_METROPOLE
from pepiniere.lib.testing.factories import page_text, plain
from pepiniere.programmes.models import Label
from pepiniere.tests_demo.conftest import DEMO

pytestmark = DEMO


def test_french_tech_is_held_by_bordeaux_metropole_s_28_communes_since_november_2014(demo):
    label = Label.objects.get(slug=demo["french_tech_label"])
    holding = label.holdings.get()
    assert holding.territory_name == "Bordeaux Métropole"
    assert holding.communes == sorted(BORDEAUX_METROPOLE) and len(holding.communes) == 28
    assert holding.start_date == datetime.date(2014, 11, 12) and holding.end_date is None
    assert demo["labelled_organisations"] > 10  # Bordeaux, Mérignac, Pessac, Talence…


def test_the_state_programme_shows_its_envelopes_and_its_calls_require_the_label(demo):
    text = plain(page_text(Client().get(reverse("programmes:detail", args=["french-tech"]))))
    assert "200 000 000,00 €" in text
    assert "15 000 000,00 €" in text
    for slug in demo["french_tech_calls"]:
        page = plain(page_text(Client().get(reverse("calls:detail", args=[slug]))))
        assert "Structures labellisées (par elles-mêmes ou par leur territoire" in page


def test_one_start_up_meets_the_label_rule_and_paula_s_does_not(demo):
    applications = (
        Application.objects.filter(call__slug="french-tech-attractivite-internationale")
        .select_related("call", "organisation")
        .order_by("reference")
    )
    filed = [a for a in applications if a.status == Status.ELIGIBLE]
    assert [a.reference for a in filed] == demo["french_tech_filed"] and len(filed) == 2
    for application in filed:
        assert application.organisation.commune_code in BORDEAUX_METROPOLE
        rule = next(c for c in check_eligibility(application) if c.code == "label")
        assert rule.passed, rule.message
    draft = next(a for a in applications if a.status == Status.DRAFT)
    assert draft.organisation.name == demo["french_tech_refused_draft"]
    rule = next(c for c in check_eligibility(draft) if c.code == "label")
    assert not rule.passed
    assert rule.message.startswith(
        "Cet appel est réservé aux structures labellisées French Tech ; votre structure ("
    )
