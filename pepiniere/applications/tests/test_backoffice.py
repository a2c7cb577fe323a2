import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from pepiniere.accounts.models import Role
from pepiniere.applications import services, staff_services
from pepiniere.applications.models import Export, ExportStatus, Status
from pepiniere.lib.testing.factories import (
    make_call,
    make_draft,
    make_organisation,
    make_user,
    page_text,
    plain,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def call():
    return make_call(code="ecocollab", title="Économie collaborative")


@pytest.fixture
def officer(call):
    return make_user("agent@example.test", role=Role.OFFICER, funder=call.funder)


def _submitted(call, departement="33", kind="startup", amount="40000", title="Partage de bateaux"):
    applicant = make_user()
    organisation = make_organisation(
        member=applicant, departement=departement, kind=kind, name=f"Structure {title}"
    )
    application = make_draft(call=call, applicant=applicant, organisation=organisation)
    services.save_draft(
        application=application,
        actor=applicant,
        answers={
            "_core": {
                "title": title,
                "summary": "Résumé du projet",
                "requested_amount": amount,
                "project_budget": "100000",
            }
        },
    )
    services.submit_application(application=application, actor=applicant)
    application.refresh_from_db()
    return application


def test_officer_filters_the_list_and_the_url_is_shareable(client, call, officer):
    gironde = _submitted(call, "33", title="Vélos partagés")
    _submitted(call, "64", title="Parkings partagés")
    make_draft(call=call)  # drafts are never listed
    client.force_login(officer)
    page = page_text(
        client.get(reverse("backoffice:list"), {"call": call.slug, "departement": "33"})
    )
    assert gironde.reference in page
    assert "Parkings partagés" not in page
    assert "1 dossier" in page


def test_search_is_accent_insensitive_and_covers_reference_and_organisation(client, call, officer):
    velo = _submitted(call, title="Réparation de vélos")
    _submitted(call, title="Parkings")
    client.force_login(officer)
    for query in ["velos", "REPARATION", velo.reference, "structure réparation"]:
        page = page_text(client.get(reverse("backoffice:list"), {"q": query}))
        assert velo.reference in page, query
        assert "Parkings" not in page, query


def test_amount_and_kind_filters(client, call, officer):
    small = _submitted(call, amount="10000", kind="association", title="Petit")
    _submitted(call, amount="50000", kind="startup", title="Grand")
    client.force_login(officer)
    page = page_text(client.get(reverse("backoffice:list"), {"amount_max": "20 000"}))
    assert small.reference in page and "Grand" not in page
    page = page_text(client.get(reverse("backoffice:list"), {"kind": "startup"}))
    assert "Grand" in page and small.reference not in page


def test_officer_of_another_funder_sees_nothing_of_this_call(client, call):
    application = _submitted(call)
    stranger = make_user(role=Role.OFFICER, funder=make_call().funder)
    client.force_login(stranger)
    assert application.reference not in page_text(client.get(reverse("backoffice:list")))
    assert client.get(reverse("backoffice:detail", args=[application.pk])).status_code == 404
    assert client.get(reverse("backoffice:dashboard", args=[call.slug])).status_code == 404
    response = client.post(reverse("backoffice:decide", args=[application.pk, "eligible"]))
    assert response.status_code == 404
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_co_funder_officer_is_given_access(client, call):
    application = _submitted(call)
    partner = make_call().funder
    call.co_funders.add(partner)
    client.force_login(make_user(role=Role.OFFICER, funder=partner))
    assert client.get(reverse("backoffice:detail", args=[application.pk])).status_code == 200


def test_applicants_are_kept_out_of_the_back_office(client, call):
    application = _submitted(call)
    client.force_login(application.created_by)
    assert client.get(reverse("backoffice:list")).status_code == 403
    assert client.get(reverse("backoffice:detail", args=[application.pk])).status_code == 403


def test_request_information_from_the_page_reaches_the_applicant(
    client, call, officer, mailoutbox, django_capture_on_commit_callbacks
):
    application = _submitted(call)
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("backoffice:decide", args=[application.pk, "request_information"]),
            {"text": "Joignez le plan signé."},
        )
    application.refresh_from_db()
    assert application.status == Status.INCOMPLETE
    assert any(
        "compléments" in m.subject and "Joignez le plan signé." in m.body for m in mailoutbox
    )
    client.force_login(application.created_by)
    assert "Joignez le plan signé." in page_text(
        client.get(reverse("applications:detail", args=[application.pk]))
    )


