"""Emails to applicants when their application changes state. Sent after commit, through a task."""

from __future__ import annotations

from django.db import transaction

from pepiniere.applications.models import Application

# Transitions the applicant hears about; each has a template applications/email/<name>.txt.
NOTIFIED = {
    "submit",
    "resubmit",
    "withdraw",
    "request_information",
    "mark_eligible",
    "mark_ineligible",
    # "contract" is not here: pepiniere.agreements writes when the agreement is fully signed.
    "close",
    "terminate",
}


def on_commit_status_changed(application: Application, transition: str) -> None:
    if transition not in NOTIFIED:
        return
    from pepiniere.applications.tasks import send_status_email

    application_id = application.pk
    transaction.on_commit(lambda: send_status_email.enqueue(application_id, transition))
