import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Application
from pepiniere.audit.models import AuditEntry
from pepiniere.grants.models import Award
from pepiniere.lib.testing.factories import make_call, make_submitted, make_user, plain
from pepiniere.reviews.ranking import compute_ranking
from pepiniere.selection import jury, selectors, services
from pepiniere.selection.constraints import (
    BASE_TAGS,
    ConstraintSpec,
    describe_scope,
    parse_constraint,
)
from pepiniere.selection.models import Rule
from pepiniere.selection.tests.factories import ranked_call

pytestmark = pytest.mark.django_db

# A, B: Gironde, best; C: Gironde; D: Dordogne; E: Landes; F: below the threshold (3/5).
PROJECTS = [
    ("33", 40000, 5),
    ("33", 40000, 5),
    ("33", 30000, 4),
    ("24", 30000, 4),
    ("40", 20000, 3),
    ("64", 20000, 2),
]
OUTSIDE_GIRONDE = ["24", "40", "47", "64"]


@pytest.fixture
def ranked():
    call, officer, apps = ranked_call(PROJECTS, envelope="100000")
    return call, officer, dict(zip("ABCDEF", apps, strict=True))


def _reasons(scenario, apps):
    labels = selectors.tag_labels(scenario.call)
    return {
        key: plain(selectors.reason_for(scenario, a.pk, labels=labels)) for key, a in apps.items()
    }


def test_plain_ranking_funds_in_rank_order_and_explains_every_application(ranked):
    call, officer, apps = ranked
    scenario = services.create_scenario(call=call, actor=officer, name="Classement simple")
    assert scenario.funded == {
        apps["A"].pk: 4000000,
        apps["B"].pk: 4000000,
        apps["E"].pk: 2000000,
    }
    assert scenario.total_cents == 10000000
    reasons = _reasons(scenario, apps)
    assert reasons["A"] == "Financé en totalité au rang 1 : 40 000,00 €."
    assert reasons["C"] == (
        "Enveloppe épuisée au rang 3 : il restait 20 000,00 €, il fallait au moins 30 000,00 €. "
        "Liste complémentaire, position 1."
    )
    assert "sous un seuil d'évaluation" in reasons["F"]
    assert apps["F"].pk not in scenario.funded
    assert AuditEntry.objects.filter(action="create_scenario", reason="Classement simple").exists()


def test_territorial_minimum_and_project_cap_change_the_selection_with_reasons(ranked):
    call, officer, apps = ranked
    scenario = services.create_scenario(
        call=call,
        actor=officer,
        name="Équilibre territorial",
        constraints=[ConstraintSpec("departement", OUTSIDE_GIRONDE, "min_share", "0.3")],
        project_cap=Decimal("35000"),
    )
    assert scenario.funded == {
        apps["A"].pk: 3500000,
        apps["B"].pk: 3500000,
        apps["D"].pk: 3000000,
    }
    reasons = _reasons(scenario, apps)
    assert reasons["A"] == (
        "Financé à hauteur du plafond au rang 1 : 35 000,00 €. "
        "Montant plafonné à 35 000,00 € par projet (demande : 40 000,00 €)."
    )
    assert "en totalité" not in reasons["A"]
    assert reasons["C"].startswith(
        "Non financé au rang 3 : le reste de l'enveloppe (30 000,00 €) est réservé pour respecter "
        "« au moins 30 % de l'enveloppe pour département : 24, 40, 47 ou 64 »."
    )
    assert "Il l'aurait été sans cette contrainte." in reasons["C"]
    totals = selectors.tag_totals(scenario)
    assert totals[("departement", "24, 40, 47, 64")] == (3000000, 1)
    assert totals[("departement", "33")] == (7000000, 2)


def test_rules_differ_and_greedy_stop_says_where_it_stopped(ranked):
    call, officer, apps = ranked
    stop = services.create_scenario(call=call, actor=officer, name="Arrêt", rule=Rule.GREEDY_STOP)
    assert set(stop.funded) == {apps["A"].pk, apps["B"].pk}
    assert _reasons(stop, apps)["E"].startswith("Non examiné : la liste s'est arrêtée au rang 3")
    ranked_s = services.create_scenario(call=call, actor=officer, name="Rang")
    best = services.create_scenario(call=call, actor=officer, name="Max", rule=Rule.MAX_SCORE)
    assert best.objective >= ranked_s.objective >= stop.objective


def test_unmet_minimum_is_reported_in_french(ranked):
    call, officer, _apps = ranked
    scenario = services.create_scenario(
        call=call,
        actor=officer,
        name="Landes",
        constraints=[ConstraintSpec("departement", "40", "min_count", 3)],
    )
    [text] = selectors.unmet(scenario, selectors.tag_labels(call))
    assert plain(text).startswith(
        "Minimum non atteint : « au moins 3 dossier(s) financé(s) pour département : 40 » "
        "(2 dossier(s) manquant(s))"
    )


def test_first_time_tag_counts_awards_on_earlier_calls(ranked):
    call, officer, apps = ranked
    earlier = make_call(funder=call.funder)
    previous = make_submitted(
        call=earlier, organisation=apps["A"].organisation, applicant=apps["A"].created_by
    )
    Award.objects.create(
        application=previous,
        amount=Decimal("10000"),
        decision_reference="CP 2014",
        decision_date=datetime.date(2014, 6, 1),
        awarded_by=officer,
        awarded_at=timezone.now(),
    )
    scenario = services.create_scenario(
        call=call,
        actor=officer,
        name="Primo",
        constraints=[ConstraintSpec("first_time", False, "max_count", 0)],
    )
    assert apps["A"].pk not in scenario.funded
    assert (
        "« au plus 0 dossier(s) financé(s) pour primo-bénéficiaire : non » atteint"
        in _reasons(scenario, apps)["A"]
    )


