"""The labels pages (administrators and officers), a label's public page and a programme's."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.lib.testing.factories import (
    make_call,
    make_funder,
    make_organisation,
    make_user,
    page_text,
    plain,
)
from pepiniere.programmes.models import Axis, LabelHolding, LabelKind, Programme
from pepiniere.programmes.tests.factories import hold_bordeaux, make_label, make_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def state():
    return make_state()


@pytest.fixture
def state_officer(state):
    return make_user(role=Role.OFFICER, funder=state)


@pytest.fixture
def french_tech(state):
    label = make_label(funder=state, description="Le label des métropoles French Tech.")
    hold_bordeaux(label)
    return label


def test_the_labels_page_lists_labels_with_their_holders_in_a_fixed_number_of_queries(
    client, state, state_officer, french_tech, django_assert_num_queries
):
    client.force_login(state_officer)
    url = reverse("programmes:labels")
    client.get(url)
    with django_assert_num_queries(8) as first:
        response = client.get(url)
    text = plain(page_text(response))
    assert "French Tech" in text
    assert 'Bordeaux Métropole <span class="help">(depuis le 12 novembre 2014)</span>' in text
    for n in range(4):
        label = make_label(funder=state, name=f"Label {n}", kind=LabelKind.ORGANISATION)
        for _m in range(3):
            from pepiniere.programmes import services

            services.grant_label(
                actor=state_officer,
                label=label,
                organisation=make_organisation(),
                start_date=datetime.date(2020, 1, 1),
            )
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(url)
    assert page_text(response).count("Label 3") >= 1


def test_an_officer_creates_a_label_of_their_funder_and_grants_it_with_a_form(
    client, state, state_officer
):
    client.force_login(state_officer)
    response = client.post(
        reverse("programmes:labels"),
        {"name": "French Tech", "kind": "territory", "awarding_funder": state.pk},
    )
    assert response.status_code == 302
    assert response.url == reverse("programmes:label_manage", args=["french-tech"])
    manage = response.url
    response = client.post(
        manage,
        {
            "territory_name": "Bordeaux Métropole",
            "communes": "33063, 33281\n33318 33522",
            "start_date": "12/11/2014",
            "decision_reference": "Mission French Tech",
        },
    )
    assert response.status_code == 302
    holding = LabelHolding.objects.get()
    assert holding.communes == ["33063", "33281", "33318", "33522"]
    assert holding.start_date == datetime.date(2014, 11, 12)
    text = plain(page_text(client.get(manage)))
    assert "Label attribué à Bordeaux Métropole." in text
    assert "4 communes" in text and "depuis le 12 novembre 2014" in text
    response = client.post(
        reverse("programmes:end_holding", args=["french-tech", holding.pk]),
        {"end_date": "2025-12-31", "reason": "Nouvelle labellisation"},
    )
    assert response.status_code == 302
    holding.refresh_from_db()
    assert holding.end_date == datetime.date(2025, 12, 31)
    text = plain(page_text(client.get(manage)))
    assert "du 12 novembre 2014 au 31 décembre 2025" in text


def test_the_grant_form_refuses_with_clear_french_errors(client, state_officer, french_tech):
    client.force_login(state_officer)
    url = reverse("programmes:label_manage", args=[french_tech.slug])
    response = client.post(
        url,
        {"territory_name": "Bordeaux Métropole", "communes": "33063", "start_date": "2020-01-01"},
    )
    assert response.status_code == 422
    assert (
        "Bordeaux Métropole détient déjà ce label depuis le 12 novembre 2014 : terminez d'abord "
        "cette période." in plain(page_text(response))
    )
    response = client.post(
        url, {"territory_name": "Lyon", "communes": "Lyon", "start_date": "31/02/2015"}
    )
    text = page_text(response)
    assert "« 31/02/2015 » n'existe pas dans le calendrier" in text
    response = client.post(
        url, {"territory_name": "Lyon", "communes": "6938", "start_date": "2015-01-01"}
    )
    assert "« 6938 » n'est pas un code commune INSEE" in page_text(response)
    assert LabelHolding.objects.count() == 1


def test_an_organisation_label_is_granted_by_siret_and_an_unknown_one_is_named(
    client, state, state_officer
):
    label = make_label(funder=state, name="Deeptech", kind=LabelKind.ORGANISATION)
    organisation = make_organisation(siret="73282932000074")
    client.force_login(state_officer)
    url = reverse("programmes:label_manage", args=[label.slug])
    response = client.post(url, {"identifier": "732 829 320 00074", "start_date": "2022-05-02"})
    assert response.status_code == 302
    assert LabelHolding.objects.get().organisation == organisation
    response = client.post(url, {"identifier": "552100554", "start_date": "2022-05-02"})
    assert "Aucune structure de la plateforme n'a l'identifiant 552100554." in page_text(response)


def test_an_officer_of_another_funder_reads_but_cannot_grant(client, french_tech):
    other = make_user(role=Role.OFFICER, funder=make_funder())
    client.force_login(other)
    url = reverse("programmes:label_manage", args=[french_tech.slug])
    text = page_text(client.get(url))
    assert "Seul·es les chargé·es de mission de « État — Mission French Tech » attribuent" in text
    assert "Attribuer le label" not in text
    response = client.post(url, {"territory_name": "Lyon", "start_date": "2015-01-01"})
    assert response.status_code == 403
    holding = french_tech.holdings.get()
    response = client.post(
        reverse("programmes:end_holding", args=[french_tech.slug, holding.pk]),
        {"end_date": "2020-01-01"},
    )
    assert response.status_code == 403
    holding.refresh_from_db()
    assert holding.end_date is None


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.JURY, Role.FINANCE, Role.REVIEWER])
def test_the_labels_pages_are_for_officers_and_administrators(client, state, french_tech, role):
    client.force_login(make_user(role=role, funder=state if role != Role.APPLICANT else None))
    assert client.get(reverse("programmes:labels")).status_code == 403
    assert (
        client.get(reverse("programmes:label_manage", args=[french_tech.slug])).status_code == 403
    )


def test_the_public_label_page_names_territories_and_counts_organisations(
    client, state, french_tech, django_assert_num_queries
):
    call = make_call(title="French Tech — attractivité internationale")
    call.required_labels.set([french_tech])
    url = reverse("programmes:label", args=[french_tech.slug])
    with django_assert_num_queries(3):  # the label, its holdings, the calls requiring it
        response = client.get(url)
    text = plain(page_text(response))
    assert "Décerné par État — Mission French Tech" in text
    assert "Bordeaux Métropole" in text and "28 communes" in text
    assert "French Tech — attractivité internationale" in text
    start_label = make_label(funder=state, name="Deeptech", kind=LabelKind.ORGANISATION)
    from pepiniere.programmes import services

    secret = make_organisation(name="Start-up discrète")
    services.grant_label(
        actor=make_user(role=Role.ADMIN, is_superuser=True),
        label=start_label,
        organisation=secret,
        start_date=datetime.date(2020, 1, 1),
    )
    text = page_text(client.get(reverse("programmes:label", args=[start_label.slug])))
    assert "Aujourd'hui, 1 structure détient ce label." in text
    assert "Start-up discrète" not in text


def test_the_programme_page_shows_the_national_envelopes_in_french(
    client, state, django_assert_num_queries
):
    programme = Programme.objects.create(
        funder=state,
        title="French Tech",
        slug="french-tech",
        start_date=datetime.date(2014, 11, 12),
        end_date=datetime.date(2030, 12, 31),
    )
    acceleration = Axis.objects.create(
        programme=programme, code="acceleration", title="Accélération", budget=Decimal("200000000")
    )
    Axis.objects.create(
        programme=programme,
        code="attractivite",
        title="Attractivité internationale",
        budget=Decimal("15000000"),
        position=1,
    )
    make_call(
        funder=state,
        programme=programme,
        axis=acceleration,
        envelope=Decimal("1500000"),
        title="Accélération 2027",
    )
    make_call(
        funder=state,
        programme=programme,
        axis=acceleration,
        envelope=Decimal("9000000"),
        is_published=False,
    )
    with django_assert_num_queries(3):
        response = client.get(reverse("programmes:detail", args=["french-tech"]))
    text = plain(page_text(response))
    assert "200 000 000,00 €" in text
    assert "15 000 000,00 €" in text
    assert "215 000 000,00 €" in text  # the programme's envelopes together
    assert "198 500 000,00 €" in text  # what the acceleration axis has left for other calls
    assert "Accélération 2027" in text
    assert "9 000 000" not in text  # an unpublished call draws nothing in public
