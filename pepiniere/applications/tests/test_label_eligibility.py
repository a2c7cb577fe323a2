"""A call that requires a label: the rule explained like the others, at the applicant's
pre-check, at submission and at screening, on the day that counts."""

import datetime

import pytest
from django.urls import reverse

from pepiniere.accounts.models import Role
from pepiniere.applications import services
from pepiniere.applications.eligibility import check_eligibility
from pepiniere.lib.testing.factories import (
    make_call,
    make_draft,
    make_organisation,
    make_user,
    page_text,
)
from pepiniere.programmes import services as label_services
from pepiniere.programmes.models import LabelKind
from pepiniere.programmes.tests.factories import hold_bordeaux, make_label, make_state
from pepiniere.territories.models import Departement

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 12, 4)


@pytest.fixture
def french_tech():
    label = make_label(funder=make_state())
    hold_bordeaux(label)
    return label


def _label_rule(application, on=DAY):
    return next(c for c in check_eligibility(application, on=on) if c.code == "label")


def _draft(call, **place):
    applicant = make_user()
    organisation = make_organisation(member=applicant, **place)
    return make_draft(call=call, applicant=applicant, organisation=organisation)


def test_a_structure_in_a_commune_of_the_labelled_metropolis_meets_the_rule(french_tech):
    call = make_call(title="French Tech — attractivité internationale")
    call.required_labels.set([french_tech])
    check = _label_rule(_draft(call, commune_code="33522", commune_name="Talence"))
    assert check.passed
    assert check.label == "Label"
    assert check.message == (
        "Votre structure est située dans un territoire labellisé French Tech "
        "(Bordeaux Métropole, depuis le 12 novembre 2014)."
    )


def test_a_structure_outside_the_metropolis_is_told_why_with_its_commune_and_the_day(french_tech):
    call = make_call()
    call.required_labels.set([french_tech])
    check = _label_rule(_draft(call, commune_code="33009", commune_name="Arcachon"))
    assert not check.passed
    assert check.message == (
        "Cet appel est réservé aux structures labellisées French Tech ; votre structure "
        "(Arcachon) n'a pas ce label à la date du 4 décembre 2026."
    )


def test_the_day_counts_before_the_start_and_after_the_end(french_tech):
    call = make_call()
    call.required_labels.set([french_tech])
    application = _draft(call, commune_code="33063", commune_name="Bordeaux")
    assert not _label_rule(application, on=datetime.date(2014, 11, 11)).passed
    assert _label_rule(application, on=datetime.date(2014, 11, 12)).passed
    holding = french_tech.holdings.get()
    label_services.end_label_holding(
        actor=make_user(role=Role.ADMIN, is_superuser=True),
        holding=holding,
        end_date=datetime.date(2025, 12, 31),
    )
    assert _label_rule(application, on=datetime.date(2025, 12, 31)).passed
    late = _label_rule(application, on=datetime.date(2026, 1, 1))
    assert not late.passed
    assert "(Bordeaux) n'a pas ce label à la date du 1er janvier 2026" in late.message


def test_a_label_held_by_the_structure_itself_or_by_its_departement(french_tech):
    admin = make_user(role=Role.ADMIN, is_superuser=True)
    jei = make_label(funder=make_state("Bpifrance"), name="Deeptech", kind=LabelKind.ORGANISATION)
    landes = make_label(funder=jei.awarding_funder, name="Territoire d'industrie")
    call = make_call()
    call.required_labels.set([jei, landes])
    own = _draft(call, departement="64", commune_code="64445", commune_name="Pau")
    label_services.grant_label(
        actor=admin, label=jei, organisation=own.organisation, start_date=datetime.date(2022, 5, 2)
    )
    label_services.grant_label(
        actor=admin,
        label=landes,
        territory_name="Landes",
        departement=Departement.objects.get(code="40"),
        start_date=datetime.date(2020, 1, 1),
    )
    check = _label_rule(own)
    assert check.passed
    assert check.message == "Votre structure est labellisée Deeptech depuis le 2 mai 2022."
    dax = _draft(call, departement="40", commune_code="40088", commune_name="Dax")
    assert _label_rule(dax).passed
    elsewhere = _label_rule(
        _draft(call, departement="47", commune_code="47001", commune_name="Agen")
    )
    assert elsewhere.message == (
        "Cet appel est réservé aux structures labellisées Deeptech ou Territoire d'industrie ; "
        "votre structure (Agen) n'a aucun de ces labels à la date du 4 décembre 2026."
    )


def test_a_call_without_a_required_label_has_no_label_rule():
    application = make_draft()
    assert "label" not in {c.code for c in check_eligibility(application, on=DAY)}


def test_submission_is_refused_and_the_officer_sees_the_rule_at_screening(client, french_tech):
    call = make_call()
    call.required_labels.set([french_tech])
    outside = _draft(call, commune_code="33009", commune_name="Arcachon")
    with pytest.raises(services.ApplicationError):
        services.submit_application(application=outside, actor=outside.created_by)
    client.force_login(outside.created_by)
    text = page_text(client.get(reverse("applications:precheck", args=[outside.pk])))
    assert "Cet appel est réservé aux structures labellisées French Tech ; votre structure " in text
    inside = _draft(call, commune_code="33281", commune_name="Mérignac")
    services.submit_application(application=inside, actor=inside.created_by)
    officer = make_user(role=Role.OFFICER, funder=call.funder)
    client.force_login(officer)
    text = page_text(client.get(reverse("backoffice:detail", args=[inside.pk])))
    assert "située dans un territoire labellisé French Tech (Bordeaux Métropole" in text
