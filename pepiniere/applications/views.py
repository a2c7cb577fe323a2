"""The applicant's pages: start, fill (with autosave), attach, pre-check, submit, follow, withdraw."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pepiniere.applications.answers import answers_from_post
from pepiniere.applications.models import Application, Attachment
from pepiniere.applications.permissions import (
    can_edit_application,
    can_read_attachment,
    can_read_file,
    can_view_application,
    can_withdraw_application,
    note_membership,
)
from pepiniere.applications.receipt import receipt_pdf, version_digest
from pepiniere.applications.selectors import (
    application_for_page,
    applications_of_user,
    bound_fields,
    neutral_attachment_name,
    tasks_of_applicant,
    timeline,
)
from pepiniere.applications.services import (
    ApplicationError,
    current_attachments,
    form_spec,
    precheck,
    remove_attachment,
    save_draft,
    start_application,
    submit_application,
    upload_attachment,
    withdraw_application,
)
from pepiniere.applications.workflow import ACTIVE_STATES
from pepiniere.audit.services import trail_for
from pepiniere.calls.models import Call
from pepiniere.lib.http import AuthenticatedHttpRequest, HtmxHttpRequest
from pepiniere.lib.params import parse_int_id
from pepiniere.lib.uploads import sanitise_filename
from pepiniere.organisations.models import Membership, Organisation


def _viewable(request: HttpRequest, pk: int) -> Application:
    """The application, or 404 for anyone who may not see it (no hint that it exists)."""
    try:
        application = application_for_page(pk)
    except Application.DoesNotExist:
        raise Http404 from None
    if not can_read_file(request.user, application):
        raise Http404
    return application


def htmx_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like login_required, but an htmx request gets a 401 with a message instead of a redirect:
    the page stays in place with everything typed, and the script offers to log in again."""

    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if request.htmx:
                return render(
                    request,
                    "applications/edit.html#autosave_status",
                    {"session_expired": True},
                    status=401,
                )
            return login_required(view)(request, *args, **kwargs)
        return view(request, *args, **kwargs)

    return wrapper


@login_required
@require_POST
def start(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    organisation = get_object_or_404(
        Organisation, pk=parse_int_id(request.POST.get("organisation"), label=_("Structure"))
    )
    try:
        application = start_application(call=call, organisation=organisation, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("calls:detail", call.slug)
    return redirect("applications:edit", application.pk)


@login_required
def mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    applications = list(applications_of_user(request.user))
    active = [a for a in applications if a.status in ACTIVE_STATES]
    drafts = [a for a in applications if a.status == "draft"]
    others = [a for a in applications if a not in active and a not in drafts]
    return render(
        request,
        "applications/mine.html",
        {
            "drafts": drafts,
            "active": active,
            "others": others,
            "tasks": tasks_of_applicant(request.user),
        },
    )


@login_required
def detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _viewable(request, pk)
    staff_view = application.organisation_id not in {
        m.organisation_id for m in request.user.memberships.all()
    }
    versions = list(application.versions.all())
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "timeline": timeline(application),
            "versions": versions,
            "latest": versions[-1] if versions else None,
            "trail": trail_for(application, public_only=not staff_view),
            "information_requests": application.information_requests.all(),
            "can_edit": bool(can_edit_application(request.user, application)),
            "can_withdraw": bool(can_withdraw_application(request.user, application)),
        },
    )


