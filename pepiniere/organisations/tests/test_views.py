import pytest
from django.urls import reverse

from pepiniere.lib.testing.factories import make_organisation, make_user, page_text
from pepiniere.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "name": "Les Voiles Partagées",
        "kind": "startup",
        "siret": "356 000 000 00048",
        "departement": "33",
        "commune_code": "33063",
        "commune_name": "Bordeaux",
        "naf_code": "62.01Z",
    }
    data.update(overrides)
    return data


def test_applicant_declares_an_organisation_and_becomes_its_owner(client):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("organisations:create"), _form())
    organisation = Organisation.objects.get(name="Les Voiles Partagées")
    assert response.status_code == 302
    assert organisation.siret == "35600000000048"
    assert organisation.siren == "356000000"
    assert organisation.memberships.get().user == user


def test_wrong_siret_is_refused_with_its_reason_and_nothing_is_created(client):
    client.force_login(make_user())
    response = client.post(reverse("organisations:create"), _form(siret="35600000000049"))
    assert response.status_code == 200
    assert "La Poste" in page_text(response)
    assert not Organisation.objects.exists()


def test_commune_must_lie_in_the_departement(client):
    client.force_login(make_user())
    response = client.post(reverse("organisations:create"), _form(commune_code="64445"))
    assert "n'est pas dans le département" in page_text(response)


def test_association_needs_an_rna_or_a_siret(client):
    client.force_login(make_user())
    response = client.post(reverse("organisations:create"), _form(kind="association", siret=""))
    assert "numéro RNA" in page_text(response)
    response = client.post(
        reverse("organisations:create"), _form(kind="association", siret="", rna="W332001234")
    )
    assert response.status_code == 302


def test_a_stranger_cannot_see_or_edit_an_organisation(client):
    organisation = make_organisation(member=make_user())
    client.force_login(make_user())
    assert client.get(reverse("organisations:detail", args=[organisation.pk])).status_code == 404
    assert (
        client.post(reverse("organisations:edit", args=[organisation.pk]), _form()).status_code
        == 404
    )


def test_address_and_legal_representative_are_kept_for_the_agreements(client):
    client.force_login(make_user())
    client.post(
        reverse("organisations:create"),
        _form(
            street_address="12 quai des Chartrons",
            postal_code="33 000",
            representative_name="Camille Martin",
            representative_title="Présidente",
        ),
    )
    organisation = Organisation.objects.get()
    assert organisation.postal_address == "12 quai des Chartrons, 33000 Bordeaux"
    page = page_text(client.get(reverse("organisations:detail", args=[organisation.pk])))
    assert "12 quai des Chartrons, 33000 Bordeaux" in page
    assert "Camille Martin, Présidente" in page


def test_a_postal_code_has_five_digits(client):
    client.force_login(make_user())
    response = client.post(reverse("organisations:create"), _form(postal_code="3300"))
    assert "5 chiffres" in page_text(response)
    assert not Organisation.objects.exists()
