import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pepiniere.applications import services
from pepiniere.applications.models import ApplicationVersion, Status
from pepiniere.applications.workflow import IllegalTransition
from pepiniere.audit.services import trail_for
from pepiniere.lib.testing.factories import (
    PDF_BYTES,
    complete_answers,
    make_call,
    make_draft,
    make_organisation,
    make_submitted,
    make_user,
    plain,
)

pytestmark = pytest.mark.django_db


def test_submit_freezes_a_version_and_gives_a_reference():
    call = make_call(code="ecocollab")
    application = make_draft(call=call)
    version = services.submit_application(application=application, actor=application.created_by)
    application.refresh_from_db()
    year = timezone.localtime(call.opens_at).year
    assert application.reference == f"AAP-{year}-ECOCOLLAB-0001"
    assert application.status == Status.SUBMITTED
    assert version.number == 1
    assert version.answers["innovation"] == "Une plateforme locale."
    assert version.requested_amount == Decimal("40000.00")
    assert [a["name"] for a in version.attachments] == ["plan.pdf"]


def test_references_are_numbered_in_submission_order_within_a_call():
    call = make_call(code="surge")
    first = make_submitted(call=call)
    second = make_submitted(call=call)
    assert first.reference is not None and second.reference is not None
    assert first.reference.endswith("-0001")
    assert second.reference.endswith("-0002")


def test_submitting_twice_is_idempotent():
    application = make_draft()
    first = services.submit_application(application=application, actor=application.created_by)
    again = services.submit_application(application=application, actor=application.created_by)
    assert first.pk == again.pk
    assert ApplicationVersion.objects.filter(application=application).count() == 1
    assert trail_for(application).filter(action="submit").count() == 1


def test_submission_after_the_paris_deadline_is_refused_with_the_deadline():
    closes = (
        datetime.datetime(2015, 5, 29, 12, 0, tzinfo=datetime.UTC)
        .astimezone(timezone.get_default_timezone())
        .replace(hour=12, minute=0)
    )
    call = make_call(opens_at=closes - datetime.timedelta(days=60), closes_at=closes)
    applicant = make_user()
    organisation = make_organisation(member=applicant)
    application = services.start_application(
        call=call,
        organisation=organisation,
        actor=applicant,
        now=closes - datetime.timedelta(days=1),
    )
    services.save_draft(application=application, actor=applicant, answers=complete_answers())
    services.upload_attachment(
        application=application,
        actor=applicant,
        field_key="plan",
        uploaded=SimpleUploadedFile("p.pdf", PDF_BYTES),
    )
    with pytest.raises(services.ApplicationError) as error:
        services.submit_application(application=application, actor=applicant, now=closes)
    assert "29 mai 2015 à 12:00 (heure de Paris)" in error.value.message
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    one_minute_before = closes - datetime.timedelta(minutes=1)
    services.submit_application(application=application, actor=applicant, now=one_minute_before)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_incomplete_draft_is_refused_with_every_problem_and_stays_a_draft():
    application = make_draft(complete=False)
    services.save_draft(
        application=application,
        actor=application.created_by,
        answers={
            "_core": {
                "title": "",
                "summary": "x",
                "requested_amount": "douze",
                "project_budget": "100",
            },
            "innovation": "mot " * 60,
        },
    )
    with pytest.raises(services.ApplicationError) as error:
        services.submit_application(application=application, actor=application.created_by)
    errors = error.value.errors
    assert set(errors) >= {"title", "requested_amount", "innovation", "plan"}
    assert "douze" in errors["requested_amount"][0]
    assert "60 mots pour 50" in errors["innovation"][0]
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert not application.versions.exists()


def test_draft_keeps_text_that_does_not_validate():
    application = make_draft(complete=False)
    services.save_draft(
        application=application,
        actor=application.created_by,
        answers={"_core": {"requested_amount": "12 000,50 €"}, "innovation": "brouillon"},
    )
    application.refresh_from_db()
    assert application.answers["innovation"] == "brouillon"
    assert application.requested_amount == Decimal("12000.50")
    services.save_draft(
        application=application,
        actor=application.created_by,
        answers={"_core": {"requested_amount": "beaucoup"}},
    )
    application.refresh_from_db()
    assert application.answers["_core"]["requested_amount"] == "beaucoup"
    assert application.requested_amount is None
    assert application.answers["innovation"] == "brouillon"


def test_eligibility_rules_block_submission_with_explanations():
    call = make_call(
        departements=["33"], max_requested_amount=Decimal("30000"), max_aid_rate=Decimal("40")
    )
    applicant = make_user()
    organisation = make_organisation(member=applicant, departement="64")
    application = make_draft(call=call, applicant=applicant, organisation=organisation)
    with pytest.raises(services.ApplicationError) as error:
        services.submit_application(application=application, actor=applicant)
    failed = {c.code: plain(c.message) for c in error.value.checks if not c.passed}
    assert set(failed) == {"territory", "max_amount", "aid_rate"}
    assert "Gironde (33)" in failed["territory"]
    assert "40 000,00" in failed["max_amount"] and "30 000,00" in failed["max_amount"]
    assert "50,0 % du budget" in failed["aid_rate"]


