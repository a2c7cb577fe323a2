from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from pepiniere.grants.models import DecisionLetter


@task()
def email_decision_letter(letter_id: int) -> int:
    """Email the decision letter, PDF attached, to every active member of the organisation, each
    in their own language."""
    from pepiniere.grants.letters import letter_paragraphs, letter_pdf

    letter = DecisionLetter.objects.select_related(
        "application", "application__call", "application__call__funder", "application__organisation"
    ).get(pk=letter_id)
    application = letter.application
    sent = []
    for member in application.organisation.members.filter(is_active=True).order_by("email"):
        with translation.override(member.language):
            body = render_to_string(
                "grants/email/decision.txt",
                {
                    "letter": letter,
                    "application": application,
                    "paragraphs": letter_paragraphs(letter),
                    "user": member,
                    "url": settings.SITE_URL + reverse("aid:decision", args=[application.pk]),
                },
            ).strip()
            subject, _sep, text = body.partition("\n")
            message = EmailMessage(subject.strip(), text.strip(), None, [member.email])
            message.attach(
                f"decision-{application.reference}.pdf", letter_pdf(letter), "application/pdf"
            )
            message.send()
            sent.append(member.email)
    DecisionLetter.objects.filter(pk=letter.pk).update(recipients=sent, emailed_at=timezone.now())
    return len(sent)