def test_ineligible_needs_a_reason_on_the_page_too(client, call, officer):
    application = _submitted(call)
    client.force_login(officer)
    response = client.post(
        reverse("backoffice:decide", args=[application.pk, "ineligible"]), {"text": ""}, follow=True
    )
    assert "motif est obligatoire" in page_text(response)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_internal_notes_are_never_shown_to_the_applicant(client, call, officer):
    application = _submitted(call)
    client.force_login(officer)
    client.post(
        reverse("backoffice:decide", args=[application.pk, "note"]), {"text": "Porteur très solide"}
    )
    assert "Porteur très solide" in page_text(
        client.get(reverse("backoffice:detail", args=[application.pk]))
    )
    client.force_login(application.created_by)
    assert "Porteur très solide" not in page_text(
        client.get(reverse("applications:detail", args=[application.pk]))
    )


def test_the_officer_sees_each_eligibility_rule_met_or_not_as_the_pre_check_explains_it(
    client, call, officer
):
    from decimal import Decimal

    from django.utils.html import strip_tags

    from pepiniere.applications.eligibility import check_eligibility
    from pepiniere.lib.testing.factories import plain
    from pepiniere.territories.models import Departement

    call.eligible_departements.set(Departement.objects.filter(code="33"))
    call.max_requested_amount = Decimal("50000")
    call.save()
    application = _submitted(call, amount="40000")
    # The structure has since moved out of the call's territory: its record says so today.
    application.organisation.departement = Departement.objects.get(code="40")
    application.organisation.save()
    client.force_login(officer)
    page = plain(
        strip_tags(page_text(client.get(reverse("backoffice:detail", args=[application.pk]))))
    )
    checks = check_eligibility(application)
    assert [(c.label, c.passed) for c in checks] == [
        ("Territoire", False),
        ("Montant maximal", True),
    ]
    assert plain(f"Territoire (non respecté) — {checks[0].message}") in page
    assert "située en Landes" in page
    assert plain(f"Montant maximal (respecté) — {checks[1].message}") in page
    assert "plafond de 50 000,00 €" in page


def test_the_jury_reads_the_list_and_the_summary_but_not_the_file_nor_the_screening_tools(
    client, call, officer
):
    application = _submitted(call, title="Partage de vélos")
    staff_services.add_internal_note(application=application, actor=officer, text="Note 4b2")
    jury = make_user(role=Role.JURY, funder=call.funder)
    client.force_login(jury)
    listing = page_text(client.get(reverse("backoffice:list") + f"?call={call.slug}"))
    assert "Partage de vélos" in listing
    assert "Exporter en CSV" not in listing and "Déclarer recevables" not in listing
    page = page_text(client.get(reverse("backoffice:detail", args=[application.pk])))
    assert "Résumé du projet" in page and "40 000,00" in plain(page)
    assert "Note 4b2" not in page and "Ajouter une note" not in page
    assert "Une plateforme locale." not in page  # an answer of the form
    note = client.post(
        reverse("backoffice:decide", args=[application.pk, "note"]), {"text": "Avis du jury"}
    )
    assert note.status_code == 403
    assert client.get(reverse("backoffice:export") + "?format=csv").status_code == 403
    assert client.get(reverse("applications:version", args=[application.pk, 1])).status_code == 404


