"""The officers' impact dashboard and a programme's public page: what each shows, to whom, the
CSV downloads, statistical secrecy, query counts."""

import re

import pytest
from django.urls import reverse

from pepiniere.lib.testing.factories import page_text, plain

pytestmark = pytest.mark.django_db


def text_of(client, user, url):
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return plain(page_text(response))


def csv_of(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return plain(response.content.decode("utf-8-sig"))


def visible(text: str) -> str:
    """The page without its markup, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def test_dashboard_shows_every_indicator_with_its_definition(
    client, world, django_assert_max_num_queries
):
    client.force_login(world["officer"])
    url = reverse("impact:dashboard") + f"?programme={world['programme'].slug}&annee=2020"
    # Never computed: the indicators (46 queries, RCO04's two with the accelerator registered),
    # the counterfactual section and the forecast (16), computed once in the request and stored
    # (8: two snapshots read, then written).
    with django_assert_max_num_queries(70):
        response = client.get(url)
    text = visible(plain(page_text(response)))
    for code in ("RCR01", "RCO01", "RCO02", "RCO04", "RCO05", "RCR02", "RCR17", "RCR19"):
        assert f"{code} — " in text
    assert "Investissements privés complétant le soutien public" in text
    assert "budget éligible de la convention signée" in text  # the definition beside it
    assert "Autofinancement des projets 262 345 €" in text
    assert "ETP créés 15,0" in text
    assert "Entreprises accompagnées 0" in text  # RCO04: the accelerator, no stay here
    # Officers see every cell of their funder, a one-firm call included; no other funder's firm.
    assert "Amorçage 2018 7,0" in text
    assert "12 345 €" in text
    assert "999" not in text and "900,0" not in text
    assert "secret statistique" not in text


def test_the_dashboard_query_count_is_pinned(client, world, django_assert_num_queries):
    client.force_login(world["officer"])
    url = reverse("impact:dashboard") + "?annee=2020&par=departement"
    # Computed: a few aggregate queries per indicator, none per organisation or report, and the
    # snapshot read then written (4); RCO04 (the accelerator's stays) is two of them.
    with django_assert_num_queries(50):
        client.get(url)
    # Read again: the session, the scope's choices and the data version, nothing else.
    with django_assert_num_queries(10):
        client.get(url)


def test_who_may_read_the_dashboard(client, world):
    url = reverse("impact:dashboard") + f"?programme={world['programme'].slug}&annee=2020"
    assert client.get(url).status_code == 302  # to the login page
    for user, status in (
        (world["applicant"], 403),
        (world["other_officer"], 403),  # another funder's programme
        (world["finance"], 200),
        (world["admin"], 200),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status, user
    # The other funder's officer, on their own scope, sees only their own firm.
    text = text_of(client, world["other_officer"], reverse("impact:dashboard") + "?annee=2020")
    assert "ETP créés 899,0" in visible(text) and "262 345" not in text
    client.force_login(world["officer"])
    assert client.get(reverse("impact:dashboard") + "?appel=nope").status_code == 404
    assert (
        client.get(reverse("impact:dashboard") + f"?appel={world['other_call'].slug}").status_code
        == 403
    )
    assert client.get(reverse("impact:dashboard") + "?annee=abc&par=zzz").status_code == 200


def test_dashboard_csv_has_the_page_figures(client, world):
    client.force_login(world["officer"])
    url = reverse("impact:dashboard_csv") + f"?programme={world['programme'].slug}&annee=2020"
    lines = csv_of(client.get(url)).splitlines()
    assert lines[0] == "Indicateur;Mesure;Détail;Groupe ou année;Valeur;Unité"
    assert "RCR02;autofinancement des projets;total;2020;262345,00;€" in lines
    assert "RCO04;entreprises accompagnées;total;2020;0;entreprises" in lines
    assert "RCR02;autofinancement des projets;Appel à projets;Amorçage 2018;12345,00;€" in lines
    assert "RCR01;ETP créés;Année;2020;15,00;ETP" in lines
    assert client.get(reverse("impact:dashboard_csv")).status_code == 200
    client.force_login(world["applicant"])
    assert client.get(url).status_code == 403


def test_public_page_needs_no_login_and_shows_aggregates(
    client, world, django_assert_max_num_queries
):
    url = reverse("impact:public_programme", args=[world["programme"].slug]) + "?annee=2020"
    with django_assert_max_num_queries(63):  # RCO04's two with the accelerator registered
        response = client.get(url)
    text = visible(plain(page_text(response)))
    assert "Impact du programme « Feuille de route numérique »" in text
    assert "Annoncé : Des milliers d'emplois en trois ans." in text
    assert "Autofinancement des projets 262 345 €" in text
    assert "ETP créés 15,0" in text
    for name in ("Firme 1", "Solo", "Étrangère"):
        assert name not in text  # aggregates only
    assert client.get(reverse("impact:public_programme", args=["nope"])).status_code == 404


def test_a_cell_on_fewer_than_three_firms_is_masked_on_the_page_and_in_the_csv(client, world):
    slug = world["programme"].slug
    for par in ("call", "award_year"):
        html = plain(
            page_text(
                client.get(
                    reverse("impact:public_programme", args=[slug]) + f"?annee=2020&par={par}"
                )
            )
        )
        csv = csv_of(
            client.get(reverse("impact:public_csv", args=[slug]) + f"?annee=2020&par={par}")
        )
        assert "secret statistique" in html and "secret statistique" in csv
        # Solo's 12 345 € and 7 FTE, and (secondary secrecy) the 250 000 € of the four others,
        # which the total minus the visible groups would otherwise give back.
        for hidden in ("12 345", "12345", "12,345", "250 000", "250000"):
            assert hidden not in html, (par, hidden)
            assert hidden not in csv, (par, hidden)
        assert "7,0" not in visible(html).replace("17,0", "")
        assert ";7,00;" not in csv
        row = next(
            line for line in csv.splitlines() if "autofinancement" in line and ";total;" in line
        )
        assert row.endswith("262345,00;€")
