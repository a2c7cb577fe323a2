"""The report form: autosave (nothing typed lost, session expired included), consistency checks
and their confirmation, submit, validate, return with a reason, correction; who sees what."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from pepiniere.accounts.models import Role
from pepiniere.audit.services import trail_for
from pepiniere.lib.testing.factories import make_call, make_organisation, make_user, plain
from pepiniere.lib.testing.factories import page_text as html_text
from pepiniere.portfolio import services, services_campaigns
from pepiniere.portfolio.models import KpiCorrection, ReportSource, ReportStatus
from pepiniere.portfolio.tests.factories import award, report

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def kpi():
    call = make_call()
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    member = make_user()
    organisation = make_organisation(member=member, name="Voilier SAS")
    award(organisation, call, D(2016, 3, 1))
    baseline = report(organisation, 2015, baseline=True, fte=10, headcount=12, revenue=100000)
    campaign = services_campaigns.launch_campaign(
        actor=officer,
        funder=call.funder,
        call=call,
        period_year=2016,
        due_date=D(2017, 5, 31),
        extra_questions=[{"label": "Brevets déposés", "kind": "number"}],
    ).campaign
    due = campaign.reports.get()
    client = Client()
    client.force_login(member)
    return {
        "call": call,
        "officer": officer,
        "member": member,
        "organisation": organisation,
        "baseline": baseline,
        "report": due,
        "client": client,
    }


def page_text(response):
    return " ".join(plain(strip_tags(html_text(response))).split())


GOOD = {
    "headcount": "14",
    "fte": "12,5",
    "revenue": "120 000",
    "research_fte": "2",
    "extra-q1": "1",
}


def test_autosave_keeps_what_was_typed_even_what_does_not_read_yet(kpi):
    url = reverse("kpi:report", args=[kpi["report"].pk])
    response = kpi["client"].post(
        url, {"fte": "12,5", "revenue": "12O 000"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Brouillon enregistré à" in response.content.decode()
    report = kpi["report"]
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    assert report.draft_values == {"fte": "12,5", "revenue": "12O 000"}
    assert response["X-Draft-Revision"] == str(report.draft_revision)
    page = page_text(kpi["client"].get(url))
    assert 'value="12O 000"' in kpi["client"].get(url).content.decode()
    assert "Indicateurs 2016" in page


def test_an_autosave_that_carries_the_submit_button_only_saves_the_draft(kpi):
    # htmx sends the last focused button with the form: an autosave queued while the porteur
    # clicks « Transmettre » carries `submit`. Only the page's own submission transmits.
    url = reverse("kpi:report", args=[kpi["report"].pk])
    response = kpi["client"].post(url, {**GOOD, "submit": ""}, HTTP_HX_REQUEST="true")
    assert "Brouillon enregistré à" in response.content.decode()
    report = kpi["report"]
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    assert report.draft_values["revenue"] == "120 000"
    response = kpi["client"].post(url, {**GOOD, "submit": ""}, follow=True)
    assert "Rapport transmis" in page_text(response)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def test_an_autosave_after_the_session_expired_is_refused_without_losing_the_page(kpi):
    url = reverse("kpi:report", args=[kpi["report"].pk])
    anonymous = Client()
    response = anonymous.post(url, {"fte": "99"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 401
    assert "vos saisies sont gardées dans ce navigateur" in response.content.decode()
    kpi["report"].refresh_from_db()
    assert kpi["report"].draft_values == {}
    # The form carries what the browser keeps and resends (pepiniere.js, data-autosave).
    form = kpi["client"].get(url).content.decode()
    assert f'data-application-id="kpi-{kpi["report"].pk}"' in form and "data-autosave" in form


def test_submit_refuses_missing_and_unreadable_figures_field_by_field(kpi):
    url = reverse("kpi:report", args=[kpi["report"].pk])
    response = kpi["client"].post(url, {"fte": "douze", "submit": ""})
    text = page_text(response)
    assert "« douze » n'est pas un nombre" in text
    assert "Indiquez ce chiffre (0 s'il est nul)." in text
    kpi["report"].refresh_from_db()
    assert kpi["report"].status == ReportStatus.DRAFT
    assert kpi["report"].draft_values["fte"] == "douze"


def test_consistency_warnings_ask_for_confirmation_then_submit(kpi):
    url = reverse("kpi:report", args=[kpi["report"].pk])
    typed = {**GOOD, "fte": "20", "revenue": "1 000 000", "submit": ""}
    response = kpi["client"].post(url, typed)
    text = page_text(response)
    assert "Les ETP (20) dépassent l'effectif en fin de période (14)" in text
    assert "Le chiffre d'affaires (1000000 €) est dix fois plus élevé que celui de 2015" in text
    kpi["report"].refresh_from_db()
    assert kpi["report"].status == ReportStatus.DRAFT
    response = kpi["client"].post(
        url, {**typed, "confirm": ["fte_above_headcount", "revenue_tenfold"]}, follow=True
    )
    assert "Rapport transmis" in page_text(response)
    report = kpi["report"]
    report.refresh_from_db()
    assert (report.status, report.fte, report.revenue) == (
        ReportStatus.SUBMITTED,
        Decimal("20.00"),
        Decimal("1000000.00"),
    )
    assert report.warnings_confirmed == ["fte_above_headcount", "revenue_tenfold"]
    # Created and maintained jobs left blank are counted against the baseline, apart.
    assert (report.fte_created, report.fte_maintained) == (Decimal("10.00"), Decimal("10.00"))
    assert report.extra_answers == {"q1": "1"}


def test_a_sudden_drop_to_zero_is_a_warning():
    from pepiniere.portfolio.figures import consistency_warnings

    previous = type(
        "R",
        (),
        {"revenue": Decimal("5000"), "headcount": 4, "fte": Decimal("3"), "period_year": 2019},
    )()
    codes = [
        w.code
        for w in consistency_warnings(
            {"headcount": 0, "fte": Decimal("0"), "revenue": Decimal("0")}, previous=previous
        )
    ]
    assert codes == ["drop_to_zero_headcount", "drop_to_zero_fte", "drop_to_zero_revenue"]
    research = consistency_warnings(
        {"fte": Decimal("2"), "research_fte": Decimal("3")}, previous=None
    )
    assert [w.code for w in research] == ["research_above_fte"]


def test_submit_is_idempotent(kpi):
    report = services.submit_report(report=kpi["report"], actor=kpi["member"], typed=GOOD)
    again = services.submit_report(report=report, actor=kpi["member"], typed=GOOD)
    assert again.submitted_at == report.submitted_at
    assert [e.action for e in trail_for(report)].count("submit_kpi_report") == 1


def test_the_officer_validates_or_returns_with_a_reason(kpi, django_capture_on_commit_callbacks):
    report = services.submit_report(report=kpi["report"], actor=kpi["member"], typed=GOOD)
    officer = Client()
    officer.force_login(kpi["officer"])
    page = page_text(officer.get(reverse("kpi:report", args=[report.pk])))
    assert "Valider le rapport" in page and "12,5" in page
    response = officer.post(reverse("kpi:return", args=[report.pk]), {"reason": "  "}, follow=True)
    assert "Indiquez ce qu'il faut corriger" in page_text(response)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        officer.post(reverse("kpi:return", args=[report.pk]), {"reason": "Le CA est hors taxes ?"})
    report.refresh_from_db()
    assert (report.status, report.returned_reason) == (ReportStatus.DRAFT, "Le CA est hors taxes ?")
    assert report.draft_values["fte"] == "12,5"  # the figures sent are the draft to correct
    assert "Le CA est hors taxes ?" in mail.outbox[0].body
    assert "Corrections demandées" in page_text(
        kpi["client"].get(reverse("kpi:report", args=[report.pk]))
    )
    services.submit_report(report=report, actor=kpi["member"])
    officer.post(reverse("kpi:validate", args=[report.pk]))
    report.refresh_from_db()
    assert (report.status, report.validated_by) == (ReportStatus.VALIDATED, kpi["officer"])
    assert [e.to_state for e in trail_for(report)] == [
        "draft",
        "submitted",
        "draft",
        "submitted",
        "validated",
    ]


def test_the_organisation_cannot_validate_its_own_report(kpi):
    report = services.submit_report(report=kpi["report"], actor=kpi["member"], typed=GOOD)
    with pytest.raises(services.KpiError, match="Seul·es les chargé·es de mission"):
        services.validate_report(report=report, actor=kpi["member"])
    assert kpi["client"].post(reverse("kpi:validate", args=[report.pk])).status_code == 404


def test_the_baseline_is_corrected_with_a_reason_and_the_old_value_kept(kpi):
    baseline = kpi["baseline"]
    with pytest.raises(services.KpiError, match="motif"):
        services.correct_report(
            report=baseline, actor=kpi["officer"], typed={"fte": "9"}, reason=""
        )
    services.correct_report(
        report=baseline,
        actor=kpi["officer"],
        typed={"fte": "9,5", "headcount": "12"},
        reason="Bilan 2015 reçu",
    )
    baseline.refresh_from_db()
    assert (baseline.fte, baseline.source) == (Decimal("9.50"), ReportSource.CORRECTION)
    [correction] = KpiCorrection.objects.filter(report=baseline)
    assert (correction.field, correction.old_value, correction.new_value, correction.reason) == (
        "fte",
        "10",
        "9,5",
        "Bilan 2015 reçu",
    )
    officer = Client()
    officer.force_login(kpi["officer"])
    page = page_text(officer.get(reverse("kpi:report", args=[baseline.pk])))
    assert "Bilan 2015 reçu" in page and "indicateur corrigé" in page


@pytest.mark.parametrize("who", ["stranger", "other_member", "other_officer", "finance_elsewhere"])
def test_others_get_a_404(kpi, who):
    other_call = make_call()
    user = {
        "stranger": lambda: make_user(),
        "other_member": lambda: make_organisation(member=make_user()).members.get(),
        "other_officer": lambda: make_user(role=Role.OFFICER, funder=other_call.funder),
        "finance_elsewhere": lambda: make_user(role=Role.FINANCE, funder=other_call.funder),
    }[who]()
    client = Client()
    client.force_login(user)
    for name in ("kpi:report", "kpi:validate", "kpi:return", "kpi:correct"):
        url = reverse(name, args=[kpi["report"].pk])
        response = client.post(url, {"fte": "1"}) if name != "kpi:report" else client.get(url)
        assert response.status_code == 404, (name, response.status_code)


def test_the_funders_finance_staff_read_but_do_not_validate(kpi):
    finance = make_user(role=Role.FINANCE, funder=kpi["call"].funder)
    report = services.submit_report(report=kpi["report"], actor=kpi["member"], typed=GOOD)
    client = Client()
    client.force_login(finance)
    page = page_text(client.get(reverse("kpi:report", args=[report.pk])))
    assert "12,5" in page and "Valider le rapport" not in page
    assert client.post(reverse("kpi:validate", args=[report.pk])).status_code == 403


def test_mes_dossiers_and_mes_indicateurs_list_the_report_to_transmit(kpi):
    text = page_text(kpi["client"].get(reverse("applications:mine")))
    assert "Voilier SAS : transmettre les indicateurs 2016 — avant le 31 mai 2017" in text
    text = page_text(kpi["client"].get(reverse("kpi:mine")))
    assert "Indicateurs 2016 — Voilier SAS : avant le 31 mai 2017 (attendu)" in text
