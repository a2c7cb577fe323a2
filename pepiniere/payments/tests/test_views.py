"""The payments pages: who sees what, the request form's per-line messages (nothing typed lost),
the check page, four-eyes, runs and their files, recoveries; query counts pinned."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pepiniere.accounts.models import Role
from pepiniere.lib.dates import long_date
from pepiniere.lib.testing.factories import make_funder, make_user, page_text, plain
from pepiniere.organisations.models import OrganisationKind
from pepiniere.payments import services
from pepiniere.payments.models import Instalment, PaymentRun
from pepiniere.payments.tests.factories import (
    expense,
    hold_bank_details,
    pay_through,
    signed_award,
)


def _request_of(instalment):
    request = services.current_request(instalment)
    assert request is not None
    return request


pytestmark = pytest.mark.django_db


def _checked(world, instalment=None):
    instalment = instalment or world.instalments()[0]
    services.request_instalment(instalment=instalment, actor=world.member)
    services.check_request(instalment=instalment, actor=world.officer, decisions={})
    return instalment


def test_the_beneficiary_sees_its_schedule_and_others_see_nothing(client):
    world = signed_award("40000")
    url = reverse("payments:schedule", args=[world.award.application.pk])
    client.force_login(world.member)
    text = plain(page_text(client.get(url)))
    assert "20 000,00 €" in text and "Avance à la signature" in text
    assert "Demander ce versement" in text
    for stranger in (
        make_user(),
        make_user(role=Role.FINANCE, funder=make_funder("Autre")),
        make_user(role=Role.OFFICER, funder=make_funder("Autre")),
    ):
        client.force_login(stranger)
        assert client.get(url).status_code == 404
    client.force_login(world.finance)
    response = client.get(url)
    assert response.status_code == 200 and "Demander ce versement" not in page_text(response)


def _post_lines(client, url, rows, report="Rapport"):
    data = {"report": report}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"e-{i}-{key}"] = value
    return client.post(url, data)


GOOD = {
    "category": "Prestations",
    "supplier": "Imprimerie Dupont",
    "invoice_reference": "FA-100",
    "invoice_date": "2026-03-02",
    "amount_excl_vat": "1 000,00",
    "amount_incl_vat": "1 200,00",
}


def test_impossible_lines_get_their_message_on_the_line_and_nothing_typed_is_lost(client):
    world = signed_award("40000")
    first, second, _final = world.instalments()
    pay_through(world, first, report="")
    pay_through(world, second, expenses=[expense("FA-7", supplier="Cabinet Martin")])
    final = world.instalments()[2]
    client.force_login(world.member)
    url = reverse("payments:request", args=[final.pk])
    future = timezone.localdate() + datetime.timedelta(days=30)
    rows = [
        {**GOOD, "invoice_reference": "FA-101", "amount_excl_vat": "-50"},
        {**GOOD, "invoice_reference": "FA-102", "amount_incl_vat": "900"},
        {**GOOD, "invoice_reference": "FA-103", "invoice_date": "2025-12-31"},
        {**GOOD, "supplier": "Cabinet Martin", "invoice_reference": "fa 7"},
        {**GOOD, "invoice_reference": "FA-104"},
        {**GOOD, "invoice_reference": "FA-105", "invoice_date": future.isoformat()},
    ]
    response = _post_lines(client, url, rows, report="Mon rapport final")
    assert response.status_code == 400
    text = plain(page_text(response))
    assert "le montant ne peut pas être négatif" in text
    assert "Le montant TTC (900,00 €) ne peut pas être inférieur au montant HT (1 000,00 €)" in text
    assert "Facture du 31 décembre 2025 hors de la période du projet" in text
    assert "figure déjà dans une autre demande de versement de votre structure" in text
    assert f"Facture datée du {long_date(future)}, après aujourd'hui" in text
    # every value typed comes back, the good line too
    for value in ("-50", "FA-104", "fa 7", "2025-12-31", "Mon rapport final"):
        assert value in text
    assert Instalment.objects.get(pk=final.pk).status == "planned"


def test_a_good_request_is_sent_and_the_officer_checks_it_line_by_line(client):
    world = signed_award("40000")
    first, second, _final = world.instalments()
    pay_through(world, first, report="")
    client.force_login(world.member)
    response = _post_lines(client, reverse("payments:request", args=[second.pk]), [GOOD])
    assert response.status_code == 302
    assert Instalment.objects.get(pk=second.pk).status == "requested"
    client.force_login(world.officer)
    assert "FA-100" not in page_text(client.get(reverse("payments_staff:to_check")))
    assert world.award.application.reference in page_text(
        client.get(reverse("payments_staff:to_check"))
    )
    line = _request_of(second).lines.get()
    check_url = reverse("payments_staff:check", args=[second.pk])
    refused = client.post(check_url, {f"d-{line.pk}": "refuse", f"r-{line.pk}": ""})
    assert refused.status_code == 400
    assert "Un refus est motivé" in page_text(refused)
    ok = client.post(check_url, {f"d-{line.pk}": "refuse", f"r-{line.pk}": "Hors projet"})
    assert ok.status_code == 302
    assert Instalment.objects.get(pk=second.pk).status == "checked"


def test_four_eyes_on_the_authorisation_page(client):
    world = signed_award()
    instalment = _checked(world)
    from pepiniere.accounts.models import RoleGrant

    RoleGrant.objects.create(user=world.officer, role=Role.FINANCE, funder=world.call.funder)
    Instalment.objects.filter(pk=instalment.pk).update(checked_by=world.officer)
    client.force_login(world.officer)
    page = page_text(client.get(reverse("payments_staff:to_authorise")))
    assert "Vous avez vérifié cette demande" in page
    response = client.post(reverse("payments_staff:authorise", args=[instalment.pk]))
    assert response.status_code == 403
    assert "principe des quatre yeux" in page_text(response)
    client.force_login(world.finance)
    assert client.post(reverse("payments_staff:authorise", args=[instalment.pk])).status_code == 302
    assert Instalment.objects.get(pk=instalment.pk).status == "authorised"


def test_finance_makes_a_run_downloads_both_files_and_confirms_line_by_line(client):
    from pepiniere.payments import files

    world = signed_award()
    funder = world.call.funder
    funder.siret, funder.iban, funder.bic = "21330063500017", "FR1420041010050500013M02606", ""
    funder.save()
    instalment = _checked(world)
    services.authorise_instalment(instalment=instalment, actor=world.finance)
    client.force_login(world.finance)
    response = client.post(reverse("payments_staff:create_run"), {"funder": world.call.funder.pk})
    run = PaymentRun.objects.get()
    assert response.status_code == 302
    csv = client.get(reverse("payments_staff:run_file", args=[run.pk, "mandatement"]))
    assert csv.status_code == 200 and "20000,00" in csv.content.decode("utf-8-sig")
    xml = client.get(reverse("payments_staff:run_file", args=[run.pk, "sepa"]))
    assert files.sepa_errors(xml.content) == []
    order = run.orders.get()
    client.post(
        reverse("payments_staff:confirm_run", args=[run.pk]),
        {"scope": "selected", "order": order.pk},
    )
    assert Instalment.objects.get(pk=instalment.pk).status == "paid"
    again = client.post(
        reverse("payments_staff:confirm_run", args=[run.pk]), {"scope": "all"}, follow=True
    )
    assert "rien de plus n'est payé" in page_text(again)
    stranger = make_user(role=Role.FINANCE, funder=make_funder("Autre"))
    client.force_login(stranger)
    assert client.get(reverse("payments_staff:run", args=[run.pk])).status_code == 404
    assert run.reference not in page_text(client.get(reverse("payments_staff:runs")))


def test_a_held_instalment_shows_why_on_the_authorisation_page(client):
    world = signed_award()
    instalment = _checked(world)
    services.authorise_instalment(instalment=instalment, actor=world.finance)
    hold_bank_details(world)
    client.force_login(world.finance)
    assert "coordonnées bancaires en attente de validation" in page_text(
        client.get(reverse("payments_staff:to_authorise"))
    )


def test_an_association_final_asks_for_the_cerfa_report_with_its_due_date(client):
    world = signed_award(kind=OrganisationKind.ASSOCIATION, end=datetime.date(2027, 6, 30))
    final = world.instalments()[2]
    client.force_login(world.member)
    text = plain(page_text(client.get(reverse("payments:request", args=[final.pk]))))
    assert "CERFA n° 15059" in text and "30 juin 2028" in text


def test_list_pages_keep_their_query_count_as_rows_grow(client, django_assert_num_queries):
    funder = make_funder("Région test")
    finance = make_user(role=Role.FINANCE, funder=funder)
    officer = make_user(role=Role.OFFICER, funder=funder)

    def grow(n):
        for _ in range(n):
            world = signed_award(funder=funder)
            first, second, _ = world.instalments()
            pay_through(world, first, report="")
            services.request_instalment(
                instalment=second,
                actor=world.member,
                report="r",
                expenses=[expense(f"F{world.award.pk}")],
            )
            other = signed_award(funder=funder)
            _checked(other)
            services.raise_recovery(
                award=world.award, actor=finance, amount=world.award.amount / 10, reason="Contrôle"
            )

    pages = [
        (officer, reverse("payments_staff:to_check")),
        (finance, reverse("payments_staff:to_authorise")),
        (finance, reverse("payments_staff:runs")),
        (finance, reverse("payments_staff:recoveries")),
    ]
    grow(1)
    counts = {}
    for user, url in pages:
        client.force_login(user)
        with _Counter() as counter:
            assert client.get(url).status_code == 200
        counts[url] = counter.count
    grow(2)
    for user, url in pages:
        client.force_login(user)
        with django_assert_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_the_schedule_page_keeps_its_query_count_as_steps_grow(client, django_assert_num_queries):
    from decimal import Decimal

    short = signed_award(schedule=((Decimal(50), "signature"), (Decimal(50), "final_report")))
    long = signed_award(
        schedule=((Decimal(40), "signature"),)
        + ((Decimal(15), "interim_report"),) * 3
        + ((Decimal(15), "final_report"),)
    )
    counts = []
    for world in (short, long):
        pay_through(world, world.instalments()[0], report="")
        client.force_login(world.member)
        url = reverse("payments:schedule", args=[world.award.application.pk])
        with _Counter() as counter:
            assert client.get(url).status_code == 200
        counts.append(counter.count)
    assert counts[1] == counts[0]


class _Counter:
    """Counts the queries of a block (the first measure the pinned count is compared to)."""

    def __enter__(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self._context = CaptureQueriesContext(connection)
        self._context.__enter__()
        return self

    def __exit__(self, *exc):
        self._context.__exit__(*exc)
        self.count = len(self._context.captured_queries)