def test_request_information_then_resubmit_keeps_both_versions():
    application = make_submitted()
    officer = make_user(role="officer", funder=application.call.funder)
    services.request_information(
        application=application, actor=officer, message="Joignez le budget signé."
    )
    application.refresh_from_db()
    assert application.status == Status.INCOMPLETE
    services.save_draft(
        application=application,
        actor=application.created_by,
        answers={"innovation": "Version complétée."},
    )
    version = services.submit_application(application=application, actor=application.created_by)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert version.number == 2
    versions = list(application.versions.order_by("number"))
    assert versions[0].answers["innovation"] == "Une plateforme locale."
    assert versions[1].answers["innovation"] == "Version complétée."
    assert application.information_requests.get().answered_at is not None


def test_resubmission_is_allowed_after_the_call_deadline():
    application = make_submitted()
    officer = make_user(role="officer", funder=application.call.funder)
    services.request_information(application=application, actor=officer, message="Précisez.")
    later = application.call.closes_at + datetime.timedelta(days=3)
    version = services.submit_application(
        application=application, actor=application.created_by, now=later
    )
    assert version.number == 2


def test_every_transition_writes_one_audit_row_with_actor_states_and_reason():
    application = make_submitted()
    officer = make_user(role="officer", funder=application.call.funder)
    services.mark_ineligible(application=application, actor=officer, reason="Hors territoire.")
    rows = list(
        trail_for(application).values_list("action", "from_state", "to_state", "reason", "actor")
    )
    assert rows == [
        ("create", "", "draft", "", application.created_by.pk),
        ("submit", "draft", "submitted", "", application.created_by.pk),
        ("mark_ineligible", "submitted", "ineligible", "Hors territoire.", officer.pk),
    ]


def test_ineligible_needs_a_reason():
    application = make_submitted()
    officer = make_user(role="officer", funder=application.call.funder)
    with pytest.raises(services.ApplicationError):
        services.mark_ineligible(application=application, actor=officer, reason="  ")
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_officer_of_another_funder_cannot_screen():
    application = make_submitted()
    stranger = make_user(role="officer", funder=make_call().funder)
    with pytest.raises(services.ApplicationError):
        services.mark_eligible(application=application, actor=stranger)


def test_illegal_transition_is_refused():
    application = make_submitted()
    officer = make_user(role="officer", funder=application.call.funder)
    services.mark_ineligible(application=application, actor=officer, reason="Hors sujet")
    with pytest.raises(IllegalTransition):
        services.mark_eligible(application=application, actor=officer)
    application.refresh_from_db()
    assert application.status == Status.INELIGIBLE


def test_officer_cannot_act_on_a_draft():
    application = make_draft()
    officer = make_user(role="officer", funder=application.call.funder)
    with pytest.raises(services.ApplicationError):
        services.mark_eligible(application=application, actor=officer)
    application.refresh_from_db()
    assert application.status == Status.DRAFT


def test_withdraw_and_start_again():
    application = make_submitted()
    services.withdraw_application(
        application=application, actor=application.created_by, reason="Projet abandonné"
    )
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN
    again = services.start_application(
        call=application.call, organisation=application.organisation, actor=application.created_by
    )
    assert again.pk != application.pk
    assert again.status == Status.DRAFT


def test_starting_twice_returns_the_same_draft():
    application = make_draft(complete=False)
    again = services.start_application(
        call=application.call, organisation=application.organisation, actor=application.created_by
    )
    assert again.pk == application.pk


def test_applicant_of_another_organisation_cannot_start_for_it():
    organisation = make_organisation(member=make_user())
    with pytest.raises(services.ApplicationError):
        services.start_application(call=make_call(), organisation=organisation, actor=make_user())


def test_submission_email_is_sent_to_members_after_commit(django_capture_on_commit_callbacks):
    application = make_draft()
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_application(application=application, actor=application.created_by)
    application.refresh_from_db()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert application.reference is not None
    assert application.reference in str(message.subject)
    assert message.to == [application.created_by.email]
    assert "/recepisse/" in str(message.body)


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("plan.exe", b"MZ\x90\x00", "ne sont pas acceptés"),
        ("plan.pdf", b"MZ\x90\x00 not a pdf", "ne correspond pas"),
        ("plan.pdf", b"", "vide"),
        ("plan.pdf", PDF_BYTES + b"0" * (1024 * 1024), "la limite est de 1 Mo"),
    ],
)
def test_attachments_are_checked_for_type_content_and_size(name, content, fragment):
    application = make_draft(complete=False)
    with pytest.raises(services.ApplicationError) as error:
        services.upload_attachment(
            application=application,
            actor=application.created_by,
            field_key="plan",
            uploaded=SimpleUploadedFile(name, content),
        )
    assert fragment in error.value.message
    assert not application.attachment_set.exists()


def test_a_new_upload_replaces_the_previous_one_but_old_versions_keep_theirs():
    application = make_submitted()
    officer = make_user(role="officer", funder=application.call.funder)
    services.request_information(application=application, actor=officer, message="Nouveau plan.")
    services.upload_attachment(
        application=application,
        actor=application.created_by,
        field_key="plan",
        uploaded=SimpleUploadedFile("plan-v2.pdf", PDF_BYTES + b"v2"),
    )
    services.submit_application(application=application, actor=application.created_by)
    names = [[a["name"] for a in v.attachments] for v in application.versions.order_by("number")]
    assert names == [["plan.pdf"], ["plan-v2.pdf"]]
