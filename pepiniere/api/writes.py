"""Write endpoints, for tokens with the read-write scope (403 otherwise): an applicant's KPI
reports (the draft figures, then the submission with the consistency warnings confirmed, as on
the page) and application drafts (the answers, as typed). Each goes through the service the page
calls, with its permission checks, lifecycle and validation; each is audited like the page's, plus
one row naming the token it came through."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError, ValidationError

from pepiniere.api.auth import TOKEN_ONLY, token_of
from pepiniere.api.common import AUTH_ERRORS, ErrorOut, ObjectId, ValidationErrorOut, not_found
from pepiniere.api.reads import (
    ApplicationOut,
    KpiReportOut,
    _applications,
    _kpi_reports,
    kpi_report_for,
)
from pepiniere.applications import services as application_services
from pepiniere.applications.answers import CORE_KEYS
from pepiniere.applications.models import Application
from pepiniere.applications.permissions import can_edit_application, can_view_application
from pepiniere.audit.services import record
from pepiniere.calls.models import FieldKind
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.portfolio import figures
from pepiniere.portfolio import services as kpi_services
from pepiniere.portfolio.models import KpiReport

router = Router()

Typed = str | Decimal | None


class KpiRefusalOut(Schema):
    """422 of a KPI report: the French message, the figures to correct (field → message) and
    the consistency warnings to confirm (send their codes in ``confirm``)."""

    detail: str
    errors: dict[str, str]
    warnings: list[WarningOut]


class WarningOut(Schema):
    code: str
    message: str


KpiRefusalOut.model_rebuild()

# 400: a body that is not JSON.
WRITE_ERRORS: dict[int, Any] = {**AUTH_ERRORS, 400: ErrorOut, 403: ErrorOut}


def _writer(request: HttpRequest) -> str:
    """The name of the read-write token the request came with; 403 for a read-only one."""
    token = token_of(request)
    if token is None or not token.may_write:
        raise HttpError(
            403,
            _(
                "Ce jeton est en lecture seule : créez un jeton « lecture et écriture » sur "
                "Mon compte pour modifier vos données."
            ),
        )
    return token.name


def _channel(actor: Any, obj: Model, action: str, token_name: str) -> None:
    record(
        actor=actor,
        obj=obj,
        action=action,
        reason=_("par l'API, jeton « %(name)s »") % {"name": token_name},
    )


def _text(value: Typed) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


# --- KPI reports -----------------------------------------------------------------------------


class KpiDraftIn(Schema):
    figures: dict[str, Typed]


class KpiSubmitIn(Schema):
    figures: dict[str, Typed] | None = None
    confirm: list[str] = []


class KpiDraftOut(Schema):
    """The draft as stored, with what a submission would refuse (``errors``) and ask to confirm
    (``warnings``) as it stands."""

    report: KpiReportOut
    errors: dict[str, str]
    warnings: list[WarningOut]


def _typed_figures(report: KpiReport, given: dict[str, Typed]) -> dict[str, str]:
    allowed = set(figures.BY_NAME) | {
        f"extra-{q['key']}" for q in kpi_services.questions_of(report)
    }
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ["body", "payload", "figures", name],
                    "msg": _(
                        "« %(name)s » n'est pas un chiffre de ce rapport (attendus : %(list)s)."
                    )
                    % {"name": name[:60], "list": ", ".join(sorted(allowed))},
                }
                for name in unknown
            ]
        )
    return {name: _text(value)[:2000] for name, value in given.items()}


def _fillable(request: AuthenticatedHttpRequest, report_id: int) -> KpiReport:
    report = kpi_report_for(request.user, report_id)
    return report


def _refused(error: kpi_services.KpiError) -> Status:
    """422 with the figures to correct and the warnings to confirm; 403 for a report one may
    see but not fill (an officer, a report already transmitted)."""
    if error.errors or error.warnings:
        return Status(
            422,
            {
                "detail": error.message,
                "errors": error.errors,
                "warnings": [{"code": w.code, "message": w.message} for w in error.warnings],
            },
        )
    raise HttpError(403, error.message)


@router.put(
    "/kpi-reports/{report_id}/draft",
    response={200: KpiDraftOut, **WRITE_ERRORS, 422: KpiRefusalOut | ValidationErrorOut},
    auth=TOKEN_ONLY,
    tags=["kpi"],
    summary="Save the draft figures of a KPI report one's organisation fills (as typed)",
)
def save_kpi_draft(
    request: AuthenticatedHttpRequest, report_id: ObjectId, payload: KpiDraftIn
) -> Any:
    """Figures as text (« 12,5 », « 120000 ») or exact numbers; blank or null clears one. Never
    refused for a figure that does not read yet (nothing typed is lost): ``errors`` tells what
    the submission will ask to correct."""
    token_name = _writer(request)
    report = _fillable(request, report_id)
    typed = _typed_figures(report, payload.figures)
    try:
        with transaction.atomic():
            report = kpi_services.save_report_draft(report=report, actor=request.user, typed=typed)
            _channel(request.user, report, "api_save_kpi_draft", token_name)
    except kpi_services.KpiError as error:
        return _refused(error)
    report = kpi_report_for(request.user, report.pk)  # as stored, as a GET reads it
    parsed, warnings = kpi_services.check_report(report, kpi_services.typed_values(report))
    return KpiDraftOut(
        report=_kpi_reports(request.user, [report])[0],
        errors=parsed.errors,
        warnings=[WarningOut(code=w.code, message=w.message) for w in warnings],
    )


@router.post(
    "/kpi-reports/{report_id}/submit",
    response={200: KpiReportOut, **WRITE_ERRORS, 422: KpiRefusalOut | ValidationErrorOut},
    auth=TOKEN_ONLY,
    tags=["kpi"],
    summary="Submit a KPI report (the figures given are saved first, as a draft)",
)
def submit_kpi_report(
    request: AuthenticatedHttpRequest, report_id: ObjectId, payload: KpiSubmitIn
) -> Any:
    """Refused with 422 while a figure is missing or wrong (``errors``) or a consistency warning
    is not in ``confirm`` (``warnings``, with their codes). A second submission of a submitted
    report answers it unchanged."""
    token_name = _writer(request)
    report = _fillable(request, report_id)
    try:
        if payload.figures:
            typed = _typed_figures(report, payload.figures)
            with transaction.atomic():
                report = kpi_services.save_report_draft(
                    report=report, actor=request.user, typed=typed
                )
                _channel(request.user, report, "api_save_kpi_draft", token_name)
        with transaction.atomic():
            before = report.status
            report = kpi_services.submit_report(
                report=report, actor=request.user, confirmed=frozenset(payload.confirm)
            )
            if report.status != before:
                _channel(request.user, report, "api_submit_kpi_report", token_name)
    except kpi_services.KpiError as error:
        return _refused(error)
    return _kpi_reports(request.user, [kpi_report_for(request.user, report.pk)])[0]


# --- application drafts ----------------------------------------------------------------------

Answer = str | Decimal | list[str] | list[dict[str, str]] | None


class ApplicationDraftIn(Schema):
    core: dict[str, Typed] = {}
    answers: dict[str, Answer] = {}
    revision: int | None = None


class ApplicationDraftOut(Schema):
    """The draft as stored (``answers``: as typed, ``_core`` the title, summary and amounts),
    its revision, and what must be fixed before it can be submitted (``problems``, per field)."""

    application: ApplicationOut
    revision: int
    answers: dict[str, Any]
    problems: dict[str, list[str]]


def _answers(application: Application, payload: ApplicationDraftIn) -> dict[str, Any]:
    """The answers in the shape the page stores them (text as typed), from a body checked
    against the call's form: an unknown question or a value of the wrong shape is a 422."""
    spec = application_services.form_spec(application.call)
    fields = {f.key: f for f in spec.fields if f.kind != FieldKind.FILE}
    problems: list[dict[str, Any]] = []

    def problem(where: list[str], message: str) -> None:
        problems.append({"type": "value_error", "loc": ["body", "payload", *where], "msg": message})

    for key in payload.core:
        if key not in CORE_KEYS:
            problem(["core", key], _("Attendus : %(list)s.") % {"list": ", ".join(CORE_KEYS)})
    answers: dict[str, Any] = {}
    for key, value in payload.answers.items():
        form_field = fields.get(key)
        if form_field is None:
            problem(
                ["answers", key],
                _("« %(key)s » n'est pas une question de ce formulaire (hors pièces jointes).")
                % {"key": key[:60]},
            )
            continue
        if form_field.kind == FieldKind.MULTI_CHOICE:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problem(["answers", key], _("Une liste de choix est attendue."))
                continue
            answers[key] = value
        elif form_field.kind == FieldKind.GROUP:
            columns = {c.key for c in spec.children.get(form_field.pk, [])}
            if not isinstance(value, list) or not all(
                isinstance(row, dict) and set(row) <= columns for row in value
            ):
                problem(
                    ["answers", key],
                    _("Une liste de lignes est attendue, de colonnes : %(list)s.")
                    % {"list": ", ".join(sorted(columns))},
                )
                continue
            answers[key] = [
                {c: str(row.get(c, "")) for c in sorted(columns)}
                for row in value
                if isinstance(row, dict) and any(str(v).strip() for v in row.values())
            ]
        elif isinstance(value, list):
            problem(["answers", key], _("Un texte est attendu."))
        else:
            answers[key] = _text(value)
    if problems:
        raise ValidationError(problems)
    if payload.core:
        core = dict(application.answers.get("_core", {}))
        core.update({k: _text(v) for k, v in payload.core.items()})
        answers["_core"] = core
    return answers


