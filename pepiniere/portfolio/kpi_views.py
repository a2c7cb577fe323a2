"""KPI pages: an organisation's report form (autosaved like an application draft), the officers'
review, corrections and campaigns."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pepiniere.accounts.models import Role
from pepiniere.applications.permissions import is_member
from pepiniere.audit.services import trail_for
from pepiniere.calls.models import Call
from pepiniere.lib.http import AuthenticatedHttpRequest, HtmxHttpRequest
from pepiniere.portfolio import bulk, figures, selectors, services, services_campaigns
from pepiniere.portfolio.forms import CampaignForm
from pepiniere.portfolio.models import KpiCampaign, KpiImport, KpiReport, ReportStatus
from pepiniere.portfolio.permissions import (
    can_correct_report,
    can_fill_report,
    can_manage_campaigns,
    can_review_report,
    can_see_campaign,
    can_see_report,
    staff_funder_ids,
)
from pepiniere.programmes.models import Programme


def htmx_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An htmx autosave after the session expired gets a 401 with a message instead of a redirect:
    the page stays in place with everything typed (kept in the browser by pepiniere.js)."""

    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if request.htmx:
                return render(
                    request,
                    "portfolio/report_form.html#autosave_status",
                    {"session_expired": True},
                    status=401,
                )
            return login_required(view)(request, *args, **kwargs)
        return view(request, *args, **kwargs)

    return wrapper


def _viewable(request: HttpRequest, pk: int) -> KpiReport:
    report = get_object_or_404(
        KpiReport.objects.select_related("organisation", "campaign", "campaign__funder"), pk=pk
    )
    if not can_see_report(request.user, report):
        raise Http404
    return report


def _typed_from_post(report: KpiReport, post: QueryDict) -> dict[str, str]:
    keys = [f.name for f in figures.figures_for(report)] + [
        f"extra-{q['key']}" for q in services.questions_of(report)
    ]
    return {key: str(post.get(key, "")) for key in keys if key in post}


def _form_context(
    report: KpiReport,
    typed: dict[str, str],
    errors: dict[str, str] | None = None,
    warnings: list[figures.KpiWarning] | None = None,
) -> dict[str, Any]:
    errors = errors or {}
    rows = [
        {
            "figure": figure,
            "name": figure.name,
            "value": typed.get(figure.name, ""),
            "error": errors.get(figure.name, ""),
        }
        for figure in figures.figures_for(report)
    ]
    extra = [
        {
            "question": q,
            "name": f"extra-{q['key']}",
            "value": typed.get(f"extra-{q['key']}", ""),
            "error": errors.get(f"extra-{q['key']}", ""),
        }
        for q in services.questions_of(report)
    ]
    return {
        "report": report,
        "rows": rows,
        "extra": extra,
        "errors": errors,
        "warnings": warnings or [],
        "previous": services.previous_validated(report),
    }


