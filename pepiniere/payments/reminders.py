"""The association's final financial report (compte rendu financier, CERFA n° 15059) is due
within six months of the end of the financial year in which the project ends (the calendar year
unless the organisation set its own closing date, FinancialYearEnd). A reminder is e-mailed
REMINDER_DAYS before that date, once, by `pepiniere send_payment_reminders` (run daily by cron
or a systemd timer; the e-mails themselves leave through django.tasks, the db backend's worker)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from pepiniere.agreements.models import Trigger
from pepiniere.organisations.models import OrganisationKind
from pepiniere.payments import notifications
from pepiniere.payments.models import (
    FinancialYearEnd,
    Instalment,
    InstalmentStatus,
    ReportReminder,
)

REMINDER_DAYS = 30


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def financial_year_end(organisation: Any, on: datetime.date) -> datetime.date:
    """The end of the financial year that contains `on`."""
    try:
        closing = organisation.financial_year_end
    except FinancialYearEnd.DoesNotExist:
        return datetime.date(on.year, 12, 31)
    end: datetime.date = closing.end_of_year(on.year)
    if on <= end:
        return end
    following: datetime.date = closing.end_of_year(on.year + 1)
    return following


def final_report_due(instalment: Instalment) -> datetime.date:
    """Six months after the end of the financial year in which the project ends."""
    organisation = instalment.award.application.organisation
    return add_months(financial_year_end(organisation, instalment.version.end_date), 6)


def send_due_reminders(
    *, today: datetime.date | None = None
) -> list[tuple[Instalment, datetime.date]]:
    """Queue the reminder of every association's final report due within REMINDER_DAYS and not
    requested yet, once per instalment and due date (a second run sends nothing again)."""
    today = today or timezone.localdate()
    sent = []
    finals = Instalment.objects.filter(
        trigger=Trigger.FINAL_REPORT,
        status=InstalmentStatus.PLANNED,
        award__application__organisation__kind=OrganisationKind.ASSOCIATION,
        version__end_date__lte=today,
    ).select_related("award__application__organisation__financial_year_end", "version")
    for instalment in finals:
        due = final_report_due(instalment)
        if not (today <= due <= today + datetime.timedelta(days=REMINDER_DAYS)):
            continue
        try:
            with transaction.atomic():
                reminder = ReportReminder.objects.create(
                    instalment=instalment, due_on=due, sent_at=timezone.now()
                )
                reminder.recipients = notifications.report_reminder(instalment, due)
                reminder.save(update_fields=["recipients"])
        except IntegrityError:
            continue  # already reminded
        sent.append((instalment, due))
    return sent