@router.patch(
    "/applications/{application_id}/draft",
    response={200: ApplicationDraftOut, **WRITE_ERRORS, 409: ErrorOut},
    auth=TOKEN_ONLY,
    tags=["applications"],
    summary="Update the answers of a draft application one's organisation may edit",
)
def save_application_draft(
    request: AuthenticatedHttpRequest, application_id: ObjectId, payload: ApplicationDraftIn
) -> Any:
    """Only the answers given change. Send ``revision`` (the one last read) to be refused with
    409 rather than overwrite a change made meanwhile (on the page, or by another script)."""
    token_name = _writer(request)
    application = (
        Application.objects.select_related("call", "organisation").filter(pk=application_id).first()
    )
    if application is None or not can_view_application(request.user, application):
        raise not_found()
    verdict = can_edit_application(request.user, application)
    if not verdict:
        raise HttpError(403, verdict.reason)
    answers = _answers(application, payload)
    try:
        with transaction.atomic():
            locked = Application.objects.select_for_update().get(pk=application.pk)
            if payload.revision is not None and payload.revision != locked.draft_revision:
                raise HttpError(
                    409,
                    _(
                        "Le brouillon a changé depuis votre lecture (révision %(now)d, pas "
                        "%(then)d) : relisez-le avant de l'enregistrer."
                    )
                    % {"now": locked.draft_revision, "then": payload.revision},
                )
            application = application_services.save_draft(
                application=application, actor=request.user, answers=answers
            )
            _channel(request.user, application, "api_save_application_draft", token_name)
    except application_services.ApplicationError as error:
        raise HttpError(403, error.message) from None
    application = Application.objects.select_related("call", "organisation").get(pk=application.pk)
    check = application_services.precheck(application)
    return ApplicationDraftOut(
        application=_applications([application])[0],
        revision=application.draft_revision,
        answers=application.answers,
        problems=check.errors,
    )
