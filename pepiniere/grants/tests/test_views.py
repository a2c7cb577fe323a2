import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Status
from pepiniere.grants import services
from pepiniere.grants.models import AidRecord
from pepiniere.grants.tests.factories import award_kwargs, selected_call
from pepiniere.lib.testing.factories import make_user, page_text, plain

pytestmark = pytest.mark.django_db


def test_awards_page_shows_the_ledger_to_staff_and_nothing_to_others(client):
    call, officer, finance, applications = selected_call(2)
    services.award_grant(application=applications[0], actor=finance, **award_kwargs("40000"))
    url = reverse("grants:call", args=[call.slug])
    for user in (officer, finance):
        client.force_login(user)
        page = plain(page_text(client.get(url)))
        assert f"Appel — {call.title}" in page
        assert "100 000,00 €" in page and "40 000,00 €" in page and "60 000,00 €" in page
        assert "Attribuer" in page
    client.force_login(make_user(role=Role.JURY, funder=call.funder))
    assert "Attribuer" not in page_text(client.get(url))
    for outsider in (
        applications[0].created_by,
        make_user(role=Role.OFFICER),
        make_user(role=Role.FINANCE),
    ):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert (
            client.get(reverse("grants:award", args=[call.slug, applications[1].pk])).status_code
            == 404
        )


def test_officer_awards_from_the_form_and_sees_the_de_minimis_refusal(client):
    call, officer, _finance, (first, second) = selected_call(2)
    services.declare_aid(
        organisation=second.organisation,
        actor=second.created_by,
        funder_name="Bpifrance",
        amount=Decimal("280000"),
        granted_on=datetime.date.today() - datetime.timedelta(days=730),
    )
    client.force_login(officer)
    form = {
        "amount": "40 000,00",
        "decision_reference": "CP 2026-07-10 n° 26.1234",
        "decision_date": datetime.date.today().isoformat(),
    }
    response = client.post(reverse("grants:award", args=[call.slug, first.pk]), form)
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == Status.AWARDED
    url = reverse("grants:award", args=[call.slug, second.pk])
    page = plain(page_text(client.get(url)))
    assert (
        "Bpifrance" in page
        and "280 000,00 €" in page
        and "marge restante : <strong>20 000,00 €</strong>" in page
    )
    response = client.post(url, form)
    assert response.status_code == 422
    page = plain(page_text(response))
    assert "Plafond de minimis dépassé" in page and "dépassement : 20 000,00 €" in page
    second.refresh_from_db()
    assert second.status == Status.SELECTED


def test_members_declare_aid_on_their_organisation_page_only(client):
    call, _officer, _finance, (application,) = selected_call(1)
    organisation = application.organisation
    url = reverse("aid:minimis", args=[organisation.pk])
    client.force_login(application.created_by)
    response = client.post(
        url,
        {
            "funder_name": "Bpifrance",
            "amount": "280 000",
            "granted_on": "2025-03-01",
            "beneficiary_name": "",
        },
    )
    assert response.status_code == 302
    page = plain(page_text(client.get(url)))
    assert "Bpifrance" in page and "280 000,00 €" in page and "jusqu'au 29 février 2028" in page
    assert AidRecord.objects.get().source == "declared"
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    client.force_login(make_user(role=Role.OFFICER, funder=call.funder))
    assert client.get(url).status_code == 404


def test_list_pages_keep_their_query_count_as_rows_grow(client, django_assert_max_num_queries):
    def build(n):
        call, officer, finance, applications = selected_call(n, envelope="1000000")
        for application in applications[: n // 2]:
            services.award_grant(application=application, actor=finance, **award_kwargs("40000"))
            services.declare_aid(
                organisation=applications[0].organisation,
                actor=applications[0].created_by,
                funder_name="Bpifrance",
                amount=Decimal("1000"),
                granted_on=datetime.date(2025, 1, 1),
            )
        return call, officer, applications

    small, big = build(2), build(8)
    for page in ("grants:call", "grants:award", "aid:minimis"):
        counts = []
        for call, officer, applications in (small, big):
            if page == "grants:call":
                client.force_login(officer)
                url = reverse(page, args=[call.slug])
            elif page == "grants:award":
                client.force_login(officer)
                url = reverse(page, args=[call.slug, applications[0].pk])
            else:
                client.force_login(applications[0].created_by)
                url = reverse(page, args=[applications[0].organisation.pk])
            with django_assert_max_num_queries(30) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured.captured_queries))
        assert counts[1] <= counts[0], (page, counts)


def test_the_award_form_dates_the_decision_on_the_jury_session_not_today(client):
    from django.utils import timezone

    from pepiniere.reviews.models import JuryDecision, JurySession

    call, officer, _finance, (application, undecided) = selected_call(2)
    session = JurySession.objects.create(call=call, held_on=datetime.date(2026, 7, 10))
    JuryDecision.objects.create(
        session=session,
        application=application,
        rank=1,
        proposed="selected",
        decision="selected",
        decided_by=officer,
        decided_at=timezone.now(),
    )
    client.force_login(officer)
    page = page_text(client.get(reverse("grants:award", args=[call.slug, application.pk])))
    assert 'name="decision_date" value="2026-07-10"' in page
    # No session decided the other one (arranged directly): today, as before.
    page = page_text(client.get(reverse("grants:award", args=[call.slug, undecided.pk])))
    assert f'name="decision_date" value="{datetime.date.today().isoformat()}"' in page
