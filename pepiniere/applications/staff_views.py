"""The officers' back-office: screening list, application page, decisions, exports, dashboard."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pepiniere.accounts.models import Role
from pepiniere.applications import services, staff_services
from pepiniere.applications.eligibility import check_eligibility
from pepiniere.applications.exports import CONTENT_TYPES, export_rows, render_export
from pepiniere.applications.models import Application, Export, ExportFormat, Status
from pepiniere.applications.permissions import (
    can_export_applications,
    can_open_backoffice,
    can_read_file,
    can_read_internal_notes,
    can_screen_application,
    can_view_application,
)
from pepiniere.applications.selectors import application_for_page
from pepiniere.applications.services import form_spec
from pepiniere.applications.staff_selectors import (
    SORTS,
    ListFilters,
    axis_dashboard,
    call_dashboard,
    screening_list,
    staff_calls,
)
from pepiniere.applications.versions import compare_versions
from pepiniere.applications.workflow import IllegalTransition
from pepiniere.audit.services import trail_for
from pepiniere.calls.models import Sector
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.lib.params import InvalidParameter, parse_int_ids
from pepiniere.organisations.models import OrganisationKind
from pepiniere.territories.models import Departement

PAGE_SIZE = 50


def staff_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Funder staff only (officers, jury, admins: can_open_backoffice); others get a 403 with
    the reason."""

    @wraps(view)
    @login_required
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        can_open_backoffice(request.user).enforce()
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    calls = staff_calls(request.user).order_by("-closes_at")
    return render(request, "applications/staff/home.html", {"calls": calls})


@staff_required
def application_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = ListFilters.from_query(request.GET)
    applications = screening_list(request.user, filters)
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    calls = list(staff_calls(request.user).order_by("-closes_at"))
    context = {
        "page": page,
        "filters": filters,
        "calls": calls,
        "current_call": next((c for c in calls if c.slug == filters.call), None),
        "statuses": [s for s in Status.choices if s[0] != Status.DRAFT],
        "departements": Departement.objects.all(),
        "kinds": OrganisationKind.choices,
        "axes": sorted({(c.axis.code, c.axis.title) for c in calls if c.axis}),
        "sectors": Sector.objects.all(),
        "sorts": SORTS,
        "querystring": urlencode(filters.as_dict()),
        "can_export": bool(can_export_applications(request.user)),
    }
    template = (
        "applications/staff/list.html#results" if request.htmx else "applications/staff/list.html"
    )
    return render(request, template, context)


def _staff_application(request: AuthenticatedHttpRequest, pk: int) -> Application:
    try:
        application = application_for_page(pk)
    except Application.DoesNotExist:
        raise Http404 from None
    if not can_view_application(request.user, application) or not request.user.is_staff_member:
        raise Http404
    return application


@staff_required
def application_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = _staff_application(request, pk)
    versions = list(application.versions.select_related("submitted_by"))
    spec = form_spec(application.call)
    other_applications = (
        Application.objects.filter(organisation=application.organisation)
        .exclude(pk=application.pk)
        .exclude(status=Status.DRAFT)
        .select_related("call")
        .order_by("-submitted_at")
    )
    can_screen = bool(can_screen_application(request.user, application))
    if not can_read_file(request.user, application):
        # The jury decides from the summary and the amounts (README, « Who sees what »).
        return render(request, "applications/staff/detail.html", {"application": application})
    # The rules as the applicant's pre-check explained them, on the day the dossier was filed.
    submitted_on = (
        timezone.localdate(application.submitted_at) if application.submitted_at else None
    )
    return render(
        request,
        "applications/staff/detail.html",
        {
            "application": application,
            "versions": versions,
            "comparison": compare_versions(versions, spec) if versions else [],
            "eligibility": check_eligibility(application, on=submitted_on),
            "submitted_on": submitted_on,
            "attachments": application.attachment_set.select_related("uploaded_by").order_by(
                "uploaded_at"
            ),
            "other_applications": other_applications,
            "trail": trail_for(application),
            "full_file": True,
            "notes": application.internal_notes.select_related("author")
            if can_read_internal_notes(request.user, application.call)
            else None,
            "information_requests": application.information_requests.select_related("requested_by"),
            "can_screen": can_screen,
            # A second claim of the organisation's SIRET waits for a member or an officer.
            "pending_join_requests": application.organisation.join_requests.filter(
                status="pending"
            ).count()
            if can_screen
            else 0,
        },
    )


