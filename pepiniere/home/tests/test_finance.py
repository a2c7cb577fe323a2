"""The finance department's pages: multi-year ledgers, money movements with their audit rows,
the exports of each list; what another funder's staff sees of them (nothing)."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.audit.models import AuditEntry
from pepiniere.grants import services as grant_services
from pepiniere.grants.tests.factories import award_kwargs, selected_call
from pepiniere.lib.testing.factories import make_funder, make_user, page_text, plain

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _awarded(n: int = 2, *, dates=None, amount: str = "40000", **call_kwargs):
    """A call with ``n`` awards (decided on ``dates``), its officer and finance person."""
    call, officer, finance, applications = selected_call(n, envelope="500000", **call_kwargs)
    dates = dates or [datetime.date(2015, 7, 2)] * n
    for number, (application, on) in enumerate(zip(applications, dates, strict=True), 1):
        grant_services.award_grant(
            application=application,
            actor=finance,
            **award_kwargs(amount, on=on, decision_reference=f"CP-{on.year}-{number:02d}"),
        )
    return call, officer, finance, applications


def _text(response) -> str:
    """The page's text as a person reads it, on one line."""
    return " ".join(plain(re.sub(r"<[^>]+>", " ", page_text(response))).split())


def _csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_multi_year_page_shows_commitments_by_decision_year_and_the_ledgers():
    call, _officer, finance, _apps = _awarded(
        3, dates=[datetime.date(2015, 7, 2), datetime.date(2015, 12, 1), datetime.date(2016, 3, 4)]
    )
    response = _client(finance).get(reverse("home:finance"))
    assert response.status_code == 200
    text = _text(response)
    assert "Suivi budgétaire pluriannuel" in text
    # 2015: two awards; 2016: one; the running total reaches 120 000 €.
    assert "2015 80 000,00 € 0,00 € 0,00 € 80 000,00 € 0,00 €" in text
    assert "2016 40 000,00 € 0,00 € 0,00 € 120 000,00 € 0,00 €" in text
    assert "Aucun versement n'est encore confirmé" in text
    # Per call and year, then the ledgers per call, axis and programme with what is left.
    assert f"{call.title} {call.funder.name} 80 000,00 € 0,00 € 40 000,00 € 0,00 €" in text
    assert "Par axe prioritaire" in text and "Par programme" in text
    assert "500 000,00 € 120 000,00 € 0 % de l'enveloppe" not in text
    assert "380 000,00 €" in text  # left to commit on the call
    html = response.content.decode()
    assert 'id="finance-years-chart"' in html and 'id="finance-years-data"' in html


def test_another_funders_finance_sees_none_of_it():
    call, _officer, _finance, applications = _awarded(1)
    other = make_user(role=Role.FINANCE, funder=make_funder("Département de la Gironde"))
    client = _client(other)
    text = _text(client.get(reverse("home:finance")))
    assert call.title not in text and "40 000,00 €" not in text
    movements = _text(client.get(reverse("home:movements")))
    assert "0 mouvement" in movements and call.title not in movements
    rows = _csv(client.get(reverse("home:movements_export")))
    assert len(rows) == 1  # the headers only
    entry = AuditEntry.objects.get(action="award", object_id=applications[0].pk)
    assert client.get(reverse("home:audit_entry", args=[entry.pk])).status_code == 404


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.REVIEWER, Role.JURY])
def test_other_roles_are_refused_with_the_reason(role):
    call, *_ = _awarded(1)
    person = make_user(role=role, funder=call.funder if role == Role.JURY else None)
    client = _client(person)
    for name in ("home:finance", "home:movements", "home:finance_export", "home:movements_export"):
        response = client.get(reverse(name))
        assert response.status_code == 403
        assert "réservé aux services financiers" in _text(response)


def test_an_administrator_without_a_funder_role_is_refused():
    _awarded(1)
    admin = make_user(role=Role.ADMIN, is_staff=True, is_superuser=True)
    assert _client(admin).get(reverse("home:finance")).status_code == 403


def test_the_funders_officer_reads_the_ledgers_too():
    call, officer, _finance, _apps = _awarded(1)
    response = _client(officer).get(reverse("home:finance"))
    assert response.status_code == 200 and call.title in _text(response)


