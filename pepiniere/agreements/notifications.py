"""E-mails about agreements, sent after commit through a task (like the applications' ones):
to the beneficiary's members when an agreement is sent and when it is fully signed, to the
funder's officers and finance staff when the beneficiary has signed."""

from __future__ import annotations

from django.db import transaction

from pepiniere.agreements.models import Agreement

EVENTS = {"sent", "signed_by_beneficiary", "signed"}


def on_commit(agreement: Agreement, event: str) -> None:
    assert event in EVENTS
    from pepiniere.agreements.tasks import send_agreement_email

    agreement_id = agreement.pk
    transaction.on_commit(lambda: send_agreement_email.enqueue(agreement_id, event))
