"""Application workflows: one function per transition, atomic, audited, notifying on commit."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.applications import notifications
from pepiniere.applications.answers import (
    FormSpec,
    parse_core_amount,
    validate_answers,
)
from pepiniere.applications.eligibility import RuleCheck, check_eligibility
from pepiniere.applications.models import (
    Application,
    ApplicationVersion,
    Attachment,
    InformationRequest,
    Status,
)
from pepiniere.applications.permissions import (
    can_edit_application,
    can_screen_application,
    can_start_application,
    can_withdraw_application,
)
from pepiniere.applications.workflow import OFFICER, OFFICER_OR_FINANCE, check_transition
from pepiniere.audit.services import record
from pepiniere.calls.models import Call, FieldKind
from pepiniere.lib.dates import long_date
from pepiniere.lib.uploads import sanitise_filename, structure_error
from pepiniere.organisations.models import Organisation

_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "txt": "text/plain",
    "csv": "text/csv",
}


class ApplicationError(Exception):
    """A refused action, with a message for the person who tried it."""

    def __init__(
        self,
        message: str,
        *,
        errors: dict[str, list[str]] | None = None,
        checks: list[RuleCheck] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.checks = checks or []


def _locked(application: Application) -> Application:
    """The application re-read under a row lock held until COMMIT. ``of=("self",)``: only the
    application row is locked, not the joined call and organisation rows (a bare FOR UPDATE
    would lock the call row too and serialise every save and submission of a call)."""
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "organisation")
        .get(pk=application.pk)
    )


def _next_number(call_id: int) -> int:
    """Take the call's next application number. The UPDATE locks the call row until COMMIT, so
    numbers are gap-free and unique (a rolled-back submission gives its number back); callers
    take it as late as possible in their transaction to hold that lock briefly."""
    table = connection.ops.quote_name(Call._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_application_number = last_application_number + 1 "  # noqa: S608
            "WHERE id = %s RETURNING last_application_number",
            [call_id],
        )
        return int(cursor.fetchone()[0])


def form_spec(call: Call) -> FormSpec:
    return FormSpec.from_fields(call.form_fields.all())


@transaction.atomic
def start_application(
    *, call: Call, organisation: Organisation, actor: Any, now: datetime.datetime | None = None
) -> Application:
    """Open a draft for the organisation, or return the one it already has for this call."""
    verdict = can_start_application(actor, call, organisation, now=now)
    if not verdict:
        raise ApplicationError(verdict.reason)
    # Two clicks on « Commencer » at once must not open two drafts: the organisation's row is the
    # lock under which its applications to the call are counted.
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    existing = Application.objects.filter(call=call, organisation=organisation).current().first()
    if existing is not None:
        return existing
    application = Application.objects.create(call=call, organisation=organisation, created_by=actor)
    record(actor=actor, obj=application, action="create", to_state=Status.DRAFT, at=now)
    return application


@transaction.atomic
def save_draft(*, application: Application, actor: Any, answers: dict[str, Any]) -> Application:
    """Store what the applicant typed, as typed. Never validates, never refuses a well-formed save
    while the application is editable: nothing typed is lost."""
    application = _locked(application)
    verdict = can_edit_application(actor, application)
    if not verdict:
        raise ApplicationError(verdict.reason)
    merged = dict(application.answers)
    merged.update(answers)
    core = merged.get("_core", {})
    application.answers = merged
    application.title = (core.get("title") or "").strip()[:200]
    application.summary = (core.get("summary") or "").strip()
    application.requested_amount = parse_core_amount(core.get("requested_amount"))
    application.project_budget = parse_core_amount(core.get("project_budget"))
    application.draft_revision += 1
    application.search_text = application.build_search_text()
    application.save()
    return application


@transaction.atomic
def upload_attachment(
    *, application: Application, actor: Any, field_key: str, uploaded: UploadedFile
) -> Attachment:
    application = _locked(application)
    verdict = can_edit_application(actor, application)
    if not verdict:
        raise ApplicationError(verdict.reason)
    form_field = application.call.form_fields.filter(key=field_key, kind=FieldKind.FILE).first()
    if form_field is None:
        raise ApplicationError(_("Ce formulaire n'attend pas de fichier ici."))
    name = sanitise_filename(uploaded.name or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in form_field.extensions:
        raise ApplicationError(
            _("Les fichiers .%(ext)s ne sont pas acceptés ici (formats acceptés : %(list)s).")
            % {"ext": extension or "?", "list": ", ".join(form_field.extensions)}
        )
    limit = form_field.max_file_mb * 1024 * 1024
    if uploaded.size is None or uploaded.size > limit:
        raise ApplicationError(
            _("Le fichier fait %(size).1f Mo ; la limite est de %(limit)d Mo.")
            % {"size": (uploaded.size or 0) / 1024 / 1024, "limit": form_field.max_file_mb}
        )
    if uploaded.size == 0:
        raise ApplicationError(_("Le fichier est vide."))
    problem = structure_error(extension, uploaded)
    if problem:
        raise ApplicationError(problem)
    uploaded.seek(0)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    attachment = Attachment(
        application=application,
        field_key=field_key,
        token=secrets.token_hex(16),
        original_name=name,
        content_type=_CONTENT_TYPES.get(extension, "application/octet-stream"),
        size=uploaded.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    attachment.file.save(attachment.token, uploaded, save=False)
    attachment.save()
    # Each file field holds one document: a new upload replaces the previous one in the draft.
    application.attachment_set.filter(field_key=field_key, removed_from_draft=False).exclude(
        pk=attachment.pk
    ).update(removed_from_draft=True)
    application.draft_revision += 1
    application.save(update_fields=["draft_revision", "updated_at"])
    return attachment


@transaction.atomic
def remove_attachment(*, attachment: Attachment, actor: Any) -> None:
    application = _locked(attachment.application)
    verdict = can_edit_application(actor, application)
    if not verdict:
        raise ApplicationError(verdict.reason)
    Attachment.objects.filter(pk=attachment.pk).update(removed_from_draft=True)
    application.draft_revision += 1
    application.save(update_fields=["draft_revision", "updated_at"])


def current_attachments(application: Application) -> list[Attachment]:
    return list(application.attachment_set.filter(removed_from_draft=False))


@dataclass
class Precheck:
    errors: dict[str, list[str]]
    checks: list[RuleCheck]
    deadline_passed: bool

    @property
    def ok(self) -> bool:
        return not self.errors and all(c.passed for c in self.checks) and not self.deadline_passed


def precheck(
    application: Application,
    *,
    now: datetime.datetime | None = None,
    attachments: list[Attachment] | None = None,
) -> Precheck:
    now = now or timezone.now()
    if attachments is None:
        attachments = current_attachments(application)
    attached = {a.field_key for a in attachments}
    errors = validate_answers(form_spec(application.call), application.answers, attached)
    deadline_passed = application.status == Status.DRAFT and now >= application.call.closes_at
    return Precheck(
        errors, check_eligibility(application, on=timezone.localdate(now)), deadline_passed
    )


def deadline_message(call: Call) -> str:
    closes = timezone.localtime(call.closes_at)
    return _(
        "La date limite de dépôt était le %(date)s à %(time)s (heure de Paris) : "
        "le dossier ne peut plus être déposé."
    ) % {"date": long_date(closes), "time": closes.strftime("%H:%M")}


@transaction.atomic
def submit_application(
    *, application: Application, actor: Any, now: datetime.datetime | None = None
) -> ApplicationVersion:
    """Submit (or resubmit after a request for information). Idempotent: a double click or a retried
    request for the same draft returns the version already frozen, never a second one."""
    now = now or timezone.now()
    application = _locked(application)
    # No transition leads back to draft: a draft has never been submitted, so has no version.
    latest = (
        None
        if application.status == Status.DRAFT
        else application.versions.order_by("-number").first()
    )
    if (
        latest is not None
        and latest.draft_revision == application.draft_revision
        and application.status not in (Status.DRAFT, Status.INCOMPLETE)
    ):
        return latest
    verdict = can_edit_application(actor, application)
    if not verdict:
        raise ApplicationError(verdict.reason)
    transition_name = "resubmit" if application.status == Status.INCOMPLETE else "submit"
    transition = check_transition(transition_name, application.status)
    if transition_name == "submit" and now >= application.call.closes_at:
        raise ApplicationError(deadline_message(application.call))
    attachments = current_attachments(application)
    result = precheck(application, now=now, attachments=attachments)
    if result.errors or not all(c.passed for c in result.checks):
        raise ApplicationError(
            _("Le dossier ne peut pas encore être déposé : corrigez les points signalés."),
            errors=result.errors,
            checks=result.checks,
        )
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
            for a in attachments
        ],
        submitted_at=now,
        submitted_by=actor,
        draft_revision=application.draft_revision,
    )
    if from_state == Status.INCOMPLETE:
        application.information_requests.filter(answered_at__isnull=True).update(answered_at=now)
    if application.number is None:
        # Last writes of the transaction: the call row stays locked from here to COMMIT only.
        application.number = _next_number(application.call_id)
        application.reference = f"{application.call.reference_prefix}-{application.number:04d}"
    application.status = transition.target
    application.submitted_at = now
    application.search_text = application.build_search_text()
    # The answers were saved by the autosave under the same lock: only what submitting changes.
    application.save(
        update_fields=["status", "number", "reference", "submitted_at", "search_text", "updated_at"]
    )
    record(
        actor=actor,
        obj=application,
        action=transition_name,
        from_state=from_state,
        to_state=transition.target,
        at=now,
    )
    notifications.on_commit_status_changed(application, transition_name)
    return version


def _officer_transition(
    *,
    application: Application,
    actor: Any,
    name: str,
    reason: str = "",
    public: bool = True,
    now: datetime.datetime | None = None,
) -> Application:
    application = _locked(application)
    verdict = can_screen_application(actor, application)
    if not verdict:
        raise ApplicationError(verdict.reason)
    transition = check_transition(name, application.status)
    if transition.reason_required and not reason.strip():
        raise ApplicationError(_("Un motif est obligatoire."))
    from_state = application.status
    application.status = transition.target
    if reason:
        application.decision_reason = reason
    application.save()
    record(
        actor=actor,
        obj=application,
        action=name,
        from_state=from_state,
        to_state=transition.target,
        reason=reason,
        public=public,
        at=now,
    )
    notifications.on_commit_status_changed(application, name)
    return application


@transaction.atomic
def request_information(
    *, application: Application, actor: Any, message: str, now: datetime.datetime | None = None
) -> InformationRequest:
    application = _officer_transition(
        application=application, actor=actor, name="request_information", reason=message, now=now
    )
    return InformationRequest.objects.create(
        application=application,
        message=message,
        requested_by=actor,
        requested_at=now or timezone.now(),
    )


@transaction.atomic
def mark_eligible(
    *, application: Application, actor: Any, now: datetime.datetime | None = None
) -> Application:
    return _officer_transition(application=application, actor=actor, name="mark_eligible", now=now)


@transaction.atomic
def mark_ineligible(
    *, application: Application, actor: Any, reason: str, now: datetime.datetime | None = None
) -> Application:
    return _officer_transition(
        application=application, actor=actor, name="mark_ineligible", reason=reason, now=now
    )


@transaction.atomic
def withdraw_application(*, application: Application, actor: Any, reason: str = "") -> Application:
    application = _locked(application)
    verdict = can_withdraw_application(actor, application)
    if not verdict:
        raise ApplicationError(verdict.reason)
    transition = check_transition("withdraw", application.status)
    from_state = application.status
    application.status = transition.target
    application.save()
    record(
        actor=actor,
        obj=application,
        action="withdraw",
        from_state=from_state,
        to_state=transition.target,
        reason=reason,
    )
    notifications.on_commit_status_changed(application, "withdraw")
    return application


@transaction.atomic
def open_review(
    *, application: Application, actor: Any, now: datetime.datetime | None = None
) -> Application:
    return _officer_transition(
        application=application, actor=actor, name="open_review", public=False, now=now
    )


@transaction.atomic
def close_review(
    *, application: Application, actor: Any, now: datetime.datetime | None = None
) -> Application:
    return _officer_transition(
        application=application, actor=actor, name="close_review", public=False, now=now
    )


@transaction.atomic
def record_jury_decision(
    *,
    application: Application,
    actor: Any,
    decision: str,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> Application:
    """select / put_in_reserve / reject, by a jury member of the call's funder."""
    from pepiniere.accounts.models import Role
    from pepiniere.calls.permissions import is_call_staff

    application = _locked(application)
    if not is_call_staff(actor, application.call, Role.JURY):
        raise ApplicationError(_("Seul·es les membres du jury de cet appel décident."))
    transition = check_transition(decision, application.status)
    if transition.reason_required and not reason.strip():
        raise ApplicationError(_("Un motif est obligatoire."))
    from_state = application.status
    application.status = transition.target
    application.decision_reason = reason
    application.save()
    record(
        actor=actor,
        obj=application,
        action=decision,
        from_state=from_state,
        to_state=transition.target,
        reason=reason,
        at=now,
    )
    return application