@pytest.mark.parametrize(
    "role, same_funder, allowed",
    [
        (Role.OFFICER, True, True),
        (Role.OFFICER, False, False),
        (Role.JURY, True, False),
        (Role.FINANCE, True, False),
        (Role.APPLICANT, False, False),
    ],
)
def test_only_officers_of_the_funder_run_scenarios(ranked, role, same_funder, allowed):
    call, _officer, _apps = ranked
    user = make_user(role=role, funder=call.funder if same_funder else None)
    if allowed:
        assert services.create_scenario(call=call, actor=user, name="Essai").pk
    else:
        with pytest.raises(services.SelectionError, match="chargé·es de mission"):
            services.create_scenario(call=call, actor=user, name="Essai")


def test_the_scenario_sent_to_the_jury_feeds_its_proposals(ranked):
    call, officer, apps = ranked
    plain_s = services.create_scenario(call=call, actor=officer, name="Classement simple")
    territorial = services.create_scenario(
        call=call,
        actor=officer,
        name="Territoire",
        constraints=[ConstraintSpec("departement", OUTSIDE_GIRONDE, "min_share", "0.3")],
        project_cap=Decimal("35000"),
    )
    services.send_to_jury(scenario=plain_s, actor=officer)
    services.send_to_jury(scenario=territorial, actor=officer)
    assert selectors.sent_scenario(call) == territorial  # one per call
    proposals = jury.proposed_decisions(compute_ranking(call), call.envelope)
    assert {k for k, a in apps.items() if proposals[a.pk][0] == "select"} == {"A", "B", "D"}
    assert proposals[apps["C"].pk][0] == "put_in_reserve"
    assert proposals[apps["F"].pk][0] == "reject"
    assert "réservé pour respecter" in plain(proposals[apps["C"].pk][1])
    # The jury follows the proposal without a word, or departs from it with a justification.
    member = make_user(role=Role.JURY, funder=call.funder)
    session = jury.open_session(
        call=call, actor=member, held_on=datetime.date.today(), members=[member]
    )
    jury.decide(
        session=session,
        application_id=apps["D"].pk,
        decision="select",
        justification="",
        actor=member,
    )
    with pytest.raises(jury.JuryError, match="justifiez"):
        jury.decide(
            session=session,
            application_id=apps["C"].pk,
            decision="select",
            justification="",
            actor=member,
        )
    assert "réservé pour respecter" not in Application.objects.get(pk=apps["D"].pk).decision_reason


def test_a_scenario_computed_on_an_older_ranking_cannot_be_sent(ranked):
    call, officer, apps = ranked
    scenario = services.create_scenario(call=call, actor=officer, name="Ancien")
    Application.objects.filter(pk=apps["E"].pk).update(requested_amount=Decimal("25000"))
    with pytest.raises(services.SelectionError, match="Le classement a changé"):
        services.send_to_jury(scenario=scenario, actor=officer)
    services.rerun_scenario(scenario=scenario, actor=officer)
    assert services.send_to_jury(scenario=scenario, actor=officer).is_sent_to_jury


def test_compare_lists_the_applications_whose_fate_changes(ranked):
    call, officer, apps = ranked
    first = services.create_scenario(call=call, actor=officer, name="Classement simple")
    second = services.create_scenario(
        call=call,
        actor=officer,
        name="Territoire",
        constraints=[ConstraintSpec("departement", OUTSIDE_GIRONDE, "min_share", "0.3")],
    )
    comparison = selectors.compare(
        [first, second], selectors.applications_of([first, second]), selectors.tag_labels(call)
    )
    changed = {row["application"].pk for row in comparison.changed}
    assert changed == {apps[k].pk for k in "BCDE"}
    row = next(r for r in comparison.changed if r["application"] == apps["B"])
    assert row["cells"][0][0] == 4000000 and row["cells"][1][0] == 0
    assert "réservé pour respecter" in plain(row["cells"][1][1])
    by_value = {(tag, value): per for tag, value, per in comparison.tags}
    assert by_value[("département", "24")] == [(0, 0), (3000000, 1)]
    # The group of a constraint only the second scenario has is totalled over the first
    # scenario's funded set too (E, Landes), not shown as 0 €.
    group = ("département", "24, 40, 47, 64")
    assert by_value[group][0] == (2000000, 1)
    assert by_value[group][1] == selectors.tag_totals(second)[("departement", "24, 40, 47, 64")]
    assert sum(by_value[group][1]) > 0


def test_a_size_band_constraint_reads_the_bands_labels_not_their_insee_codes():
    # Issue 9: scenario pages showed « tranche d'effectifs : 01, 02 ».
    spec = parse_constraint("size_band", "01, 3 à 5 salariés", "min_count", "2", BASE_TAGS)
    assert spec.value == ["01", "02"]
    described = spec.describe()
    assert "1 ou 2 salariés ou 3 à 5 salariés" in described
    assert "01" not in described and "02" not in described
    assert spec.value_for_form() == "1 ou 2 salariés, 3 à 5 salariés"
    # What the form shows is read back as the same constraint.
    again = parse_constraint("size_band", spec.value_for_form(), "min_count", "2", BASE_TAGS)
    assert again == spec
    # « 0 salarié » without INSEE's explanation in parentheses.
    assert describe_scope("size_band", "00", BASE_TAGS) == "tranche d'effectifs : 0 salarié"
