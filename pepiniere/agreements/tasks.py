from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation

from pepiniere.accounts.models import Role, User
from pepiniere.agreements.models import Agreement


def _recipients(agreement: Agreement, event: str) -> list[User]:
    application = agreement.award.application
    if event == "signed_by_beneficiary":
        funder_ids = {application.call.funder_id}
        funder_ids.update(application.call.co_funders.values_list("pk", flat=True))
        return list(
            User.objects.filter(
                is_active=True,
                role_grants__role__in=[Role.OFFICER, Role.FINANCE],
                role_grants__funder_id__in=funder_ids,
            ).distinct()
        )
    return list(application.organisation.members.filter(is_active=True))


@task()
def send_agreement_email(agreement_id: int, event: str) -> int:
    """One e-mail per recipient, each in their own language."""
    agreement = Agreement.objects.select_related(
        "award__application__call", "award__application__organisation"
    ).get(pk=agreement_id)
    version = agreement.versions.order_by("-number").first()
    sent = 0
    for user in _recipients(agreement, event):
        with translation.override(user.language):
            context = {
                "agreement": agreement,
                "version": version,
                "application": agreement.award.application,
                "user": user,
                "site_url": settings.SITE_URL,
            }
            body = render_to_string(f"agreements/email/{event}.txt", context).strip()
            subject, _, text = body.partition("\n")
            sent += send_mail(subject.strip(), text.strip(), None, [user.email])
    return sent
