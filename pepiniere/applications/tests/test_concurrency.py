"""Submissions of one call do not wait for each other, and numbering stays gap-free under a race.
Needs real concurrent transactions, so PostgreSQL (SQLite serialises writers anyway)."""

import threading

import pytest
from django.db import connection, connections, transaction

from pepiniere.applications import services
from pepiniere.applications.models import Application, Status
from pepiniere.lib.testing.factories import make_call, make_draft

# serialized_rollback: the flush after a transactional test would also empty the reference data
# (départements, legal forms) that the data migrations load and the next test needs.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions and row locks")


def test_a_long_save_of_one_draft_does_not_hold_up_another_submission_of_the_call():
    _needs_postgresql()
    call = make_call()
    slow, quick = make_draft(call=call), make_draft(call=call)
    holding, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def hold_the_first_draft() -> None:
        # What an autosave, an upload or a submission does: lock its application row, then work.
        try:
            with transaction.atomic():
                services._locked(slow)
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    def submit_the_second() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '3s'")
                outcome["version"] = services.submit_application(
                    application=quick, actor=quick.created_by
                )
        except Exception as error:  # noqa: BLE001 - the test reports what happened
            outcome["error"] = error
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_first_draft)
    holder.start()
    assert holding.wait(timeout=30)
    submitter = threading.Thread(target=submit_the_second)
    submitter.start()
    submitter.join(timeout=30)
    release.set()
    holder.join(timeout=30)
    assert "error" not in outcome, outcome.get("error")
    quick.refresh_from_db()
    assert quick.status == Status.SUBMITTED
    assert quick.reference is not None and quick.reference.endswith("-0001")


def test_simultaneous_submissions_of_a_call_get_distinct_gap_free_references():
    _needs_postgresql()
    call = make_call()
    drafts = [make_draft(call=call) for _ in range(6)]
    barrier = threading.Barrier(len(drafts))
    errors: list[Exception] = []

    def submit(application: Application) -> None:
        try:
            barrier.wait(timeout=10)
            services.submit_application(application=application, actor=application.created_by)
        except Exception as error:  # noqa: BLE001 - the test reports what happened
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    numbers = Application.objects.filter(call=call).values_list("number", flat=True)
    assert sorted(n for n in numbers if n is not None) == [1, 2, 3, 4, 5, 6]
    call.refresh_from_db()
    assert call.last_application_number == 6