def test_the_years_export_in_csv_with_a_decimal_comma_or_point_and_in_xlsx():
    call, _officer, finance, _apps = _awarded(
        2, dates=[datetime.date(2015, 7, 2), datetime.date(2016, 1, 5)], amount="12345.67"
    )
    client = _client(finance)
    url = reverse("home:finance_export")
    comma = _csv(client.get(url, {"table": "annees"}))
    assert comma[0][:3] == ["Année", "Engagé dans l'année", "Versé dans l'année"]
    assert comma[1] == ["2015", "12345,67", "0,00", "0,00", "12345,67", "0,00"]
    assert comma[2] == ["2016", "12345,67", "0,00", "0,00", "24691,34", "0,00"]
    point = _csv(client.get(url, {"table": "annees", "decimal": "point"}))
    assert point[2][4] == "24691.34"
    response = client.get(url, {"table": "appels-annees", "format": "xlsx"})
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == (
        "Appel",
        "Financeur",
        "Engagé 2015",
        "Versé 2015",
        "Engagé 2016",
        "Versé 2016",
        "Engagé total",
        "Versé total",
    )
    assert values[1][0] == call.title and values[1][2] == pytest.approx(12345.67)
    assert values[1][6] == pytest.approx(24691.34)  # numbers, not text
    for table in ("appels", "axes", "programmes"):
        rows = _csv(client.get(url, {"table": table}))
        assert rows[0][2:] == [
            "Enveloppe",
            "Engagé",
            "Versé",
            "Reste à engager",
            "Reste à verser",
        ]
        assert any(row[3] == "24691,34" for row in rows[1:]), (table, rows)


@pytest.mark.parametrize(
    "query",
    [{"table": "tout"}, {"table": "annees", "format": "pdf"}, {"table": "annees", "decimal": "x"}],
)
def test_an_export_that_makes_no_sense_is_a_french_400(query):
    _call, _officer, finance, _apps = _awarded(1)
    response = _client(finance).get(reverse("home:finance_export"), query)
    assert response.status_code == 400
    assert "vaut" in _text(response)


def test_every_commitment_is_listed_with_its_audit_row():
    call, _officer, finance, applications = _awarded(2)
    client = _client(finance)
    response = client.get(reverse("home:movements"))
    text = _text(response)
    assert "2 mouvements" in text
    assert "Engagement (attribution)" in text and "Décision CP-2015-01" in text
    assert applications[0].reference in text and call.title in text
    entry = AuditEntry.objects.get(action="award", object_id=applications[0].pk)
    link = reverse("home:audit_entry", args=[entry.pk])
    assert f'href="{link}"' in response.content.decode()
    detail = _text(client.get(link))
    assert finance.get_full_name() in detail
    assert "État de départ retenu État d'arrivée aide attribuée" in detail  # in words
    assert "Décision CP-2015-01 du 2 juillet 2015 : 40 000,00 €" in detail  # the reason


def test_movements_filter_by_call_year_and_kind_and_refuse_nonsense():
    call, _officer, finance, _apps = _awarded(
        2, dates=[datetime.date(2015, 7, 2), datetime.date(2016, 1, 5)]
    )
    other_call, *_ = _awarded(1)
    finance_other = make_user(role=Role.FINANCE, funder=other_call.funder)
    client = _client(finance)
    url = reverse("home:movements")
    assert "1 mouvement" in _text(client.get(url, {"year": "2016"}))
    assert "2 mouvements" in _text(client.get(url, {"call": call.slug, "kind": "commitment"}))
    assert "0 mouvement" in _text(client.get(url, {"kind": "payment"}))
    for query in ({"call": other_call.slug}, {"year": "deux-mille"}, {"kind": "vol"}):
        assert client.get(url, query).status_code == 400, query
    rows = _csv(client.get(reverse("home:movements_export"), {"year": "2015"}))
    assert [row[1] for row in rows[1:]] == ["Engagement (attribution)"]
    assert rows[1][0] == "02/07/2015" and rows[1][6] == "40000,00"
    assert rows[1][7] == finance.get_full_name() and "CP-2015-01" in rows[1][12]
    assert "0 mouvement" not in _text(_client(finance_other).get(url))