def _decide(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    application = _staff_application(request, pk)
    # Screening and internal notes are the officers' (the jury reads, README « Who sees what »).
    verdict = can_read_internal_notes(request.user, application.call)
    if not verdict:
        raise PermissionDenied(verdict.reason)
    text = request.POST.get("text", "").strip()
    try:
        if action == "eligible":
            services.mark_eligible(application=application, actor=request.user)
            messages.success(
                request, _("Dossier déclaré recevable ; le porteur est prévenu par courriel.")
            )
        elif action == "ineligible":
            services.mark_ineligible(application=application, actor=request.user, reason=text)
            messages.success(
                request, _("Dossier déclaré irrecevable ; le motif est envoyé au porteur.")
            )
        elif action == "request_information":
            if not text:
                raise services.ApplicationError(_("Écrivez le message au porteur."))
            services.request_information(application=application, actor=request.user, message=text)
            messages.success(request, _("Demande de compléments envoyée au porteur."))
        else:
            staff_services.add_internal_note(application=application, actor=request.user, text=text)
            messages.success(request, _("Note ajoutée."))
    except services.ApplicationError as error:
        messages.error(request, error.message)
    except IllegalTransition:
        messages.error(
            request,
            _("Ce dossier est « %(status)s » : cette action n'est plus possible.")
            % {"status": application.get_status_display()},
        )
    return redirect("backoffice:detail", application.pk)


@staff_required
@require_POST
def decide(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in {"eligible", "ineligible", "request_information", "note"}:
        raise Http404
    return _decide(request, pk, action)


@staff_required
@require_POST
def bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    ids = parse_int_ids(request.POST.getlist("ids"), label=_("Dossiers cochés"))
    applications = list(screening_list(request.user, ListFilters()).filter(pk__in=ids))
    back = reverse("backoffice:list") + "?" + request.POST.get("querystring", "")
    if not applications:
        messages.warning(request, _("Cochez au moins un dossier."))
        return redirect(back)
    eligible = request.POST.get("action") == "eligible"
    try:
        result = staff_services.bulk_screen(
            applications=applications,
            actor=request.user,
            eligible=eligible,
            reason=request.POST.get("reason", ""),
        )
    except services.ApplicationError as error:
        messages.error(request, error.message)
        return redirect(back)
    if result.done:
        messages.success(request, _("%(n)d dossier(s) traité(s).") % {"n": len(result.done)})
    for application, reason in result.refused:
        messages.warning(request, f"{application.reference} : {reason}")
    return redirect(back)


def exporter_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Exports hold every answer, SIRETs and IBANs: officers only, never the jury."""

    @wraps(view)
    @staff_required
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        verdict = can_export_applications(request.user)
        if not verdict:
            raise PermissionDenied(verdict.reason)
        return view(request, *args, **kwargs)

    return wrapper


@exporter_required
def export(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = ListFilters.from_query(request.GET)
    fmt = request.GET.get("format", "csv")
    if fmt not in ExportFormat.values:
        raise Http404
    # CSV numbers: a decimal comma for French spreadsheets (default), a point (and ISO dates) with
    # ?decimal=point for programs that read the file.
    decimal = request.GET.get("decimal", "comma")
    if decimal not in ("comma", "point"):
        raise InvalidParameter(_("« decimal » vaut « comma » (virgule, par défaut) ou « point »."))
    decimal_point = decimal == "point"
    applications = screening_list(request.user, filters, roles=(Role.OFFICER,))
    total = applications.count()
    if total > staff_services.SYNC_EXPORT_LIMIT:
        job = staff_services.request_export(
            actor=request.user,
            filters=filters.as_dict(),
            fmt=fmt,
            total=total,
            decimal_point=decimal_point,
        )
        return redirect("backoffice:export_status", job.pk)
    call = (
        staff_calls(request.user, roles=(Role.OFFICER,)).filter(slug=filters.call).first()
        if filters.call
        else None
    )
    headers, rows = export_rows(applications, call)
    content, _count = render_export(headers, rows, fmt, decimal_point=decimal_point)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="dossiers-{stamp}.{fmt}"'
    return response


def _own_export(request: AuthenticatedHttpRequest, pk: int) -> Export:
    job = get_object_or_404(Export, pk=pk)
    if job.requested_by_id != request.user.pk:
        raise Http404
    return job


@exporter_required
def export_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = _own_export(request, pk)
    template = (
        "applications/staff/export.html#progress"
        if request.htmx
        else "applications/staff/export.html"
    )
    return render(request, template, {"job": job})


@exporter_required
def export_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    job = _own_export(request, pk)
    name = job.file.name
    if not name:  # no file yet (a FieldFile is falsy exactly when its name is empty)
        raise Http404
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=name.rsplit("/", 1)[-1],
        content_type=CONTENT_TYPES[job.format],
    )


@staff_required
def dashboard(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(staff_calls(request.user), slug=slug)
    figures = call_dashboard(call)
    return render(
        request,
        "applications/staff/dashboard.html",
        {
            "call": call,
            "figures": figures,
            "axes": axis_dashboard(call),
            "chart_data": {
                "status": {
                    "labels": [str(label) for _s, label, n in figures["by_status"] if n],
                    "values": [n for _s, _l, n in figures["by_status"] if n],
                },
                "departement": {
                    "labels": [
                        f"{d['organisation__departement__name']} ({d['organisation__departement_id']})"
                        for d in figures["by_departement"]
                    ],
                    "values": [float(d["amount"] or 0) for d in figures["by_departement"]],
                },
            },
        },
    )
