from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation

from pepiniere.applications.models import Application


@task()
def send_status_email(application_id: int, transition: str) -> int:
    """Email every member of the applicant organisation, each in their own language."""
    application = Application.objects.select_related("call", "organisation").get(pk=application_id)
    members = application.organisation.members.filter(is_active=True)
    sent = 0
    for member in members:
        with translation.override(member.language):
            context = {
                "application": application,
                "call": application.call,
                "user": member,
                "site_url": settings.SITE_URL,
            }
            body = render_to_string(f"applications/email/{transition}.txt", context).strip()
            subject, _, text = body.partition("\n")
            sent += send_mail(subject.strip(), text.strip(), None, [member.email])
    return sent


@task()
def build_export(export_id: int) -> int:
    from pepiniere.applications.models import Export
    from pepiniere.applications.staff_services import run_export

    return run_export(Export.objects.select_related("requested_by").get(pk=export_id)).done
