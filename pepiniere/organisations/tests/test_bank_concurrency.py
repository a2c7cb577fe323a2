"""Two officers validating two changes of one organisation at once, or one member submitting
twice at once: the organisation still ends with at most one account in force and one waiting.
Needs real concurrent transactions, so PostgreSQL (SQLite serialises writers anyway)."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from pepiniere.accounts.models import Role
from pepiniere.grants import services as grant_services
from pepiniere.grants.tests.factories import award_kwargs, selected_call
from pepiniere.lib.testing.factories import PDF_BYTES, make_user
from pepiniere.organisations.bank_services import submit_bank_details, validate_bank_details
from pepiniere.organisations.models import BankAccount, BankAccountStatus

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _run_at_once(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = []

    def run(call) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(call())
        except Exception as error:  # noqa: BLE001 - the test reports what happened
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=[c]) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_simultaneous_submissions_and_decisions_keep_one_pending_and_one_validated():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions")
    call, officer, _finance, (application,) = selected_call(1)
    grant_services.award_grant(application=application, actor=officer, **award_kwargs("40000"))
    organisation, member = application.organisation, application.created_by

    def submit(iban):
        return lambda: submit_bank_details(
            organisation=organisation,
            actor=member,
            holder=organisation.name,
            iban=iban,
            rib=SimpleUploadedFile("rib.pdf", PDF_BYTES, "application/pdf"),
        )

    outcomes = _run_at_once(
        submit("FR7630006000011234567890189"), submit("FR1420041010050500013M02606")
    )
    assert all(isinstance(o, BankAccount) for o in outcomes), outcomes
    [pending] = BankAccount.objects.filter(status=BankAccountStatus.PENDING)

    second_officer = make_user(role=Role.OFFICER, funder=call.funder)
    outcomes = _run_at_once(
        lambda: validate_bank_details(account=pending, actor=officer),
        lambda: validate_bank_details(account=pending, actor=second_officer),
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["BankAccount", "PermissionDenied"]
    assert BankAccount.objects.filter(status=BankAccountStatus.VALIDATED).count() == 1