def test_a_co_funders_finance_sees_its_share_only():
    lead = make_funder("Région Aquitaine")
    partner = make_funder("Département de la Gironde")
    call, _officer, finance, (application, *_rest) = selected_call(1, funder=lead)
    call.co_funders.add(partner)
    grant_services.set_co_funding(call=call, funder=partner, amount=Decimal("20000"), actor=finance)
    grant_services.award_grant(
        application=application,
        actor=finance,
        shares={lead.pk: Decimal("30000"), partner.pk: Decimal("10000")},
        **award_kwargs("40000", on=datetime.date(2015, 7, 2)),
    )
    partner_finance = make_user(role=Role.FINANCE, funder=partner)
    rows = _csv(_client(partner_finance).get(reverse("home:finance_export"), {"table": "annees"}))
    assert rows[1][:2] == ["2015", "10000,00"]
    rows = _csv(_client(finance).get(reverse("home:finance_export"), {"table": "annees"}))
    assert rows[1][:2] == ["2015", "30000,00"]


@pytest.mark.parametrize(
    "name", ["home:finance", "home:movements", "home:movements_export", "home:finance_export"]
)
def test_finance_pages_cost_a_pinned_number_of_queries(name, django_assert_num_queries):
    from pepiniere.payments.tests.factories import pay_through, signed_award

    funder = make_funder()
    finance = make_user(role=Role.FINANCE, funder=funder)
    query = {"table": "appels-annees"} if name == "home:finance_export" else {}
    counts = []
    for n in (1, 3):
        for _ in range(n):  # each grant: a call, an award, a signed agreement, one payment
            world = signed_award("40000", funder=funder)
            pay_through(world, world.instalments()[0])
        client = _client(finance)
        client.get(reverse(name), query)  # warm the session and content-type caches
        with django_assert_num_queries(PINNED[name]) as captured:
            assert client.get(reverse(name), query).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


PINNED = {
    # session, user, roles/funders, then the reads (ledger: programmes, axes, calls, lines;
    # movements: every share of the funder's awards with their applications and calls, content
    # types, award audit rows, signed agreement versions, paid orders, recoveries, released
    # accounts, payment audit rows), the menu's roles; movements also read the user's finance
    # funders once (a payment links to its run only for the run's finance staff)
    "home:finance": 15,
    "home:movements": 12,
    "home:movements_export": 11,
    "home:finance_export": 14,
}