def _edit_context(
    application: Application, errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    spec = form_spec(application.call)
    attachments = current_attachments(application)
    core = application.answers.get("_core", {})
    return {
        "application": application,
        "call": application.call,
        "core": core,
        "errors": errors or {},
        "fields": bound_fields(spec, application.answers, errors or {}, attachments),
        "open_request": application.information_requests.filter(answered_at__isnull=True).first(),
    }


@htmx_login_required
def edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _viewable(request, pk)
    verdict = can_edit_application(request.user, application)
    if not verdict:
        messages.warning(request, verdict.reason)
        return redirect("applications:detail", application.pk)
    if request.method == "POST":
        answers = answers_from_post(form_spec(application.call), request.POST)
        application = save_draft(application=application, actor=request.user, answers=answers)
        if request.htmx:
            response = render(
                request,
                "applications/edit.html#autosave_status",
                {"saved_at": timezone.localtime(application.updated_at)},
            )
            response["X-Draft-Revision"] = str(application.draft_revision)
            return response
        if "precheck" in request.POST:
            return redirect("applications:precheck", application.pk)
        messages.success(request, _("Brouillon enregistré."))
        return redirect("applications:edit", application.pk)
    return render(request, "applications/edit.html", _edit_context(application))


@login_required
@require_POST
def upload(request: AuthenticatedHttpRequest, pk: int, field_key: str) -> HttpResponse:
    application = _viewable(request, pk)
    try:
        # The whole form comes along: save what was typed first, so an upload never loses text.
        save_draft(
            application=application,
            actor=request.user,
            answers=answers_from_post(form_spec(application.call), request.POST),
        )
        uploaded = request.FILES.get(f"file-{field_key}")
        if uploaded is None:
            raise ApplicationError(_("Choisissez un fichier avant de cliquer sur « Joindre »."))
        attachment = upload_attachment(
            application=application, actor=request.user, field_key=field_key, uploaded=uploaded
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("« %(name)s » est joint au dossier.") % {"name": attachment.original_name}
        )
    return redirect(reverse("applications:edit", args=[application.pk]) + f"#field-{field_key}")


@login_required
@require_POST
def remove(request: AuthenticatedHttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    application = _viewable(request, pk)
    attachment = get_object_or_404(Attachment, pk=attachment_id, application=application)
    try:
        save_draft(
            application=application,
            actor=request.user,
            answers=answers_from_post(form_spec(application.call), request.POST),
        )
        remove_attachment(attachment=attachment, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Pièce retirée du dossier."))
    return redirect(
        reverse("applications:edit", args=[application.pk]) + f"#field-{attachment.field_key}"
    )


@login_required
def precheck_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _viewable(request, pk)
    verdict = can_edit_application(request.user, application)
    if not verdict:
        messages.warning(request, verdict.reason)
        return redirect("applications:detail", application.pk)
    return render(request, "applications/precheck.html", _precheck_context(application))


def _precheck_context(
    application: Application, error: ApplicationError | None = None
) -> dict[str, Any]:
    result = precheck(application)
    labels = {
        "title": _("Titre du projet"),
        "summary": _("Résumé"),
        "requested_amount": _("Montant demandé"),
        "project_budget": _("Budget total du projet"),
    }
    labels.update({f.key: f.label for f in application.call.form_fields.all()})
    problems = [
        {"key": key, "label": labels.get(key.split(".")[0], key), "messages": msgs}
        for key, msgs in result.errors.items()
    ]
    return {"application": application, "result": result, "problems": problems, "error": error}


@login_required
@require_POST
def submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # The busiest page in the last hour before a deadline: one plain read that also tells whether
    # the user is a member (the service re-reads the row under lock); the full page data only to
    # show a refusal.
    member = Membership.objects.filter(organisation=OuterRef("organisation"), user=request.user)
    try:
        application = (
            Application.objects.select_related("call").annotate(by_member=Exists(member)).get(pk=pk)
        )
    except Application.DoesNotExist:
        raise Http404 from None
    if application.by_member:
        note_membership(request.user, application.organisation_id)
    if not can_view_application(request.user, application):
        raise Http404
    try:
        version = submit_application(application=application, actor=request.user)
    except ApplicationError as error:
        context = _precheck_context(_viewable(request, pk), error)
        return render(request, "applications/precheck.html", context, status=200)
    if version.number == 1:
        messages.success(request, _("Votre dossier est déposé. Voici votre récépissé."))
    else:
        messages.success(
            request,
            _("Votre dossier complété est redéposé (version %(n)d).") % {"n": version.number},
        )
    return redirect("applications:receipt", application.pk)


@login_required
def receipt(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _viewable(request, pk)
    version = application.versions.order_by("-number").first()
    if version is None:
        raise Http404
    return render(
        request,
        "applications/receipt.html",
        {"application": application, "version": version, "digest": version_digest(version)},
    )


@login_required
def receipt_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _viewable(request, pk)
    version = application.versions.select_related("submitted_by").order_by("-number").first()
    if version is None:
        raise Http404
    response = HttpResponse(receipt_pdf(application, version), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="recepisse-{application.reference}-v{version.number}.pdf"'
    )
    return response


@login_required
def version(request: AuthenticatedHttpRequest, pk: int, number: int) -> HttpResponse:
    application = _viewable(request, pk)
    frozen = get_object_or_404(application.versions.select_related("submitted_by"), number=number)
    spec = form_spec(application.call)
    return render(
        request,
        "applications/version.html",
        {
            "application": application,
            "version": frozen,
            "fields": spec.fields,
            "children": spec.children,
        },
    )


@login_required
def withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _viewable(request, pk)
    verdict = can_withdraw_application(request.user, application)
    if not verdict:
        messages.warning(request, verdict.reason)
        return redirect("applications:detail", application.pk)
    if request.method == "POST":
        try:
            withdraw_application(
                application=application,
                actor=request.user,
                reason=request.POST.get("reason", "")[:2000],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Le dossier est retiré."))
        return redirect("applications:detail", application.pk)
    return render(request, "applications/withdraw.html", {"application": application})


@login_required
def attachment_download(request: AuthenticatedHttpRequest, token: str) -> FileResponse:
    attachment = get_object_or_404(Attachment.objects.select_related("application"), token=token)
    application = application_for_page(attachment.application_id)
    if not can_read_attachment(request.user, application):
        raise Http404
    # Names stored before uploads were cleaned may still hold bidi or control characters.
    filename = sanitise_filename(attachment.original_name)
    if application.call.blind_review and not can_view_application(request.user, application):
        # An expert of a blind review: file names often name the applicant.
        filename = neutral_attachment_name(application, attachment)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
