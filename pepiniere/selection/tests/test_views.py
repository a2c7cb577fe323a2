import datetime

import pytest
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.lib.testing.factories import make_user, page_text, plain
from pepiniere.selection import jury, services
from pepiniere.selection.constraints import ConstraintSpec
from pepiniere.selection.models import Scenario
from pepiniere.selection.tests.factories import ranked_call

pytestmark = pytest.mark.django_db

PROJECTS = [("33", 40000, 5), ("33", 40000, 5), ("24", 30000, 4), ("40", 20000, 3)]


@pytest.fixture
def ranked():
    return ranked_call(PROJECTS, envelope="100000")


def test_officer_creates_a_scenario_with_constraints_from_the_page(client, ranked):
    call, officer, apps = ranked
    client.force_login(officer)
    url = reverse("selection:scenarios", args=[call.slug])
    form_page = client.get(url).content.decode()
    assert "Nouveau scénario" in form_page
    # The envelope the form starts with reads as a French user types it, not « 100000.00 ».
    assert 'value="100 000"' in form_page
    response = client.post(
        url,
        {
            "name": "Hors Gironde",
            "rule": "ranked",
            "budget": "100 000",
            "project_cap": "35 000",
            "partial_min_percent": "50",
            "rows": "3",
            "c-0-tag": "departement",
            "c-0-value": "24, 40, 47, 64",
            "c-0-kind": "min_share",
            "c-0-amount": "40",
        },
        follow=True,
    )
    page = plain(page_text(response))
    assert "Scénario « Hors Gironde »" in page
    assert "au moins 40 % de l'enveloppe pour département : 24, 40, 47 ou 64" in page
    assert "Montant plafonné à 35 000,00 € par projet (demande : 40 000,00 €)" in page
    scenario = Scenario.objects.get(name="Hors Gironde")
    assert scenario.constraints == [
        {
            "tag": "departement",
            "value": ["24", "40", "47", "64"],
            "kind": "min_share",
            "amount": "0.4",
        }
    ]


def test_a_wrong_constraint_is_explained_and_nothing_is_created(client, ranked):
    call, officer, _apps = ranked
    client.force_login(officer)
    response = client.post(
        reverse("selection:scenarios", args=[call.slug]),
        {
            "name": "Faux",
            "rule": "ranked",
            "budget": "100000",
            "partial_min_percent": "50",
            "rows": "1",
            "c-0-tag": "departement",
            "c-0-value": "24",
            "c-0-kind": "min_share",
            "c-0-amount": "150",
        },
    )
    assert response.status_code == 422
    assert "Un pourcentage est compris entre 0 et 100." in page_text(response)
    assert not Scenario.objects.exists()


def test_jury_reads_scenarios_but_only_officers_change_them_and_outsiders_see_nothing(
    client, ranked
):
    call, officer, apps = ranked
    scenario = services.create_scenario(call=call, actor=officer, name="Classement simple")
    juror = make_user(role=Role.JURY, funder=call.funder)
    client.force_login(juror)
    page = page_text(client.get(reverse("selection:scenarios", args=[call.slug])))
    assert "Classement simple" in page and "Nouveau scénario" not in page
    detail = reverse("selection:detail", args=[call.slug, scenario.pk])
    assert client.get(detail).status_code == 200
    assert client.post(detail, {"send": ""}).status_code == 404
    for outsider in (
        apps[0].created_by,
        make_user(role=Role.OFFICER),
        make_user(role=Role.REVIEWER),
    ):
        client.force_login(outsider)
        assert client.get(reverse("selection:scenarios", args=[call.slug])).status_code == 404
        assert client.get(detail).status_code == 404


def test_officer_sends_a_scenario_to_the_jury_and_compares_two(client, ranked):
    call, officer, apps = ranked
    first = services.create_scenario(call=call, actor=officer, name="Classement simple")
    second = services.create_scenario(
        call=call,
        actor=officer,
        name="Territoire",
        constraints=[ConstraintSpec("departement", ["24", "40"], "min_share", "0.5")],
    )
    client.force_login(officer)
    client.post(reverse("selection:detail", args=[call.slug, second.pk]), {"send": ""})
    second.refresh_from_db()
    assert second.is_sent_to_jury
    response = client.get(
        reverse("selection:compare", args=[call.slug]), {"s": [first.pk, second.pk]}
    )
    page = plain(page_text(response))
    assert "dossiers dont le sort change" in page
    assert (
        apps[1].reference
        in page.split("dossiers dont le sort change")[1].split("Tous les dossiers")[0]
    )
    juror = make_user(role=Role.JURY, funder=call.funder)
    jury.open_session(call=call, actor=juror, held_on=datetime.date.today(), members=[juror])
    client.force_login(juror)
    jury_page = plain(page_text(client.get(reverse("selection:jury", args=[call.slug]))))
    assert "Financé en totalité au rang 1 : 40 000,00 €." in jury_page


def test_scenario_pages_keep_their_query_count_as_rows_grow(client, django_assert_max_num_queries):
    small_call, small_officer, _ = ranked_call(PROJECTS[:2], envelope="100000")
    services.create_scenario(call=small_call, actor=small_officer, name="Un")
    services.create_scenario(call=small_call, actor=small_officer, name="Deux")
    big_call, big_officer, _ = ranked_call(PROJECTS * 2, envelope="100000")
    for name in ("Un", "Deux", "Trois", "Quatre"):
        services.create_scenario(call=big_call, actor=big_officer, name=name)
    pages = [
        ("selection:scenarios", {}),
        ("selection:compare", {"s": "ids"}),
        ("selection:detail", {"pk": "first"}),
    ]
    for name, options in pages:
        counts = []
        for call, officer in ((small_call, small_officer), (big_call, big_officer)):
            client.force_login(officer)
            ids = list(Scenario.objects.filter(call=call).values_list("pk", flat=True))
            args = [call.slug] + ([ids[0]] if "pk" in options else [])
            query = {"s": ids} if "s" in options else {}
            with django_assert_max_num_queries(40) as captured:
                assert client.get(reverse(name, args=args), query).status_code == 200
            counts.append(len(captured.captured_queries))
        assert counts[1] <= counts[0], (name, counts)