def test_a_change_of_bank_details_waits_on_the_finance_and_officer_homes():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from pepiniere.lib.testing.factories import PDF_BYTES
    from pepiniere.organisations.bank_services import submit_bank_details

    call, officer, finance, applications = _awarded(1)
    organisation = applications[0].organisation
    submit_bank_details(
        organisation=organisation,
        actor=applications[0].created_by,
        holder=organisation.name,
        iban="FR76 3000 6000 0112 3456 7890 189",
        rib=SimpleUploadedFile("rib.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    text = _text(_client(finance).get(reverse("home:index")))
    assert "1 changement de coordonnées bancaires attend la validation" in text
    assert organisation.name in text
    text = _text(_client(officer).get(reverse("home:index")))
    assert "1 changement de coordonnées bancaires à valider" in text
    other = make_user(role=Role.FINANCE, funder=make_funder("Département"))
    assert "coordonnées bancaires" not in _text(_client(other).get(reverse("home:index")))


def test_the_finance_menu_item_leads_to_the_ledgers():
    _call, officer, finance, _apps = _awarded(1)
    html = _client(finance).get(reverse("home:movements")).content.decode()
    menu = re.search(r'<nav aria-label="Navigation principale">(.*?)</nav>', html, re.S)
    assert menu is not None
    assert f'<a href="{reverse("home:finance")}" aria-current="page">Finances</a>' in menu.group(1)
    html = _client(officer).get(reverse("home:index")).content.decode()
    assert reverse("home:finance") in html  # the officer reaches it from the home page


# --- After the award: payments, releases, recoveries -----------------------------------------


def _funder_line(world):
    from pepiniere.grants.models import BudgetLine, BudgetScope

    return BudgetLine.objects.get(
        scope=BudgetScope.FUNDER, call=world.call, funder=world.call.funder
    )


def _years_add_up_to_the_ledger(world):
    """The multi-year view summed over the years is the funder's ledger line."""
    from pepiniere.home import finance

    view = finance.multi_year(finance.movements({world.call.funder_id}))
    line = _funder_line(world)
    assert sum((row.committed for row in view.years), Decimal("0")) == line.committed
    assert sum((row.paid for row in view.years), Decimal("0")) == line.paid
    return view


def test_a_confirmed_payment_moves_the_years_paid_and_links_to_its_run_and_audit_row():
    from pepiniere.payments.tests.factories import pay_through, signed_award

    world = signed_award("40000")
    run = pay_through(world, world.instalments()[0])
    assert run is not None
    view = _years_add_up_to_the_ledger(world)
    assert [row.paid for row in view.years][-1] == Decimal("20000")
    client = _client(world.finance)
    text = _text(client.get(reverse("home:finance")))
    assert "Aucun versement n'est encore confirmé" not in text
    year = datetime.date.today().year
    assert f"{year} 40 000,00 € 20 000,00 € 0,00 € 40 000,00 € 20 000,00 €" in text
    response = client.get(reverse("home:movements"), {"kind": "payment"})
    text = _text(response)
    assert "1 mouvement" in text and "Versement" in text and run.reference in text
    html = response.content.decode()
    run_url = reverse("payments_staff:run", args=[run.pk])
    assert f'href="{run_url}"' in html
    # The officer reads the same movement, without a link to the run (which answers 404 to them).
    officer = _client(world.officer)
    response = officer.get(reverse("home:movements"), {"kind": "payment"})
    assert run.reference in _text(response)
    assert run_url not in response.content.decode()
    assert officer.get(run_url).status_code == 404
    entry = AuditEntry.objects.get(action="record_payment")
    detail = _text(client.get(reverse("home:audit_entry", args=[entry.pk])))
    assert "20 000,00 €" in detail and world.finance.get_full_name() in detail
    rows = _csv(client.get(reverse("home:movements_export"), {"kind": "payment"}))
    assert rows[1][1] == "Versement" and rows[1][6] == "20000,00"


def test_termination_releases_the_unpaid_commitment_and_the_refund_takes_back_the_rest():
    from pepiniere.payments import recoveries, services
    from pepiniere.payments.tests.factories import pay_through, signed_award

    world = signed_award("40000")
    pay_through(world, world.instalments()[0])  # 20 000 € paid, no expense justified
    recovery = services.terminate_payments(
        agreement=world.agreement, actor=world.officer, reason="Projet abandonné"
    )
    assert recovery is not None and recovery.amount == Decimal("20000")
    found = {m.kind: m for m in finance_movements(world)}
    assert found["release"].amount == Decimal("20000")  # the unpaid half, back to the envelope
    assert found["recovery"].amount == Decimal("20000")  # what must come back
    assert found["release"].audit is not None and found["recovery"].audit is not None
    _years_add_up_to_the_ledger(world)
    recovery = recoveries.issue_recovery(
        recovery=recovery, actor=world.finance, title_reference="TR-2026-0042"
    )
    recoveries.record_recovered(recovery=recovery, actor=world.finance)
    view = _years_add_up_to_the_ledger(world)
    assert (view.years[-1].committed, view.years[-1].paid) == (Decimal("0"), Decimal("0"))
    found = {m.kind: m for m in finance_movements(world)}
    assert found["refund"].amount == Decimal("20000") and found["refund"].label == "TR-2026-0042"
    text = _text(_client(world.finance).get(reverse("home:movements")))
    assert "Reversement encaissé" in text and "Dégagement" in text


def finance_movements(world):
    from pepiniere.home import finance

    return finance.movements({world.call.funder_id})


def test_what_waits_for_finance_and_for_the_officer_after_the_award():
    from pepiniere.payments import runs, services
    from pepiniere.payments.tests.factories import accept_all, signed_award

    world = signed_award("40000")
    first = world.instalments()[0]
    services.request_instalment(instalment=first, actor=world.member, report="", expenses=[])
    officer_home = _text(_client(world.officer).get(reverse("home:index")))
    assert "1 demande de versement à vérifier" in officer_home
    first.refresh_from_db()
    services.check_request(instalment=first, actor=world.officer, decisions=accept_all(first))
    finance_home = _client(world.finance).get(reverse("home:index"))
    assert "1 versement vérifié à autoriser" in _text(finance_home)
    assert reverse("payments_staff:to_authorise") in finance_home.content.decode()
    first.refresh_from_db()
    services.authorise_instalment(instalment=first, actor=world.finance)
    assert "1 versement autorisé attend un lot de paiement" in _text(
        _client(world.finance).get(reverse("home:index"))
    )
    runs.create_payment_run(funder=world.call.funder, actor=world.finance)
    text = _text(_client(world.finance).get(reverse("home:index")))
    assert "1 lot de paiement à confirmer payé" in text
    other = make_user(role=Role.FINANCE, funder=make_funder("Département"))
    assert "lot de paiement" not in _text(_client(other).get(reverse("home:index")))
