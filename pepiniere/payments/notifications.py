"""E-mails to the beneficiary's members about their payments, queued on commit (django.tasks)."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse

from pepiniere.lib.dates import long_date
from pepiniere.lib.mail import mail_on_commit
from pepiniere.lib.money import format_eur


def _members(organisation: Any) -> list[Any]:
    return list(organisation.members.filter(is_active=True).order_by("email"))


def _send(template: str, instalment: Any, extra: dict[str, str]) -> list[str]:
    application = instalment.award.application
    sent = []
    for user in _members(application.organisation):
        mail_on_commit(
            template=f"payments/email/{template}.txt",
            to=user.email,
            language=user.language,
            context={
                "name": user.get_short_name(),
                "reference": application.reference,
                "instalment": instalment.label,
                "amount": format_eur(instalment.amount),
                "url": reverse("payments:schedule", args=[application.pk]),
                **extra,
            },
        )
        sent.append(user.email)
    return sent


def request_returned(instalment: Any, reason: str) -> None:
    _send("returned", instalment, {"reason": reason})


def instalment_paid(instalment: Any) -> None:
    _send("paid", instalment, {})


def report_reminder(instalment: Any, due_on: datetime.date) -> list[str]:
    return _send("report_reminder", instalment, {"due_on": long_date(due_on)})