@transaction.atomic
def decide_by_rule(
    *,
    application: Application,
    actor: Any,
    select: bool,
    reason: str,
    now: datetime.datetime | None = None,
) -> Application:
    """submitted → selected / rejected by a published rule (the match-funding of a crowdfunding
    campaign, pepiniere.crowdfunding), with the rule's figures as the reason. Applied by an
    officer or a finance person of the call's funder; no jury involved."""
    from pepiniere.accounts.models import Role
    from pepiniere.calls.permissions import is_call_staff

    application = _locked(application)
    if not (
        is_call_staff(actor, application.call, Role.OFFICER)
        or is_call_staff(actor, application.call, Role.FINANCE)
    ):
        raise ApplicationError(
            _(
                "Seul·es les chargé·es de mission et les services financiers du financeur appliquent la règle."
            )
        )
    name = "select_by_rule" if select else "reject_by_rule"
    transition = check_transition(name, application.status)
    if not reason.strip():
        raise ApplicationError(_("Un motif est obligatoire."))
    from_state = application.status
    application.status = transition.target
    application.decision_reason = reason
    application.save(update_fields=["status", "decision_reason", "updated_at"])
    record(
        actor=actor,
        obj=application,
        action=name,
        from_state=from_state,
        to_state=transition.target,
        reason=reason,
        at=now,
    )
    notifications.on_commit_status_changed(application, name)
    return application


