"""EXPERIMENT, not used by default: the submit path with the changes the surge benchmark suggests,
to put numbers on them. Served by gunicorn as `_surge_variant:application` (bench/surge.py
--variant lock|lean), chosen by the SURGE_VARIANT environment variable:

lock: one line: `_locked()` locks only the application row (`select_for_update(of=("self",))`).
      Today `select_for_update().select_related("call", "organisation")` emits a bare FOR UPDATE
      that also locks the joined calls_call and organisation rows, so every submission (and every
      autosave, upload, withdrawal) of a call waits for the previous one to COMMIT: the whole
      transaction is serialised per call, not only the numbering.
lean: `lock` plus a leaner submit that replaces `pepiniere.applications.views.submit` before the
      URLconf is loaded. Same rules as pepiniere.applications.services.submit_application (membership, idempotency,
deadline, pre-check, gap-free numbering under the call row lock, one version, one audit row, one
e-mail task); what changes:

1. the view does not load the application page (application_for_page + 2 prefetches + is_member)
   before the service re-reads the same row under lock: one locked read does both;
2. is_member is asked once, not twice (view + can_edit_application);
3. the call number is taken last, with one `UPDATE calls_call ... RETURNING`, right before the audit
   row and COMMIT: the call row lock (which serialises every submission of the call) is held for 3
   statements + COMMIT instead of 7 statements + COMMIT;
4. the e-mail task row is inserted inside the transaction (the DB task backend writes a row on the
   same connection): one COMMIT (one WAL flush) per submission instead of two, and no lost e-mail
   when the process dies between COMMIT and the on-commit enqueue.
"""

from __future__ import annotations

import os
from typing import Any

from pepiniere.wsgi import application as _django_application


def _lock_only_the_application() -> None:
    from pepiniere.applications import services
    from pepiniere.applications.models import Application

    def _locked(application: Application) -> Application:
        return (
            Application.objects.select_for_update(of=("self",))
            .select_related("call", "organisation")
            .get(pk=application.pk)
        )

    services._locked = _locked


def _install() -> None:
    from django.contrib import messages
    from django.contrib.auth.decorators import login_required
    from django.db import connection, transaction
    from django.http import Http404, HttpRequest, HttpResponse
    from django.shortcuts import redirect
    from django.utils import timezone
    from django.utils.translation import gettext as _
    from django.views.decorators.http import require_POST

    from pepiniere.applications import views
    from pepiniere.applications.models import Application, ApplicationVersion, Status
    from pepiniere.applications.permissions import is_member
    from pepiniere.applications.services import (
        ApplicationError,
        current_attachments,
        deadline_message,
        precheck,
    )
    from pepiniere.applications.tasks import send_status_email
    from pepiniere.applications.workflow import check_transition
    from pepiniere.audit.services import record

    original_submit = views.submit

    @transaction.atomic
    def lean_submit_application(*, pk: int, actor: Any) -> ApplicationVersion:
        now = timezone.now()
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call", "organisation")
            .get(pk=pk)
        )
        if not is_member(actor, application.organisation_id):
            raise Http404
        latest = application.versions.order_by("-number").first()
        if (
            latest is not None
            and latest.draft_revision == application.draft_revision
            and application.status not in (Status.DRAFT, Status.INCOMPLETE)
        ):
            return latest
        if not application.is_editable_by_applicant:
            raise ApplicationError(_("Ce dossier ne peut plus être modifié."))
        name = "resubmit" if application.status == Status.INCOMPLETE else "submit"
        transition = check_transition(name, application.status)
        if name == "submit" and now >= application.call.closes_at:
            raise ApplicationError(deadline_message(application.call))
        result = precheck(application, now=now)
        if result.errors or not all(c.passed for c in result.checks):
            raise ApplicationError(_("Le dossier ne peut pas encore être déposé."))
        from_state = application.status
        version = ApplicationVersion.objects.create(
            application=application,
            number=(latest.number + 1) if latest else 1,
            title=application.title,
            summary=application.summary,
            requested_amount=application.requested_amount,
            project_budget=application.project_budget,
            answers=application.answers,
            attachments=[
                {
                    "id": a.pk,
                    "token": a.token,
                    "field_key": a.field_key,
                    "name": a.original_name,
                    "size": a.size,
                    "sha256": a.sha256,
                }
                for a in current_attachments(application)
            ],
            submitted_at=now,
            submitted_by=actor,
            draft_revision=application.draft_revision,
        )
        application.information_requests.filter(answered_at__isnull=True).update(answered_at=now)
        if name in {"submit", "resubmit"}:
            send_status_email.enqueue(application.pk, name)  # same transaction
        # Last: the call number, under the call row lock held until COMMIT.
        if application.number is None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE calls_call SET last_application_number = last_application_number + 1 "
                    "WHERE id = %s RETURNING last_application_number",
                    [application.call_id],
                )
                application.number = cursor.fetchone()[0]
            application.reference = f"{application.call.reference_prefix}-{application.number:04d}"
        application.status = transition.target
        application.submitted_at = now
        application.search_text = application.build_search_text()
        application.save(
            update_fields=[
                "status",
                "number",
                "reference",
                "submitted_at",
                "search_text",
                "updated_at",
            ]
        )
        record(
            actor=actor,
            obj=application,
            action=name,
            from_state=from_state,
            to_state=transition.target,
            at=now,
        )
        return version

    @login_required
    @require_POST
    def lean_submit(request: HttpRequest, pk: int) -> HttpResponse:
        try:
            version = lean_submit_application(pk=pk, actor=request.user)
        except Application.DoesNotExist:
            raise Http404 from None
        except ApplicationError:
            return original_submit(request, pk)  # the regular page with the explanations
        if version.number == 1:
            messages.success(request, _("Votre dossier est déposé. Voici votre récépissé."))
        return redirect("applications:receipt", pk)

    views.submit = lean_submit


VARIANT = os.environ.get("SURGE_VARIANT", "lean")
if VARIANT in {"lock", "lean"}:
    _lock_only_the_application()
if VARIANT == "lean":
    _install()
application = _django_application
