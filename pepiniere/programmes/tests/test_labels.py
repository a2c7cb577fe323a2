import datetime
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from pepiniere.accounts.models import Role
from pepiniere.audit.labels import ACTION_LABELS
from pepiniere.audit.models import AuditEntry
from pepiniere.lib.testing.factories import make_organisation, make_user
from pepiniere.programmes import services
from pepiniere.programmes.models import Label, LabelHolding, LabelKind
from pepiniere.programmes.selectors import held_labels, organisation_holdings
from pepiniere.programmes.services import LabelError
from pepiniere.programmes.tests.factories import (
    BORDEAUX_METROPOLE,
    LABELLED_ON,
    hold_bordeaux,
    make_label,
    make_state,
)
from pepiniere.territories.models import Departement

pytestmark = pytest.mark.django_db


@pytest.fixture
def state():
    return make_state()


@pytest.fixture
def state_officer(state):
    return make_user(role=Role.OFFICER, funder=state)


def test_bordeaux_metropole_holds_french_tech_through_its_28_communes(state, state_officer):
    label = make_label(funder=state, actor=state_officer)
    holding = hold_bordeaux(label, actor=state_officer)
    assert len(BORDEAUX_METROPOLE) == len(set(BORDEAUX_METROPOLE)) == 28
    assert holding.communes == sorted(BORDEAUX_METROPOLE)
    assert holding.holder_kind == LabelKind.TERRITORY
    merignac = make_organisation(commune_code="33281", commune_name="Mérignac")
    arcachon = make_organisation(commune_code="33009", commune_name="Arcachon")  # Gironde, outside
    assert [h.label.name for h in held_labels(merignac, datetime.date(2026, 1, 5))] == [
        "French Tech"
    ]
    assert held_labels(arcachon, datetime.date(2026, 1, 5)) == []
    # Before the decision, nobody held it.
    assert held_labels(merignac, LABELLED_ON - datetime.timedelta(days=1)) == []
    assert held_labels(merignac, LABELLED_ON) != []


def test_a_departement_holding_covers_every_commune_of_it(state):
    label = make_label(funder=state, name="Territoire d'industrie")
    services.grant_label(
        actor=make_user(role=Role.ADMIN, is_superuser=True),
        label=label,
        territory_name="Dordogne",
        departement=Departement.objects.get(code="24"),
        start_date=datetime.date(2020, 1, 1),
    )
    bergerac = make_organisation(departement="24", commune_code="24037", commune_name="Bergerac")
    bordeaux = make_organisation(departement="33", commune_code="33063", commune_name="Bordeaux")
    assert len(held_labels(bergerac, datetime.date(2024, 6, 1))) == 1
    assert held_labels(bordeaux, datetime.date(2024, 6, 1)) == []


def test_an_organisation_label_is_held_by_the_organisation_only_and_ends_on_its_last_day(state):
    admin = make_user(role=Role.ADMIN, is_superuser=True)
    label = make_label(funder=state, name="Jeune entreprise innovante", kind=LabelKind.ORGANISATION)
    start = make_organisation(commune_code="33063", commune_name="Bordeaux")
    neighbour = make_organisation(commune_code="33063", commune_name="Bordeaux")
    holding = services.grant_label(
        actor=admin, label=label, organisation=start, start_date=datetime.date(2021, 3, 1)
    )
    services.end_label_holding(
        actor=admin, holding=holding, end_date=datetime.date(2023, 2, 28), reason="Fin du statut"
    )
    assert held_labels(start, datetime.date(2023, 2, 28)) != []
    assert held_labels(start, datetime.date(2023, 3, 1)) == []
    assert held_labels(neighbour, datetime.date(2022, 1, 1)) == []
    assert [h.pk for h in organisation_holdings(start)] == [holding.pk]
    entry = AuditEntry.objects.get(action="label_end")
    assert entry.reason == (
        f"{start.name} : label détenu jusqu'au 28 février 2023 (Fin du statut)."
    )


def test_every_change_is_audited_with_a_french_label(state, state_officer):
    label = make_label(funder=state, actor=state_officer)
    hold_bordeaux(label, actor=state_officer)
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "reason"))
    assert actions == [
        (
            "label_create",
            "Label « French Tech », décerné par État — Mission French Tech, détenu par : territoire.",
        ),
        (
            "label_grant",
            "Bordeaux Métropole, depuis le 12 novembre 2014 (décision Mission French Tech, "
            "12/11/2014).",
        ),
    ]
    assert {a for a, _r in actions} <= set(ACTION_LABELS)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"organisation": "org"}, "Ce label est détenu par des territoires"),
        ({"territory_name": ""}, "Indiquez le nom du territoire"),
        ({"communes": []}, "Indiquez le département du territoire ou la liste de ses communes"),
        ({"communes": ["3306"]}, "« 3306 » n'est pas un code commune INSEE"),
        (
            {"end_date": datetime.date(2014, 1, 1)},
            "La fin (1er janvier 2014) précède le début (12 novembre 2014).",
        ),
    ],
)
def test_a_holding_that_does_not_fit_the_label_is_refused_with_the_reason(state, kwargs, message):
    label = make_label(funder=state)
    values = {"territory_name": "Bordeaux Métropole", "communes": ["33063"], **kwargs}
    if values.get("organisation") == "org":
        values["organisation"] = make_organisation()
    with pytest.raises(LabelError) as error:
        services.grant_label(
            actor=make_user(role=Role.ADMIN, is_superuser=True),
            label=label,
            start_date=LABELLED_ON,
            **values,
        )
    assert error.value.message.startswith(message)
    assert not LabelHolding.objects.exists()


