"""The transitions after the award: contracted (agreement signed), closed (final payment),
terminated (an officer, with a reason)."""

import pytest
from django.core import mail

from pepiniere.accounts.models import Role
from pepiniere.applications import services
from pepiniere.applications.models import Application, Status
from pepiniere.applications.workflow import IllegalTransition
from pepiniere.audit.services import trail_for
from pepiniere.lib.testing.factories import make_call, make_submitted, make_user

pytestmark = pytest.mark.django_db


def _awarded() -> Application:
    application = make_submitted()
    # The award itself is pepiniere.grants' business; here only the state it leaves matters.
    Application.objects.filter(pk=application.pk).update(status=Status.AWARDED)
    application.refresh_from_db()
    return application


def _staff(application: Application, role: str = Role.OFFICER):
    return make_user(role=role, funder=application.call.funder)


def test_contract_then_close_each_write_one_audit_row():
    application = _awarded()
    finance = _staff(application, Role.FINANCE)
    services.contract_application(application=application, actor=finance, reason="CONV-1")
    application.refresh_from_db()
    assert application.status == Status.CONTRACTED
    services.close_application(application=application, actor=finance)
    application.refresh_from_db()
    assert application.status == Status.CLOSED
    rows = list(trail_for(application).values_list("action", "from_state", "to_state", "reason"))
    assert rows[-2:] == [
        ("contract", "awarded", "contracted", "CONV-1"),
        ("close", "contracted", "closed", ""),
    ]


@pytest.mark.parametrize("start", [Status.AWARDED, Status.CONTRACTED])
def test_officer_terminates_an_awarded_or_contracted_grant_with_a_reason(start):
    application = _awarded()
    Application.objects.filter(pk=application.pk).update(status=start)
    officer = _staff(application)
    services.terminate_application(
        application=application, actor=officer, reason="Projet abandonné."
    )
    application.refresh_from_db()
    assert application.status == Status.TERMINATED
    assert application.decision_reason == "Projet abandonné."
    assert trail_for(application).filter(action="terminate", to_state="terminated").count() == 1


def test_termination_needs_a_reason_and_leaves_the_grant_as_it_was():
    application = _awarded()
    with pytest.raises(services.ApplicationError, match="motif est obligatoire"):
        services.terminate_application(
            application=application, actor=_staff(application), reason=" "
        )
    application.refresh_from_db()
    assert application.status == Status.AWARDED


def test_finance_cannot_terminate():
    application = _awarded()
    with pytest.raises(services.ApplicationError, match="résilient"):
        services.terminate_application(
            application=application, actor=_staff(application, Role.FINANCE), reason="Fraude."
        )


@pytest.mark.parametrize("role", [Role.OFFICER, Role.FINANCE])
def test_staff_of_another_funder_cannot_contract(role):
    application = _awarded()
    stranger = make_user(role=role, funder=make_call().funder)
    with pytest.raises(services.ApplicationError):
        services.contract_application(application=application, actor=stranger)
    application.refresh_from_db()
    assert application.status == Status.AWARDED


def test_the_applicant_cannot_contract_its_own_application():
    application = _awarded()
    with pytest.raises(services.ApplicationError):
        services.contract_application(application=application, actor=application.created_by)


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("contract", Status.SELECTED),
        ("contract", Status.CONTRACTED),
        ("close", Status.AWARDED),
        ("close", Status.TERMINATED),
        ("terminate", Status.CLOSED),
        ("terminate", Status.SELECTED),
    ],
)
def test_illegal_moves_are_refused(name, start):
    application = _awarded()
    Application.objects.filter(pk=application.pk).update(status=start)
    service = getattr(services, f"{name}_application")
    with pytest.raises(IllegalTransition):
        service(application=application, actor=_staff(application), reason="Motif.")
    application.refresh_from_db()
    assert application.status == start


def test_members_hear_of_the_termination_and_its_reason(django_capture_on_commit_callbacks):
    application = _awarded()
    with django_capture_on_commit_callbacks(execute=True):
        services.terminate_application(
            application=application, actor=_staff(application), reason="Structure liquidée."
        )
    assert len(mail.outbox) == 1
    assert "résiliée" in mail.outbox[0].subject
    assert "Structure liquidée." in mail.outbox[0].body
