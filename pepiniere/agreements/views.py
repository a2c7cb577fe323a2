"""Agreement pages: the funder's list per call and agreement page (versions, signatures, PDFs,
actions), the call's template and schedule, and the beneficiary's « Ma convention »."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pepiniere.accounts.throttle import client_ip
from pepiniere.agreements import call_services, selectors, services, signature_services, templating
from pepiniere.agreements.forms import (
    ScheduleForm,
    SignatureForm,
    TemplateForm,
    TerminationForm,
    TermsForm,
)
from pepiniere.agreements.models import (
    Agreement,
    AgreementStatus,
    AgreementTemplate,
    AgreementVersion,
    Signature,
    Trigger,
)
from pepiniere.agreements.permissions import (
    beneficiary_sees,
    can_manage_agreements,
    can_see_agreement,
    can_see_call_agreements,
    can_sign_for_beneficiary,
    can_sign_for_funder,
    is_agreement_staff,
)
from pepiniere.agreements.schedule import ScheduleRefused, StepSpec, call_schedule
from pepiniere.applications.models import Application
from pepiniere.applications.permissions import is_member
from pepiniere.audit.services import trail_for
from pepiniere.calls.models import Call
from pepiniere.grants.models import Award
from pepiniere.lib.htmlpdf import html_to_pdf
from pepiniere.lib.http import AuthenticatedHttpRequest


def _call(request: HttpRequest, slug: str) -> Call:
    call = get_object_or_404(Call.objects.select_related("funder", "programme"), slug=slug)
    if not can_see_call_agreements(request.user, call):
        raise Http404
    return call


def _staff_agreement(request: HttpRequest, pk: int) -> Agreement:
    try:
        agreement = selectors.agreement_with_versions(pk)
    except Agreement.DoesNotExist:
        raise Http404 from None
    if not is_agreement_staff(request.user, agreement.award.application.call):
        raise Http404
    return agreement


def _steps(version: AgreementVersion) -> list[StepSpec]:
    return [StepSpec(s.percent, s.trigger, s.label) for s in version.schedule.all()]


@login_required
def call_agreements(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    awards = list(selectors.call_awards(call))
    rows = []
    counts: dict[str, int] = {}
    for award in awards:
        agreement = award.agreement if _has_agreement(award) else None
        rows.append({"award": award, "agreement": agreement})
        key = agreement.status if agreement else "none"
        counts[key] = counts.get(key, 0) + 1
    return render(
        request,
        "agreements/call.html",
        {
            "call": call,
            "rows": rows,
            "counts": [
                (AgreementStatus(code).label, counts[code])
                for code in AgreementStatus.values
                if code in counts
            ],
            "to_prepare": counts.get("none", 0),
            "can_manage": bool(can_manage_agreements(request.user, call)),
        },
    )


def _has_agreement(award: Award) -> bool:
    try:
        award.agreement  # noqa: B018 - a reverse one-to-one reads as an attribute
    except Agreement.DoesNotExist:
        return False
    return True


@login_required
@require_POST
def prepare(request: HttpRequest, slug: str) -> HttpResponse:
    """Prepare the draft agreement of every award of the call that has none."""
    call = _call(request, slug)
    can_manage_agreements(request.user, call).enforce()
    prepared = 0
    for award in Award.objects.filter(
        application__call=call, agreement__isnull=True, application__status="awarded"
    ).order_by("pk"):
        try:
            services.prepare_agreement(award=award, actor=request.user)
        except services.AgreementError as error:
            messages.error(request, f"{award.application}: {error.message}")
        else:
            prepared += 1
    messages.success(request, _("%(n)d convention(s) préparée(s).") % {"n": prepared})
    return redirect("agreements:call", call.slug)


def _detail_context(
    request: AuthenticatedHttpRequest, agreement: Agreement, **forms: Any
) -> dict[str, Any]:
    versions = list(agreement.versions.all())
    latest = versions[-1]
    call = agreement.award.application.call
    manage = bool(can_manage_agreements(request.user, call))
    amendment = latest.is_amendment
    context: dict[str, Any] = {
        "agreement": agreement,
        "application": agreement.award.application,
        "call": call,
        "versions": versions,
        "latest": latest,
        "can_manage": manage,
        "can_sign": bool(can_sign_for_funder(request.user, latest)),
        "trail": trail_for(agreement).select_related("actor"),
    }
    if manage and agreement.status == AgreementStatus.DRAFT:
        context["terms_form"] = forms.get("terms_form") or TermsForm(
            amendment=amendment,
            initial={
                "amount": latest.amount,
                "aid_rate": f"{latest.aid_rate.normalize():f}".replace(".", ","),
                "eligible_budget": latest.eligible_budget,
                "start_date": latest.start_date,
                "end_date": latest.end_date,
                "purpose": latest.purpose,
            },
        )
        context["schedule_form"] = forms.get("schedule_form") or ScheduleForm(steps=_steps(latest))
    if context["can_sign"]:
        context["signature_form"] = forms.get("signature_form") or SignatureForm(
            initial={"name": request.user.get_full_name(), "shown_sha256": latest.sha256}
        )
    if manage and agreement.status not in (AgreementStatus.CLOSED, AgreementStatus.TERMINATED):
        context["termination_form"] = forms.get("termination_form") or TerminationForm()
    context["error"] = forms.get("error")
    return context


@login_required
def detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    agreement = _staff_agreement(request, pk)
    return render(request, "agreements/detail.html", _detail_context(request, agreement))


@login_required
@require_POST
def edit_draft(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    agreement = _staff_agreement(request, pk)
    can_manage_agreements(request.user, agreement.award.application.call).enforce()
    latest = list(agreement.versions.all())[-1]
    terms_form = TermsForm(request.POST, amendment=latest.is_amendment)
    schedule_form = ScheduleForm(request.POST)
    error = None
    if terms_form.is_valid() and schedule_form.is_valid():
        data = terms_form.cleaned_data
        try:
            services.update_draft(
                agreement=agreement,
                actor=request.user,
                amount=data.get("amount"),
                purpose=data.get("purpose"),
                aid_rate=data["aid_rate"],
                eligible_budget=data["eligible_budget"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                steps=schedule_form.cleaned_data["steps"],
            )
        except services.AgreementError as refused:
            error = refused.message
            for field, message in refused.errors.items():
                if field in terms_form.fields:
                    terms_form.add_error(field, message)
        except ScheduleRefused as refused:
            error = refused.message
            _schedule_errors(schedule_form, refused)
        else:
            messages.success(request, _("Brouillon enregistré."))
            return redirect("agreements:detail", agreement.pk)
    else:
        error = _("Corrigez les champs signalés.")
    context = _detail_context(
        request, agreement, terms_form=terms_form, schedule_form=schedule_form, error=error
    )
    return render(request, "agreements/detail.html", context, status=422)


def _schedule_errors(form: ScheduleForm, refused: ScheduleRefused) -> None:
    # The service numbers the rows it was given (empty rows left out): map back to the form's.
    filled = [
        i
        for i in range(len(form.rows()))
        if (form.data.get(f"percent_{i}") or "").strip() or form.data.get(f"trigger_{i}")
    ]
    for index, message in refused.lines.items():
        if index < len(filled):
            form.add_error(f"percent_{filled[index]}", message)


@login_required
@require_POST
def send(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _staff_agreement(request, pk)
    can_manage_agreements(request.user, agreement.award.application.call).enforce()
    try:
        version = services.send_agreement(agreement=agreement, actor=request.user)
    except (services.AgreementError, ScheduleRefused) as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("%(label)s envoyée : le bénéficiaire est prévenu par courriel.")
            % {"label": version.label},
        )
    return redirect("agreements:detail", agreement.pk)


def _sign_with(
    sign: Callable[..., Signature],
    request: AuthenticatedHttpRequest,
    agreement: Agreement,
    form: SignatureForm,
) -> str | None:
    """Sign (as the beneficiary or the funder) with what the form holds; None once signed, else
    the message to show (the refusal's per-field errors are added to the form)."""
    if not form.is_valid():
        return _("Corrigez les champs signalés.")
    try:
        sign(
            agreement=agreement,
            actor=request.user,
            consent=form.cleaned_data["consent"],
            name=form.cleaned_data["name"],
            title=form.cleaned_data["title"],
            shown_sha256=form.cleaned_data["shown_sha256"],
            ip_address=client_ip(request) or None,
            user_agent=request.headers.get("user-agent", ""),
        )
    except services.AgreementError as refused:
        for field, message in refused.errors.items():
            form.add_error(field if field in form.fields else None, message)
        return refused.message
    return None


@login_required
@require_POST
def sign_funder(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    agreement = _staff_agreement(request, pk)
    latest = list(agreement.versions.all())[-1]
    can_sign_for_funder(request.user, latest).enforce()
    form = SignatureForm(request.POST)
    error = _sign_with(signature_services.sign_as_funder, request, agreement, form)
    if error is None:
        messages.success(request, _("Convention signée par les deux parties, scellée."))
        return redirect("agreements:detail", agreement.pk)
    agreement = _staff_agreement(request, pk)
    return render(
        request,
        "agreements/detail.html",
        _detail_context(request, agreement, signature_form=form, error=error),
        status=422,
    )


@login_required
def amend(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _staff_agreement(request, pk)
    can_manage_agreements(request.user, agreement.award.application.call).enforce()
    current = list(agreement.versions.all())[-1]
    if agreement.status != AgreementStatus.SIGNED:
        messages.error(request, _("Un avenant se prépare sur une convention signée."))
        return redirect("agreements:detail", agreement.pk)
    terms_form = TermsForm(
        request.POST or None,
        amendment=True,
        initial={
            "amount": current.amount,
            "aid_rate": f"{current.aid_rate.normalize():f}".replace(".", ","),
            "eligible_budget": current.eligible_budget,
            "start_date": current.start_date,
            "end_date": current.end_date,
        },
    )
    schedule_form = ScheduleForm(request.POST or None, steps=_steps(current))
    error = None
    if request.method == "POST":
        if terms_form.is_valid() and schedule_form.is_valid():
            data = terms_form.cleaned_data
            try:
                version = services.create_amendment(
                    agreement=agreement,
                    actor=request.user,
                    purpose=data["purpose"],
                    amount=data["amount"],
                    aid_rate=data["aid_rate"],
                    eligible_budget=data["eligible_budget"],
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    steps=schedule_form.cleaned_data["steps"],
                )
            except services.AgreementError as refused:
                error = refused.message
                for field, message in refused.errors.items():
                    if field in terms_form.fields:
                        terms_form.add_error(field, message)
            except ScheduleRefused as refused:
                error = refused.message
                _schedule_errors(schedule_form, refused)
            else:
                messages.success(
                    request,
                    _("%(label)s préparé : relisez-le puis envoyez-le pour signature.")
                    % {"label": version.label},
                )
                return redirect("agreements:detail", agreement.pk)
        else:
            error = _("Corrigez les champs signalés.")
    return render(
        request,
        "agreements/amend.html",
        {
            "agreement": agreement,
            "current": current,
            "terms_form": terms_form,
            "schedule_form": schedule_form,
            "error": error,
        },
        status=422 if error else 200,
    )


@login_required
@require_POST
def terminate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    agreement = _staff_agreement(request, pk)
    can_manage_agreements(request.user, agreement.award.application.call).enforce()
    form = TerminationForm(request.POST)
    if form.is_valid():
        try:
            services.terminate_agreement(
                agreement=agreement, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except services.AgreementError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Convention résiliée."))
        return redirect("agreements:detail", agreement.pk)
    agreement = _staff_agreement(request, pk)
    return render(
        request,
        "agreements/detail.html",
        _detail_context(
            request, agreement, termination_form=form, error=_("Un motif est obligatoire.")
        ),
        status=422,
    )


@login_required
def version_pdf(request: HttpRequest, pk: int, kind: str) -> HttpResponseBase:
    """A version's PDF: « a-signer » (what the parties were shown) or « signee » (sealed)."""
    version = get_object_or_404(
        AgreementVersion.objects.select_related(
            "agreement__award__application__call", "agreement__award__application__organisation"
        ),
        pk=pk,
    )
    if not can_see_agreement(request.user, version.agreement):
        raise Http404
    if kind == "signee" and version.signed_at is not None:
        version = signature_services.sealed_pdf_of(version)
    field = {"a-signer": version.pdf, "signee": version.sealed_pdf}.get(kind)
    if not field or version.sent_at is None:
        raise Http404
    suffix = "-signee" if kind == "signee" else ""
    return FileResponse(
        field.open("rb"),
        content_type="application/pdf",
        as_attachment=request.GET.get("lire") != "1",
        filename=f"{version.agreement.reference}-v{version.number}{suffix}.pdf",
    )


# --- the call's template and schedule -------------------------------------------------------


@login_required
def template_edit(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    can_manage_agreements(request.user, call).enforce()
    saved = AgreementTemplate.objects.filter(call=call).first()
    form = TemplateForm(
        request.POST or None,
        initial={
            "body": saved.body if saved else templating.default_template(),
            "funder_address": saved.funder_address if saved else "",
        },
    )
    error = None
    if request.method == "POST":
        if request.POST.get("action") == "reset":
            call_services.reset_agreement_template(call=call, actor=request.user)
            messages.success(request, _("Le texte par défaut est rétabli."))
            return redirect("agreements:template", call.slug)
        if form.is_valid():
            body = form.cleaned_data["body"]
            if request.POST.get("action") == "preview":
                try:
                    templating.check_template(body)
                except templating.TemplateRefused as refused:
                    error = refused.message
                else:
                    return _preview(body)
            else:
                try:
                    call_services.save_agreement_template(
                        call=call,
                        actor=request.user,
                        body=body,
                        funder_address=form.cleaned_data["funder_address"],
                    )
                except services.AgreementError as refused:
                    error = refused.message
                else:
                    messages.success(request, _("Modèle de convention enregistré."))
                    return redirect("agreements:template", call.slug)
        else:
            error = _("Corrigez les champs signalés.")
        if error:
            form.add_error("body", error)
    return render(
        request,
        "agreements/template.html",
        {"call": call, "form": form, "fields": templating.FIELDS, "saved": saved, "error": error},
        status=422 if error else 200,
    )


def _preview(body: str) -> HttpResponse:
    html = render_to_preview(templating.render(body, templating.sample_context()))
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="apercu-convention.pdf"'
    return response


def render_to_preview(body_html: str) -> str:
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    from pepiniere.lib.htmlpdf import font_face_css

    return render_to_string(
        "agreements/pdf/document.html",
        {
            "title": _("Aperçu de convention"),
            "font_face": mark_safe(font_face_css()),  # noqa: S308 - our own CSS
            "reference": "CONV-2015-ECOCOLLAB-001",
            "version_label": _("Aperçu"),
            "body": mark_safe(body_html),  # noqa: S308 - autoescaped by the sandboxed engine
            "signatures": [],
        },
    )


@login_required
def schedule_edit(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    can_manage_agreements(request.user, call).enforce()
    form = ScheduleForm(request.POST or None, steps=call_schedule(call))
    error = None
    if request.method == "POST":
        if form.is_valid():
            try:
                call_services.set_call_schedule(
                    call=call, actor=request.user, steps=form.cleaned_data["steps"]
                )
            except ScheduleRefused as refused:
                error = refused.message
                _schedule_errors(form, refused)
            except services.AgreementError as refused:
                error = refused.message
            else:
                messages.success(
                    request,
                    _("Échéancier enregistré : il s'applique aux conventions préparées désormais."),
                )
                return redirect("agreements:call", call.slug)
        else:
            error = _("Corrigez les tranches signalées.")
    return render(
        request,
        "agreements/schedule.html",
        {"call": call, "form": form, "error": error, "triggers": Trigger.choices},
        status=422 if error else 200,
    )


# --- the beneficiary --------------------------------------------------------------------------


@login_required
def mine(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """« Ma convention »: the beneficiary reads the agreement (and its amendments) and its legal
    representative signs it."""
    application = get_object_or_404(
        Application.objects.select_related("call", "organisation"), pk=pk
    )
    if not is_member(request.user, application.organisation_id):
        raise Http404
    agreement = (
        Agreement.objects.filter(award__application=application)
        .values_list("pk", flat=True)
        .first()
    )
    full = selectors.agreement_with_versions(agreement) if agreement else None
    if full is not None and not beneficiary_sees(request.user, full):
        full = None
    versions = [v for v in full.versions.all() if v.sent_at is not None] if full else []
    latest = versions[-1] if versions else None
    can_sign = bool(latest and can_sign_for_beneficiary(request.user, latest))
    form = None
    error = None
    if can_sign and latest is not None and full is not None:
        organisation = application.organisation
        form = SignatureForm(
            request.POST or None,
            initial={
                "name": organisation.representative_name or request.user.get_full_name(),
                "title": organisation.representative_title,
                "shown_sha256": latest.sha256,
            },
        )
        if request.method == "POST":
            error = _sign_with(signature_services.sign_as_beneficiary, request, full, form)
            if error is None:
                messages.success(
                    request,
                    _("Merci : votre signature est enregistrée. Le financeur signe à son tour."),
                )
                return redirect("agreements:mine", application.pk)
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "agreements/mine.html",
        {
            "application": application,
            "agreement": full if versions else None,
            "versions": versions,
            "latest": latest,
            "form": form,
            "error": error,
            "consent_text": signature_services.CONSENT,
        },
        status=422 if error else 200,
    )