@htmx_login_required
def report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The organisation fills its report here (autosaved); anyone else allowed reads it."""
    report = _viewable(request, pk)
    member = is_member(request.user, report.organisation_id)
    verdict = can_fill_report(request.user, report)
    if not verdict:
        if request.method == "POST":
            if not member:
                raise Http404
            verdict.enforce()
        return _review_page(request, report)
    if request.method == "POST":
        typed = _typed_from_post(report, request.POST)
        # An autosave never transmits. htmx adds the last button that had the focus to the values it
        # sends: an autosave queued behind another and sent once « Transmettre » was clicked carries
        # `submit`, and would transmit the report under the page's own submission.
        if "submit" in request.POST and not request.htmx:
            confirmed = set(request.POST.getlist("confirm"))
            # Saved first, in its own transaction: a refused submission keeps what was typed.
            report = services.save_report_draft(report=report, actor=request.user, typed=typed)
            try:
                services.submit_report(report=report, actor=request.user, confirmed=confirmed)
            except services.KpiError as error:
                report.refresh_from_db()
                messages.error(request, error.message)
                return render(
                    request,
                    "portfolio/report_form.html",
                    _form_context(report, typed, error.errors, error.warnings),
                    status=200,
                )
            messages.success(
                request,
                _("Rapport transmis : le service instructeur va le vérifier. Merci !"),
            )
            return redirect("kpi:report", report.pk)
        report = services.save_report_draft(report=report, actor=request.user, typed=typed)
        if request.htmx:
            response = render(
                request,
                "portfolio/report_form.html#autosave_status",
                {"saved_at": timezone.localtime(report.updated_at)},
            )
            response["X-Draft-Revision"] = str(report.draft_revision)
            return response
        messages.success(request, _("Brouillon enregistré."))
        return redirect("kpi:report", report.pk)
    return render(
        request, "portfolio/report_form.html", _form_context(report, services.typed_values(report))
    )


def _review_page(
    request: AuthenticatedHttpRequest,
    report: KpiReport,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    values = services.typed_values(report) if report.status in services.OPEN_STATES else {}
    shown = [
        {
            "figure": figure,
            "value": getattr(report, figure.name),
            "typed": figures.shown(getattr(report, figure.name)),
            "error": (errors or {}).get(figure.name, ""),
        }
        for figure in figures.figures_for(report)
    ]
    answers = [
        {"question": q, "answer": (report.extra_answers or {}).get(q["key"])}
        for q in services.questions_of(report)
    ]
    return render(
        request,
        "portfolio/report.html",
        {
            "report": report,
            "shown": shown,
            "answers": answers,
            "draft": values,
            "can_review": bool(can_review_report(user, report)),
            "can_correct": bool(can_correct_report(user, report))
            and report.status in (ReportStatus.SUBMITTED, ReportStatus.VALIDATED),
            "is_member": is_member(user, report.organisation_id),
            "corrections": report.corrections.select_related("corrected_by"),
            "trail": trail_for(report, public_only=is_member(user, report.organisation_id)),
            "warnings": [
                w
                for w in figures.consistency_warnings(
                    {f.name: getattr(report, f.name) for f in figures.FIGURES},
                    previous=services.previous_validated(report),
                )
            ]
            if report.status != ReportStatus.DUE
            else [],
            "series": selectors.organisation_series(report.organisation_id),
        },
        status=status,
    )


def _officer_report(request: AuthenticatedHttpRequest, pk: int) -> KpiReport:
    report = _viewable(request, pk)
    if is_member(request.user, report.organisation_id) and not can_correct_report(
        request.user, report
    ):
        raise Http404
    return report


@login_required
@require_POST
def validate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _officer_report(request, pk)
    verdict = can_review_report(request.user, report)
    verdict.enforce()
    services.validate_report(report=report, actor=request.user)
    messages.success(request, _("Rapport validé : ses chiffres comptent dans les indicateurs."))
    return redirect("kpi:report", report.pk)


@login_required
@require_POST
def send_back(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _officer_report(request, pk)
    can_review_report(request.user, report).enforce()
    try:
        services.return_report(
            report=report, actor=request.user, reason=request.POST.get("reason", "")
        )
    except services.KpiError as error:
        messages.error(request, error.message)
        return redirect("kpi:report", report.pk)
    messages.success(request, _("Rapport renvoyé à la structure avec votre motif."))
    return redirect("kpi:report", report.pk)


@login_required
@require_POST
def correct(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = _officer_report(request, pk)
    can_correct_report(request.user, report).enforce()
    typed = {
        f.name: request.POST[f.name] for f in figures.figures_for(report) if f.name in request.POST
    }
    try:
        corrections = services.correct_report(
            report=report, actor=request.user, typed=typed, reason=request.POST.get("reason", "")
        )
    except services.KpiError as error:
        messages.error(request, error.message)
        return _review_page(request, report, errors=error.errors, status=200)
    messages.success(
        request,
        _("%(n)d chiffre(s) corrigé(s) ; l'ancienne valeur est conservée.")
        % {"n": len(corrections)},
    )
    return redirect("kpi:report", report.pk)


@login_required
def mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The reports of the person's organisations: the ones to fill first."""
    reports = selectors.reports_of_member(request.user)
    return render(
        request,
        "portfolio/mine.html",
        {
            "open": [r for r in reports if r.status in services.OPEN_STATES],
            "done": [r for r in reports if r.status not in services.OPEN_STATES],
        },
    )


# --- Officers: campaigns ----------------------------------------------------------------------


def _staff_funders(request: AuthenticatedHttpRequest) -> set[int] | None:
    ids = staff_funder_ids(request.user, Role.OFFICER, Role.FINANCE)
    if ids is not None and not ids:
        raise PermissionDenied(
            _("Les campagnes d'indicateurs sont réservées aux équipes des financeurs.")
        )
    return ids


def _campaign(request: AuthenticatedHttpRequest, pk: int) -> KpiCampaign:
    campaign = get_object_or_404(
        KpiCampaign.objects.select_related("funder", "programme", "call", "launched_by"), pk=pk
    )
    if not can_see_campaign(request.user, campaign):
        raise Http404
    return campaign


@login_required
def campaigns(request: AuthenticatedHttpRequest) -> HttpResponse:
    ids = _staff_funders(request)
    return render(
        request,
        "portfolio/campaigns.html",
        {
            "campaigns": list(selectors.campaigns_of(ids)),
            "can_launch": bool(
                staff_funder_ids(request.user, Role.OFFICER) is None
                or staff_funder_ids(request.user, Role.OFFICER)
            ),
        },
    )


