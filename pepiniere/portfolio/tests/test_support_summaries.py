"""The portfolio list reads what each funder gave each organisation from its support summaries:
they follow an award made and amended through the grants services, and the migration that
created them wrote those of the awards made before."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.grants import services
from pepiniere.grants.tests.factories import award_kwargs, selected_call
from pepiniere.lib.testing.factories import (
    make_call,
    make_funder,
    make_organisation,
    make_user,
    page_text,
    plain,
)
from pepiniere.portfolio.models import SupportedAward, SupportSummary
from pepiniere.portfolio.tests import factories
from pepiniere.portfolio.tests.factories_portfolio import support

LIST = reverse("portfolio:list")


def _rows(client, **query):
    response = client.get(LIST, query)
    assert response.status_code == 200
    return [(o.name, f.total if f else None) for o, f in response.context["rows"]], plain(
        page_text(response)
    )


@pytest.mark.django_db
def test_an_award_made_then_amended_moves_its_organisation_on_the_list_sorted_by_amount(client):
    call, officer, _finance, (first, second) = selected_call(2)
    big = services.award_grant(application=first, actor=officer, **award_kwargs("30000"))
    services.award_grant(
        application=second, actor=officer, **award_kwargs("20000", decision_reference="CP-2")
    )
    big_name, small_name = first.organisation.name, second.organisation.name
    client.force_login(officer)

    rows, text = _rows(client, sort="-total")
    assert rows == [(big_name, Decimal("30000")), (small_name, Decimal("20000"))]
    assert "30 000,00 €" in text

    # An amendment (avenant) lowers the first award: its organisation goes down the list.
    services.amend_award_amount(award=big, amount=Decimal("12500.50"), actor=officer)
    rows, text = _rows(client, sort="-total")
    assert rows == [(small_name, Decimal("20000")), (big_name, Decimal("12500.50"))]
    assert "12 500,50 €" in text and "30 000,00 €" not in text
    # The same within an award filter (the awards of this call, this year).
    year = str(datetime.date.today().year)
    rows, _text = _rows(client, sort="total", call=call.slug, year=year)
    assert rows == [(big_name, Decimal("12500.50")), (small_name, Decimal("20000"))]
    # And in the export.
    export = client.get(reverse("portfolio:export"), {"format": "csv", "sort": "-total"})
    lines = export.content.decode("utf-8-sig").splitlines()
    assert [line.split(";")[0] for line in lines[1:]] == [small_name, big_name]
    assert lines[2].split(";")[11] == "12500,50"


@pytest.mark.django_db
def test_a_second_award_adds_up_and_keeps_the_first_date(client):
    call, officer, _finance, (first, second) = selected_call(2)
    # The same organisation applied twice (two projects): both awarded, months apart.
    second.organisation = first.organisation
    second.save(update_fields=["organisation"])
    on = datetime.date.today()
    services.award_grant(
        application=first,
        actor=officer,
        **award_kwargs("10000", on=on - datetime.timedelta(days=90)),
    )
    services.award_grant(
        application=second, actor=officer, **award_kwargs("5000", on=on, decision_reference="B")
    )
    summary = SupportSummary.objects.get(funder=call.funder, organisation=first.organisation)
    assert (summary.awards, summary.total) == (2, Decimal("15000"))
    assert (summary.first_award, summary.last_award) == (on - datetime.timedelta(days=90), on)
    everyone = SupportSummary.objects.get(funder=None, organisation=first.organisation)
    assert (everyone.awards, everyone.total) == (2, Decimal("15000"))


@pytest.mark.django_db
def test_co_funded_awards_count_once_for_a_person_of_both_funders(client):
    region, state = make_funder("Région"), make_funder("État")
    call = make_call(funder=region, fields=False)
    shared = make_organisation(name="Cofinancée SAS")
    alone = make_organisation(name="Régionale SAS")
    support(shared, call, amount="30000", shares={region: "20000", state: "10000"})
    support(alone, call, amount="25000")
    both = make_user(role=Role.OFFICER, funder=region)
    both.role_grants.create(role=Role.FINANCE, funder=state)
    client.force_login(both)
    rows, _text = _rows(client, sort="-total")
    assert rows == [("Cofinancée SAS", Decimal("30000")), ("Régionale SAS", Decimal("25000"))]
    client.force_login(make_user(role=Role.OFFICER, funder=state))
    assert _rows(client, sort="-total")[0] == [("Cofinancée SAS", Decimal("30000"))]
    admin = make_user(role=Role.ADMIN)
    client.force_login(admin)
    assert _rows(client, sort="-total")[0] == rows


# serialized_rollback: reload the reference data (départements, legal forms) that the flush after
# another transactional test has emptied.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_writes_the_summaries_of_the_awards_made_before_it():
    executor = MigrationExecutor(connection)
    before = [("portfolio", "0001_initial")]
    latest = executor.loader.graph.leaf_nodes("portfolio")
    region, state = make_funder("Région"), make_funder("État")
    call = make_call(funder=region, fields=False)
    twice, once = make_organisation(name="Deux fois SAS"), make_organisation(name="Une fois SAS")
    # Awards written as rows (no hook), as they stood before the summaries existed.
    factories.award(twice, call, datetime.date(2016, 6, 1), amount="40000")
    second = factories.award(twice, call, datetime.date(2019, 3, 1), amount="10000.50")
    second.shares.update(amount=Decimal("5000.50"))
    second.shares.create(funder=state, amount=Decimal("5000"))
    factories.award(once, call, datetime.date(2017, 1, 15), amount="8000")
    try:
        executor.migrate(before)
        executor.loader.build_graph()
        executor.migrate(latest)
    finally:
        executor.loader.build_graph()
        MigrationExecutor(connection).migrate(latest)
    summaries = {
        (s.funder_id, s.organisation.name): (s.awards, s.total, s.first_award, s.last_award)
        for s in SupportSummary.objects.select_related("organisation")
    }
    assert summaries == {
        (region.pk, "Deux fois SAS"): (
            2,
            Decimal("50000.50"),
            datetime.date(2016, 6, 1),
            datetime.date(2019, 3, 1),
        ),
        (None, "Deux fois SAS"): (
            2,
            Decimal("50000.50"),
            datetime.date(2016, 6, 1),
            datetime.date(2019, 3, 1),
        ),
        (state.pk, "Deux fois SAS"): (
            1,
            Decimal("10000.50"),
            datetime.date(2019, 3, 1),
            datetime.date(2019, 3, 1),
        ),
        (region.pk, "Une fois SAS"): (
            1,
            Decimal("8000"),
            datetime.date(2017, 1, 15),
            datetime.date(2017, 1, 15),
        ),
        (None, "Une fois SAS"): (
            1,
            Decimal("8000"),
            datetime.date(2017, 1, 15),
            datetime.date(2017, 1, 15),
        ),
    }
    # Each award once per funder paying a share of it, and once for every funder.
    assert SupportedAward.objects.filter(funder=region).count() == 3
    assert SupportedAward.objects.filter(funder=state).count() == 1
    assert SupportedAward.objects.filter(funder=None).count() == 3
