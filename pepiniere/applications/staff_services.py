"""Staff workflows on applications: notes, bulk screening, exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.applications import services
from pepiniere.applications.models import Application, Export, ExportStatus, InternalNote, Status
from pepiniere.applications.permissions import can_read_internal_notes, can_screen_application
from pepiniere.applications.workflow import IllegalTransition

SYNC_EXPORT_LIMIT = 2000


@transaction.atomic
def add_internal_note(*, application: Application, actor: Any, text: str) -> InternalNote:
    verdict = can_read_internal_notes(actor, application.call)
    if not verdict or application.status == Status.DRAFT:
        raise services.ApplicationError(
            _("Seul·es les chargé·es de mission du financeur annotent ce dossier.")
        )
    if not text.strip():
        raise services.ApplicationError(_("La note est vide."))
    return InternalNote.objects.create(application=application, author=actor, text=text.strip())


@dataclass
class BulkResult:
    done: list[Application] = field(default_factory=list)
    refused: list[tuple[Application, str]] = field(default_factory=list)


def bulk_screen(
    *, applications: list[Application], actor: Any, eligible: bool, reason: str = ""
) -> BulkResult:
    """Each application goes through its own transition (own lock, own audit row, own email); one
    refusal does not undo the others, and is reported with its reason."""
    result = BulkResult()
    if not eligible and not reason.strip():
        raise services.ApplicationError(
            _("Un motif est obligatoire pour déclarer des dossiers irrecevables.")
        )
    for application in applications:
        try:
            if eligible:
                services.mark_eligible(application=application, actor=actor)
            else:
                services.mark_ineligible(application=application, actor=actor, reason=reason)
        except (services.ApplicationError, IllegalTransition) as error:
            message = (
                error.message
                if isinstance(error, services.ApplicationError)
                else _("Ce dossier est « %(status)s » : cette décision ne s'applique pas.")
                % {"status": application.get_status_display()}
            )
            result.refused.append((application, message))
        else:
            result.done.append(application)
    return result


def can_export(actor: Any, application: Application) -> bool:
    return bool(can_screen_application(actor, application))


@transaction.atomic
def request_export(
    *, actor: Any, filters: dict[str, str], fmt: str, total: int, decimal_point: bool = False
) -> Export:
    export = Export.objects.create(
        requested_by=actor, filters=filters, format=fmt, total=total, decimal_point=decimal_point
    )
    from pepiniere.applications.tasks import build_export

    export_id = export.pk
    transaction.on_commit(lambda: build_export.enqueue(export_id))
    return export


def run_export(export: Export) -> Export:
    """Build the file; progress is saved as it goes so that the page can show it."""
    from pepiniere.applications.exports import render_export
    from pepiniere.applications.staff_selectors import ListFilters, screening_list, staff_calls

    Export.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING)
    filters = ListFilters(**export.filters)
    officer = (Role.OFFICER,)  # exports hold every answer: officers' calls only
    applications = screening_list(export.requested_by, filters, roles=officer)
    call = (
        staff_calls(export.requested_by, roles=officer).filter(slug=filters.call).first()
        if filters.call
        else None
    )
    from pepiniere.applications.exports import export_rows

    headers, rows = export_rows(applications, call)

    def progress(count: int) -> None:
        Export.objects.filter(pk=export.pk).update(done=count)

    try:
        content, count = render_export(
            headers, rows, export.format, progress, decimal_point=export.decimal_point
        )
    except Exception as error:  # noqa: BLE001 — the failure is shown to the person who asked
        Export.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=str(error)[:2000]
        )
        raise
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    export.file.save(
        f"dossiers-{stamp}-{export.pk}.{export.format}", ContentFile(content), save=False
    )
    export.status = ExportStatus.DONE
    export.done = count
    export.total = count
    export.finished_at = timezone.now()
    export.save()
    return export