def test_bulk_decision_reports_the_ones_it_could_not_apply(client, call, officer):
    first, second = _submitted(call), _submitted(call)
    services.mark_eligible(application=second, actor=officer)
    client.force_login(officer)
    response = client.post(
        reverse("backoffice:bulk"),
        {"ids": [first.pk, second.pk], "action": "ineligible", "reason": "Hors sujet"},
        follow=True,
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.INELIGIBLE
    assert second.status == Status.ELIGIBLE
    page = page_text(response)
    assert "1 dossier(s) traité(s)" in page
    assert second.reference in page


def test_versions_side_by_side_highlight_the_changes(client, call, officer):
    application = _submitted(call)
    services.request_information(
        application=application, actor=officer, message="Précisez l'innovation."
    )
    services.save_draft(
        application=application,
        actor=application.created_by,
        answers={"innovation": "Une plateforme locale et ouverte."},
    )
    services.submit_application(application=application, actor=application.created_by)
    client.force_login(officer)
    html = client.get(reverse("backoffice:detail", args=[application.pk])).content.decode()
    assert "Version 2" in html
    assert (
        '<del class="diff-del">locale.</del> <ins class="diff-ins">locale et ouverte.</ins>' in html
    )


def test_list_and_detail_query_counts_do_not_grow(
    client, call, officer, django_assert_max_num_queries
):
    application = _submitted(call)
    client.force_login(officer)
    with django_assert_max_num_queries(20) as list_small:
        client.get(reverse("backoffice:list"))
    with django_assert_max_num_queries(40) as detail_small:
        client.get(reverse("backoffice:detail", args=[application.pk]))
    for _ in range(6):
        _submitted(call, departement="24")
    services.request_information(application=application, actor=officer, message="Plus.")
    services.submit_application(application=application, actor=application.created_by)
    with django_assert_max_num_queries(len(list_small.captured_queries)):
        client.get(reverse("backoffice:list"))
    with django_assert_max_num_queries(len(detail_small.captured_queries)):
        client.get(reverse("backoffice:detail", args=[application.pk]))


def test_csv_export_has_one_readable_row_per_application(client, call, officer):
    application = _submitted(call, amount="40000,50", title="Vélos partagés")
    client.force_login(officer)
    response = client.get(reverse("backoffice:export"), {"call": call.slug, "format": "csv"})
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, row = rows[0], rows[1]
    assert len(rows) == 2
    record = dict(zip(header, row, strict=False))
    assert record["Référence"] == application.reference
    assert record["Statut"] == "déposé"
    # `;`-separated: a French spreadsheet reads « 40000,50 » as a number, « 40000.50 » as text.
    assert record["Montant demandé"] == "40000,50"
    assert record["Innovation"] == "Une plateforme locale."
    assert record["Plan de financement"] == "plan.pdf"
    submitted = timezone.localtime(application.submitted_at)
    assert record["Déposé le"] == submitted.strftime("%d/%m/%Y %H:%M:%S")


def test_csv_export_for_programs_has_a_decimal_point_and_iso_dates(client, call, officer):
    application = _submitted(call, amount="40000,50")
    client.force_login(officer)
    url = reverse("backoffice:export")
    response = client.get(url, {"call": call.slug, "format": "csv", "decimal": "point"})
    header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    record = dict(zip(header, row, strict=False))
    assert record["Montant demandé"] == "40000.50"
    assert record["Déposé le"] == timezone.localtime(application.submitted_at).isoformat(
        timespec="seconds"
    )
    refused = client.get(url, {"format": "csv", "decimal": "virgule"})
    assert refused.status_code == 400
    assert "« decimal » vaut « comma »" in page_text(refused)


def test_xlsx_export_uses_real_numbers_and_dates_with_french_formats(client, call, officer):
    _submitted(call, amount="40000")
    client.force_login(officer)
    response = client.get(reverse("backoffice:export"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert isinstance(sheet, Worksheet)
    header = [c.value for c in sheet[1]]
    amount = sheet.cell(row=2, column=header.index("Montant demandé") + 1)
    submitted = sheet.cell(row=2, column=header.index("Déposé le") + 1)
    assert isinstance(submitted, Cell)
    assert amount.value == 40000
    assert "€" in amount.number_format
    assert submitted.is_date and submitted.number_format.startswith("dd/mm/yyyy")


def test_large_exports_run_in_the_background_with_progress(
    client, call, officer, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(staff_services, "SYNC_EXPORT_LIMIT", 1)
    for _ in range(3):
        _submitted(call)
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("backoffice:export"), {"format": "csv"})
    job = Export.objects.get()
    assert response.url == reverse("backoffice:export_status", args=[job.pk])
    # The test task backend runs the task at once, as the worker would.
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.total == 3
    page = page_text(client.get(response.url))
    assert "est prêt" in page
    download = client.get(reverse("backoffice:export_download", args=[job.pk]))
    assert b"".join(download.streaming_content).decode("utf-8-sig").count("\n") == 4
    client.force_login(make_user(role=Role.OFFICER, funder=call.funder))
    assert client.get(reverse("backoffice:export_download", args=[job.pk])).status_code == 404


def test_dashboard_compares_requested_amounts_to_the_envelope(client, call, officer):
    _submitted(call, departement="33", amount="40000")
    _submitted(call, departement="64", amount="60000")
    client.force_login(officer)
    page = (
        page_text(client.get(reverse("backoffice:dashboard", args=[call.slug])))
        .replace("\u202f", " ")
        .replace("\xa0", " ")
    )
    assert "100 000 €" in page
    assert "550 000 €" in page
    assert "Gironde (33)" in page and "Pyrénées-Atlantiques (64)" in page