@login_required
def new_campaign(request: AuthenticatedHttpRequest) -> HttpResponse:
    ids = staff_funder_ids(request.user, Role.OFFICER)
    if ids is not None and not ids:
        raise PermissionDenied(_("Seul·es les chargé·es de mission lancent les campagnes."))
    programmes = Programme.objects.select_related("funder").order_by("-start_date", "title")
    calls = Call.objects.order_by("-opens_at", "title")
    if ids is not None:
        programmes = programmes.filter(funder_id__in=ids)
        calls = calls.filter(funder_id__in=ids)
    form = CampaignForm(request.POST or None, programmes=list(programmes), calls=list(calls))
    if request.method == "POST" and form.is_valid():
        scope = form.scope_objects()
        funder = scope["programme"].funder if scope["programme"] else scope["call"].funder
        try:
            result = services_campaigns.launch_campaign(
                actor=request.user,
                funder=funder,
                programme=scope["programme"],
                call=scope["call"],
                period_year=form.cleaned_data["period_year"],
                period_semester=form.cleaned_data["period_semester"],
                due_date=form.cleaned_data["due_date"],
                title=form.cleaned_data["title"],
                reminder_days_before=form.cleaned_data["reminder_days_before"],
                reminder_days_after=form.cleaned_data["reminder_days_after"],
                extra_questions=form.cleaned_data["questions"],
            )
        except services.KpiError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _(
                    "Campagne lancée : %(n)d structures sollicitées (un courriel part à chacune), "
                    "%(m)d avaient déjà un rapport pour la période."
                )
                % {"n": result.asked, "m": result.already},
            )
            return redirect("kpi:campaign", result.campaign.pk)
    return render(request, "portfolio/campaign_new.html", {"form": form})


@login_required
def campaign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    status = request.GET.get("statut", "")
    if status not in ReportStatus.values:
        status = ""
    counts = dict(
        campaign.reports.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return render(
        request,
        "portfolio/campaign.html",
        {
            "campaign": campaign,
            "reports": selectors.campaign_reports(campaign, status=status)[:500],
            "status": status,
            "counts": [(s, label, counts.get(s, 0)) for s, label in ReportStatus.choices],
            "total": sum(counts.values()),
            "can_manage": bool(can_manage_campaigns(request.user, campaign.funder_id)),
            "reminders": campaign.reminders.all(),
            "steps": services_campaigns.reminder_steps(campaign),
        },
    )


@login_required
@require_POST
def close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    can_manage_campaigns(request.user, campaign.funder_id).enforce()
    services_campaigns.close_campaign(campaign=campaign, actor=request.user)
    messages.success(request, _("Campagne close : plus de relance."))
    return redirect("kpi:campaign", campaign.pk)


@login_required
def template(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    can_manage_campaigns(request.user, campaign.funder_id).enforce()
    response = HttpResponse(
        bulk.template_xlsx(campaign),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="indicateurs-campagne-{campaign.pk}.xlsx"'
    )
    return response


@login_required
def upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    can_manage_campaigns(request.user, campaign.funder_id).enforce()
    error = ""
    if request.method == "POST":
        uploaded = request.FILES.get("file")
        if uploaded is None:
            error = _("Choisissez le fichier rempli avant de cliquer sur « Voir l'aperçu ».")
        else:
            try:
                kpi_import = bulk.upload_import(
                    campaign=campaign, actor=request.user, uploaded=uploaded
                )
            except services.KpiError as refused:
                error = refused.message
            else:
                return redirect("kpi:import", campaign.pk, kpi_import.pk)
    return render(
        request,
        "portfolio/import_upload.html",
        {"campaign": campaign, "error": error},
        status=400 if error else 200,
    )


@login_required
def import_preview(request: AuthenticatedHttpRequest, pk: int, import_pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    can_manage_campaigns(request.user, campaign.funder_id).enforce()
    kpi_import = get_object_or_404(KpiImport, pk=import_pk, campaign=campaign)
    if request.method == "POST":
        try:
            n = bulk.confirm_import(kpi_import=kpi_import, actor=request.user)
        except services.KpiError as error:
            messages.error(request, error.message)
            return redirect("kpi:import", campaign.pk, kpi_import.pk)
        messages.success(request, _("%(n)d rapports importés et validés.") % {"n": n})
        return redirect("kpi:campaign", campaign.pk)
    return render(
        request,
        "portfolio/import_preview.html",
        {"campaign": campaign, "import": kpi_import, "counts": bulk.counts(kpi_import)},
    )
