"""Issue 10, medium 5 and low 12: malformed input is a 400 in French or a message on the form,
never a 500, and amounts, dates and identifiers are read the way a French user types them."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Status
from pepiniere.grants.models import Award
from pepiniere.grants.tests.factories import selected_call
from pepiniere.lib.testing.factories import (
    make_call,
    make_submitted,
    make_user,
    page_text,
)
from pepiniere.organisations.models import Organisation
from pepiniere.reviews import services as review_services
from pepiniere.reviews.models import Assignment, Review, ReviewStatus
from pepiniere.reviews.tests.factories import reviewed_call
from pepiniere.selection import jury as jury_services
from pepiniere.selection.tests.factories import ranked_call

pytestmark = pytest.mark.django_db


def assert_bad_request(response, *words):
    assert response.status_code == 400, response.status_code
    page = page_text(response)
    assert "Demande incorrecte" in page and "<nav" in page  # French, in the site layout
    for word in words:
        assert word in page, word


# ---- 400 on parameters a page never sends ------------------------------------------------------


@pytest.fixture
def officer_with_applications():
    call = make_call()
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    make_submitted(call=call)
    return call, officer


@pytest.mark.parametrize(
    ("param", "value"),
    [("amount_min", "NaN"), ("amount_max", "-Infinity"), ("amount_min", "sNaN")],
)
@pytest.mark.parametrize("page", ["backoffice:list", "backoffice:export"])
def test_list_and_export_filters_refuse_amounts_that_are_not_numbers(
    client, officer_with_applications, page, param, value
):
    call, officer = officer_with_applications
    client.force_login(officer)
    response = client.get(reverse(page), {"call": call.slug, param: value})
    assert_bad_request(response, value, "Montant")


def test_list_filter_refuses_an_iso_week_date(client, officer_with_applications):
    _call, officer = officer_with_applications
    client.force_login(officer)
    response = client.get(reverse("backoffice:list"), {"submitted_from": "2015-W22-5"})
    assert_bad_request(response, "2015-W22-5", "jj/mm/aaaa")
    response = client.get(reverse("backoffice:list"), {"submitted_from": "29/05/2015"})
    assert response.status_code == 200


@pytest.mark.parametrize("ids", ["99999999999999999999999", "²", "abc", "-3"])
def test_bulk_screening_refuses_ids_that_are_not_database_ids(
    client, officer_with_applications, ids
):
    _call, officer = officer_with_applications
    client.force_login(officer)
    response = client.post(reverse("backoffice:bulk"), {"ids": [ids], "action": "eligible"})
    assert_bad_request(response, "Dossiers cochés")


def test_progress_refuses_a_reopen_that_is_not_an_id(client):
    call, officer, _applications, _reviewers = reviewed_call(n_applications=1, n_reviewers=1, k=1)
    client.force_login(officer)
    response = client.post(reverse("reviews:progress", args=[call.slug]), {"reopen": "abc"})
    assert_bad_request(response, "abc")


def test_assignment_refuses_an_exclusion_that_is_not_a_pair_of_ids(client):
    call = make_call(reviews_per_application=1, reviewer_max_load=10)
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    from pepiniere.applications import services as application_services
    from pepiniere.reviews.tests.factories import make_reviewer

    application = make_submitted(call=call)
    application_services.mark_eligible(application=application, actor=officer)
    reviewer = make_reviewer(call)
    review_services.propose_assignment(call=call, actor=officer)
    client.force_login(officer)
    url = reverse("reviews:assignment", args=[call.slug])
    response = client.post(url, {"confirm": "", "exclude": "abc"})
    assert_bad_request(response, "abc")
    # An added pair with an unknown reviewer is skipped, not an integrity error.
    response = client.post(
        url, {"confirm": "", "add_application": str(application.pk), "add_reviewer": "987654"}
    )
    assert response.status_code == 302
    assert list(Assignment.objects.values_list("reviewer_id", flat=True)) == [reviewer.pk]


def test_scenario_form_refuses_a_row_count_that_is_not_a_number(client):
    call, officer, _applications = ranked_call([("33", 40000, 4)])
    client.force_login(officer)
    response = client.post(
        reverse("selection:scenarios", args=[call.slug]), {"name": "x", "rows": "abc"}
    )
    assert_bad_request(response, "abc")


# ---- the jury --------------------------------------------------------------------------------


@pytest.fixture
def jury_session():
    call, _officer, applications = ranked_call([("33", 40000, 4), ("40", 30000, 2)])
    member = make_user(role=Role.JURY, funder=call.funder)
    jury_services.open_session(
        call=call, actor=member, held_on=timezone.localdate(), members=[member]
    )
    return call, member, applications


@pytest.mark.parametrize("application", ["abc", None, "99999999999999999999999"])
def test_jury_decision_needs_an_application_id(client, jury_session, application):
    call, member, _applications = jury_session
    client.force_login(member)
    data = {"decision": "select"}
    if application is not None:
        data["application"] = application
    response = client.post(reverse("selection:jury", args=[call.slug]), data)
    assert_bad_request(response, "Dossier")


def test_an_illegal_jury_decision_is_a_message_not_an_error_page(client, jury_session):
    call, member, (best, _other) = jury_session
    client.force_login(member)
    url = reverse("selection:jury", args=[call.slug])
    response = client.post(url, {"application": best.pk, "decision": "erase"}, follow=True)
    assert response.status_code == 200 and "Décision inconnue" in page_text(response)
    response = client.post(url, {"application": best.pk, "decision": "select"}, follow=True)
    assert "Décision enregistrée" in page_text(response)
    best.refresh_from_db()
    assert best.status == Status.SELECTED
    # Withdrawn since (or decided elsewhere): the workflow refuses the move, the page says so.
    type(best).objects.filter(pk=best.pk).update(status=Status.WITHDRAWN)
    response = client.post(
        url, {"application": best.pk, "decision": "reject", "justification": "x"}, follow=True
    )
    assert response.status_code == 200
    page = page_text(response)
    assert "plus dans un état où cette décision est possible" in page or "classement" in page, page[
        page.find('class="messages"') :
    ][:300]


# ---- messages on the form ------------------------------------------------------------------


@pytest.mark.parametrize("score", ["NaN", "sNaN", "Infinity", "١", "1e0"])
def test_a_review_score_that_is_not_a_number_is_refused_on_the_form(client, score):
    _call, _officer, _applications, _reviewers = reviewed_call(n_applications=1, n_reviewers=1, k=1)
    assignment = Assignment.objects.get()
    criterion = assignment.application.call.criteria.get()
    client.force_login(assignment.reviewer)
    response = client.post(
        reverse("reviews:review", args=[assignment.pk]),
        {f"score-{criterion.pk}": score, "overall": "Avis", "submit": ""},
    )
    assert response.status_code in (200, 422)
    assert "n'est pas une note" in page_text(response)
    assert not Review.objects.filter(status=ReviewStatus.SUBMITTED).exists()


def _organisation_form(**overrides):
    data = {
        "name": "Les Voiles Partagées",
        "kind": "startup",
        "siret": "356 000 000 00048",
        "departement": "33",
        "commune_code": "33063",
        "commune_name": "Bordeaux",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("siret", "٣٥٦٠٠٠٠٠٠٠٠٠٤٨", "chiffres de 0 à 9"),
        ("rna", "W٣٣٢٠٠١٢٣٤", "chiffres de 0 à 9"),
        ("creation_date", "9999-01-01", "ne peut pas être après"),
        ("creation_date", "2015-W22-5", "jj/mm/aaaa"),
        ("creation_date", "1712-01-01", "au plus tôt"),
    ],
)
def test_organisation_form_explains_identifiers_and_dates_it_refuses(client, field, value, message):
    client.force_login(make_user())
    response = client.post(reverse("organisations:create"), _organisation_form(**{field: value}))
    assert response.status_code == 200
    assert message in page_text(response)
    assert not Organisation.objects.exists()


def test_organisation_creation_date_typed_the_french_way(client):
    client.force_login(make_user())
    response = client.post(
        reverse("organisations:create"), _organisation_form(creation_date="01/05/2012")
    )
    assert response.status_code == 302
    assert Organisation.objects.get().creation_date == datetime.date(2012, 5, 1)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("١٢٣", "chiffres de 0 à 9"),
        ("0.001", "au plus 2 chiffres après la virgule"),
        ("1_000", "« _ »"),
        ("1.200,50", "une seule virgule"),
        ("NaN", "n'est pas un montant"),
    ],
)
def test_award_amount_is_read_as_a_french_user_types_it(client, amount, message):
    call, officer, _finance, (application,) = selected_call(1)
    client.force_login(officer)
    response = client.post(
        reverse("grants:award", args=[call.slug, application.pk]),
        {
            "amount": amount,
            "decision_reference": "CP 2026-07-10",
            "decision_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code in (200, 422)
    assert message in page_text(response)
    assert not Award.objects.exists()


def test_award_decision_date_refuses_an_iso_week_date(client):
    call, officer, _finance, (application,) = selected_call(1)
    client.force_login(officer)
    response = client.post(
        reverse("grants:award", args=[call.slug, application.pk]),
        {"amount": "40 000,00", "decision_reference": "CP", "decision_date": "2026-W22-5"},
    )
    assert "jj/mm/aaaa" in page_text(response)
    assert not Award.objects.exists()
    response = client.post(
        reverse("grants:award", args=[call.slug, application.pk]),
        {"amount": "40\u202f000 €", "decision_reference": "CP", "decision_date": "10/07/2026"},
    )
    assert response.status_code == 302
    assert Award.objects.get().amount == Decimal("40000.00")


def test_jury_session_members_must_be_ids(client):
    call, _officer, _applications = ranked_call([("33", 40000, 4)])
    member = make_user(role=Role.JURY, funder=call.funder)
    client.force_login(member)
    response = client.post(
        reverse("selection:jury", args=[call.slug]), {"open": "", "members": "' OR 1=1 --"}
    )
    assert_bad_request(response, "Membres du jury")


def test_a_nul_character_is_refused_before_any_view(client):
    # PostgreSQL refuses NUL in text columns: it was a DataError (500) when saving a draft.
    application = make_submitted()
    client.force_login(application.created_by)
    response = client.post(reverse("organisations:create"), {"name": "nul\x00byte"})
    assert_bad_request(response, "caractère nul")
    response = client.get(reverse("calls:catalogue"), {"q": "\x00"})
    assert_bad_request(response, "caractère nul")


def test_expert_availability_dates_use_the_platform_date_parser(client):
    client.force_login(make_user())
    typed = {
        "expertise": "Économie sociale",
        "keywords": "associations",
        "languages": "fr",
        "max_load": "8",
        "available_from": "2026-W22-5",
        "available_until": "01/09/2026",
    }
    response = client.post(reverse("reviews:profile"), typed)
    assert response.status_code == 422
    assert "jj/mm/aaaa" in page_text(response)
    typed["available_from"] = "01/06/2026"
    saved = client.post(reverse("reviews:profile"), typed)
    assert saved.status_code == 302