@transaction.atomic
def award_application(
    *, application: Application, actor: Any, reason: str = "", now: datetime.datetime | None = None
) -> Application:
    """selected → awarded, by an officer or a finance person of the call's funder. Called by
    pepiniere.grants.services.award_grant, which records the award, its shares and budget lines."""
    from pepiniere.accounts.models import Role
    from pepiniere.calls.permissions import is_call_staff

    application = _locked(application)
    if not (
        is_call_staff(actor, application.call, Role.OFFICER)
        or is_call_staff(actor, application.call, Role.FINANCE)
    ):
        raise ApplicationError(
            _(
                "Seul·es les chargé·es de mission et les services financiers du financeur attribuent les aides."
            )
        )
    transition = check_transition("award", application.status)
    from_state = application.status
    application.status = transition.target
    application.save(update_fields=["status", "updated_at"])
    record(
        actor=actor,
        obj=application,
        action="award",
        from_state=from_state,
        to_state=transition.target,
        reason=reason,
        at=now,
    )
    return application


def _after_award_transition(
    *,
    application: Application,
    actor: Any,
    name: str,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> Application:
    """contract / close / terminate: the application follows its agreement and its payments.
    Called by pepiniere.agreements and pepiniere.payments inside their own transaction (the
    agreement's signature, the final payment, the termination), which holds the lock taken here."""
    from pepiniere.accounts.models import Role
    from pepiniere.calls.permissions import is_call_staff

    application = _locked(application)
    transition = check_transition(name, application.status)
    allowed = is_call_staff(actor, application.call, Role.OFFICER) or (
        transition.performed_by == OFFICER_OR_FINANCE
        and is_call_staff(actor, application.call, Role.FINANCE)
    )
    if not allowed:
        raise ApplicationError(
            _("Seul·es les chargé·es de mission du financeur de cet appel résilient une aide.")
            if transition.performed_by == OFFICER
            else _(
                "Seul·es les chargé·es de mission et les services financiers du financeur de cet "
                "appel suivent les conventions et les versements."
            )
        )
    if transition.reason_required and not reason.strip():
        raise ApplicationError(_("Un motif est obligatoire."))
    from_state = application.status
    application.status = transition.target
    update_fields = ["status", "updated_at"]
    if transition.reason_required:
        application.decision_reason = reason.strip()
        update_fields.append("decision_reason")
    application.save(update_fields=update_fields)
    record(
        actor=actor,
        obj=application,
        action=name,
        from_state=from_state,
        to_state=transition.target,
        reason=reason.strip(),
        at=now,
    )
    notifications.on_commit_status_changed(application, name)
    return application


@transaction.atomic
def contract_application(
    *, application: Application, actor: Any, reason: str = "", now: datetime.datetime | None = None
) -> Application:
    """awarded → contracted, when the agreement is fully signed (pepiniere.agreements)."""
    return _after_award_transition(
        application=application, actor=actor, name="contract", reason=reason, now=now
    )


@transaction.atomic
def close_application(
    *, application: Application, actor: Any, reason: str = "", now: datetime.datetime | None = None
) -> Application:
    """contracted → closed, after the final payment (pepiniere.payments)."""
    return _after_award_transition(
        application=application, actor=actor, name="close", reason=reason, now=now
    )


@transaction.atomic
def terminate_application(
    *, application: Application, actor: Any, reason: str, now: datetime.datetime | None = None
) -> Application:
    """awarded | contracted → terminated, by an officer, reason required (the agreement's
    termination in pepiniere.agreements, which also raises the recovery through payments)."""
    return _after_award_transition(
        application=application, actor=actor, name="terminate", reason=reason, now=now
    )
