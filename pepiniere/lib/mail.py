"""E-mails rendered from a template, sent after the transaction commits, through a task.

The template's first line is the subject. The context holds plain values (names, links) so that
the task's arguments stay JSON; each message is rendered in its recipient's language."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation


@task()
def send_template_mail(template: str, to: str, language: str, context: dict[str, str]) -> int:
    with translation.override(language or "fr"):
        body = render_to_string(template, {**context, "site_url": settings.SITE_URL}).strip()
    subject, _, text = body.partition("\n")
    return send_mail(subject.strip(), text.strip(), None, [to])


def mail_on_commit(
    *, template: str, to: str, context: dict[str, str], language: str = "fr"
) -> None:
    transaction.on_commit(lambda: send_template_mail.enqueue(template, to, language, context))
