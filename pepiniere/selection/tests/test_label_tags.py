"""Labels as selection tags: « au moins 2 projets labellisés French Tech »."""

import pytest
from django.urls import reverse

from pepiniere.engine.selection import Constraint
from pepiniere.lib.testing.factories import page_text, plain
from pepiniere.organisations.models import Organisation
from pepiniere.programmes.tests.factories import hold_bordeaux, make_label, make_state
from pepiniere.reviews.ranking import ranking_for
from pepiniere.selection import selectors, services
from pepiniere.selection.constraints import ConstraintSpec, parse_constraint
from pepiniere.selection.tests.factories import ranked_call

pytestmark = pytest.mark.django_db

TAG = "label:french-tech"


@pytest.fixture
def ranked():
    """A, B (best, Landes and Dordogne: no label), C (Bordeaux), D (Pessac), E (Arcachon)."""
    call, officer, apps = ranked_call(
        [("40", 40000, 5), ("24", 40000, 5), ("33", 30000, 4), ("33", 30000, 3), ("33", 20000, 4)],
        envelope="100000",
    )
    places = ["40192", "24037", "33063", "33318", "33009"]
    for application, commune in zip(apps, places, strict=True):
        Organisation.objects.filter(pk=application.organisation_id).update(commune_code=commune)
    hold_bordeaux(make_label(funder=make_state()))
    return call, officer, dict(zip("ABCDE", apps, strict=True))


def test_every_candidate_gets_a_yes_or_no_tag_per_label_held_on_its_day(ranked):
    call, _officer, apps = ranked
    tags = {c.id: c.tags for c in services.candidates(call, ranking_for(call))}
    assert {key: tags[a.pk][TAG] for key, a in apps.items()} == {
        "A": False,
        "B": False,
        "C": True,
        "D": True,
        "E": False,
    }


def test_a_minimum_of_labelled_projects_changes_the_selection_and_says_why_in_french(ranked):
    call, officer, apps = ranked
    plain_scenario = services.create_scenario(call=call, actor=officer, name="Classement")
    assert apps["C"].pk not in plain_scenario.funded and apps["D"].pk not in plain_scenario.funded
    spec = parse_constraint(TAG, "oui", "min_count", "2", selectors.tag_labels(call))
    assert spec == ConstraintSpec(TAG, True, "min_count", 2)
    assert spec.to_engine(10000000, 0) == Constraint(TAG, True, "min_count", 2, label="#0")
    scenario = services.create_scenario(
        call=call, actor=officer, name="French Tech", constraints=[spec]
    )
    assert apps["C"].pk in scenario.funded and apps["D"].pk in scenario.funded
    labels = selectors.tag_labels(call)
    assert spec.describe(labels) == (
        "au moins 2 dossier(s) financé(s) pour les structures labellisées French Tech"
    )
    reasons = {
        k: plain(selectors.reason_for(scenario, a.pk, labels=labels)) for k, a in apps.items()
    }
    assert reasons["B"] == (
        "Non financé au rang 2 : le reste de l'enveloppe (60 000,00 €) est réservé pour respecter "
        "« au moins 2 dossier(s) financé(s) pour les structures labellisées French Tech ». Il "
        "l'aurait été sans cette contrainte. Liste complémentaire, position 1."
    )
    assert reasons["D"] == "Financé en totalité au rang 5 : 30 000,00 €."
    assert labels[TAG] == "label French Tech"


def test_a_share_cap_on_labelled_projects_and_the_negative_form(ranked):
    call, officer, apps = ranked
    labels = selectors.tag_labels(call)
    capped = parse_constraint(TAG, "oui", "max_share", "30", labels)
    assert capped.describe(labels) == (
        "au plus 30 % de l'enveloppe pour les structures labellisées French Tech"
    )
    others = parse_constraint(TAG, "non", "max_count", "1", labels)
    assert others.describe(labels) == (
        "au plus 1 dossier(s) financé(s) pour les structures non labellisées French Tech"
    )
    scenario = services.create_scenario(
        call=call, actor=officer, name="Plafond", constraints=[capped]
    )
    labelled = sum(
        cents for pk, cents in scenario.funded.items() if pk in {apps["C"].pk, apps["D"].pk}
    )
    assert labelled <= 3000000


def test_a_label_tag_answers_yes_or_no_only(ranked):
    call, _officer, _apps = ranked
    from pepiniere.selection.constraints import ConstraintFormError

    with pytest.raises(ConstraintFormError, match="Label : répondez « oui »"):
        parse_constraint(TAG, "peut-être", "min_count", "2", selectors.tag_labels(call))


def test_the_scenarios_page_offers_the_label_as_a_tag(client, ranked):
    call, officer, _apps = ranked
    client.force_login(officer)
    text = page_text(client.get(reverse("selection:scenarios", args=[call.slug])))
    assert f'value="{TAG}"' in text
    assert "label French Tech" in text