def test_a_second_period_that_overlaps_the_first_is_refused(state):
    label = make_label(funder=state)
    hold_bordeaux(label)
    with pytest.raises(LabelError) as error:
        hold_bordeaux(label, start_date=datetime.date(2020, 1, 1))
    assert error.value.message == (
        "Bordeaux Métropole détient déjà ce label depuis le 12 novembre 2014 : terminez d'abord "
        "cette période."
    )


def test_ending_a_holding_before_it_starts_or_later_than_it_ends_is_refused(state):
    admin = make_user(role=Role.ADMIN, is_superuser=True)
    holding = hold_bordeaux(make_label(funder=state))
    with pytest.raises(LabelError, match="ne peut pas précéder le début"):
        services.end_label_holding(actor=admin, holding=holding, end_date=datetime.date(2014, 1, 1))
    services.end_label_holding(actor=admin, holding=holding, end_date=datetime.date(2024, 12, 31))
    with pytest.raises(LabelError, match="prend déjà fin le 31 décembre 2024"):
        services.end_label_holding(actor=admin, holding=holding, end_date=datetime.date(2025, 6, 1))


def test_the_database_refuses_a_holding_with_two_kinds_of_holder_or_none(state):
    label = make_label(funder=state)
    organisation = make_organisation()
    base: dict[str, Any] = {"label": label, "start_date": LABELLED_ON}
    wrong: list[dict[str, Any]] = [
        {"holder_kind": "territory", "territory_name": "Bordeaux", "organisation": organisation},
        {"holder_kind": "territory", "territory_name": ""},
        {"holder_kind": "organisation"},
        {"holder_kind": "organisation", "organisation": organisation, "territory_name": "X"},
        {
            "holder_kind": "organisation",
            "organisation": organisation,
            "departement": Departement.objects.get(code="33"),
        },
        {
            "holder_kind": "territory",
            "territory_name": "Bordeaux",
            "end_date": LABELLED_ON - datetime.timedelta(days=1),
        },
    ]
    for values in wrong:
        with pytest.raises(IntegrityError), transaction.atomic():
            LabelHolding.objects.create(**base, **values)
    LabelHolding.objects.create(**base, holder_kind="organisation", organisation=organisation)


def test_the_database_refuses_a_label_awarded_by_nobody_or_by_two_bodies(state):
    with pytest.raises(IntegrityError), transaction.atomic():
        Label.objects.create(name="X", slug="x", kind="territory")
    with pytest.raises(IntegrityError), transaction.atomic():
        Label.objects.create(
            name="Y", slug="y", kind="territory", awarding_funder=state, awarding_body="Autre"
        )


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("admin", True),
        ("state_officer", True),
        ("region_officer", False),
        ("applicant", False),
        ("jury", False),
    ],
)
def test_only_admins_and_the_awarding_funders_officers_create_and_grant(state, who, allowed):
    from pepiniere.lib.testing.factories import make_funder

    users = {
        "admin": make_user(role=Role.ADMIN, is_superuser=True),
        "state_officer": make_user(role=Role.OFFICER, funder=state),
        "region_officer": make_user(role=Role.OFFICER, funder=make_funder()),
        "applicant": make_user(),
        "jury": make_user(role=Role.JURY, funder=state),
    }
    actor = users[who]
    if allowed:
        label = make_label(funder=state, actor=actor)
        hold_bordeaux(label, actor=actor)
        return
    with pytest.raises(LabelError, match="Seul·es"):
        make_label(funder=state, actor=actor)
    label = make_label(funder=state)
    with pytest.raises(LabelError, match="Seul·es les chargé·es de mission de « État"):
        hold_bordeaux(label, actor=actor)
    assert not LabelHolding.objects.exists()


def test_a_label_of_another_body_is_created_by_an_administrator_only(state_officer):
    with pytest.raises(LabelError, match="Seul·es les administrateur·rices"):
        services.create_label(
            actor=state_officer, name="Pass French Tech", kind="organisation", awarding_body="X"
        )
    label = services.create_label(
        actor=make_user(role=Role.ADMIN, is_superuser=True),
        name="Pass French Tech",
        kind="organisation",
        awarding_body="Mission French Tech (hors plateforme)",
    )
    assert label.slug == "pass-french-tech"
    assert label.awarded_by == "Mission French Tech (hors plateforme)"
    with pytest.raises(LabelError, match="Seul·es les chargé·es de mission de « Mission French"):
        services.grant_label(
            actor=state_officer,
            label=label,
            organisation=make_organisation(),
            start_date=LABELLED_ON,
        )


def test_creating_a_label_twice_or_without_a_body_is_refused(state):
    make_label(funder=state)
    with pytest.raises(LabelError, match="Un label porte déjà l'identifiant « french-tech »"):
        make_label(funder=state)
    admin = make_user(role=Role.ADMIN, is_superuser=True)
    with pytest.raises(LabelError, match="Indiquez qui décerne le label"):
        services.create_label(actor=admin, name="Sans organisme", kind="territory")
    with pytest.raises(LabelError, match="pas les deux"):
        services.create_label(
            actor=admin, name="Deux", kind="territory", awarding_funder=state, awarding_body="X"
        )
