"""Funder staff pages: a call's awards, budget ledger, letters and policy; the award form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pepiniere.applications.models import Application
from pepiniere.applications.selectors import bank_details
from pepiniere.calls.models import Call
from pepiniere.grants import budget, deminimis, letters, selectors, services
from pepiniere.grants.forms import AwardForm, CoFundingForm, PolicyForm, link_decision
from pepiniere.grants.models import LinkedUndertaking
from pepiniere.grants.permissions import can_award, can_see_grants, can_set_policy
from pepiniere.programmes.models import Funder


def _call(request: HttpRequest, slug: str) -> Call:
    call = get_object_or_404(Call.objects.select_related("funder", "programme", "axis"), slug=slug)
    if not can_see_grants(request.user, call):
        raise Http404
    return call


@login_required
def call_awards(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    policy = services.policy_for(call)
    co_funders = list(call.co_funders.all())
    return render(
        request,
        "grants/call.html",
        {
            "call": call,
            "rows": selectors.award_rows(call),
            "ledger": budget.call_ledger(call),
            "letters": selectors.letter_counts(call),
            "policy_form": PolicyForm(
                initial={
                    "letters_show_scores": policy.letters_show_scores,
                    "letters_show_comments": policy.letters_show_comments,
                    "de_minimis": policy.de_minimis,
                    "signatory": policy.signatory,
                    "signatory_title": policy.signatory_title,
                    "letter_place": policy.letter_place,
                    "letter_contact": policy.letter_contact,
                }
            ),
            "co_funding_form": CoFundingForm(co_funders=co_funders) if co_funders else None,
            "can_award": bool(can_award(request.user, call)),
            "can_set_policy": bool(can_set_policy(request.user, call)),
        },
    )


@login_required
@require_POST
def policy(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    form = PolicyForm(request.POST)
    if form.is_valid():
        try:
            services.set_call_policy(call=call, actor=request.user, **form.cleaned_data)
        except services.AwardError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Règles d'attribution enregistrées."))
    return redirect("grants:call", call.slug)


@login_required
@require_POST
def co_funding(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    form = CoFundingForm(request.POST, co_funders=list(call.co_funders.all()))
    if not form.is_valid():
        messages.error(request, _("Choisissez un cofinanceur et indiquez un montant."))
        return redirect("grants:call", call.slug)
    try:
        services.set_co_funding(
            call=call,
            funder=get_object_or_404(Funder, pk=form.cleaned_data["funder"]),
            amount=form.cleaned_data["amount"],
            actor=request.user,
        )
    except services.AwardError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Apport du cofinanceur enregistré."))
    return redirect("grants:call", call.slug)


@login_required
@require_POST
def send_letters(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    try:
        sent = letters.send_decision_letters(call=call, actor=request.user)
    except services.AwardError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(n)d courrier(s) de décision envoyé(s).") % {"n": len(sent)})
    return redirect("grants:call", call.slug)


@login_required
def award(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    call = _call(request, slug)
    application = get_object_or_404(
        Application.objects.select_related("organisation", "organisation__departement"),
        pk=pk,
        call=call,
    )
    funders = [call.funder, *sorted(call.co_funders.all(), key=lambda f: f.name)]
    today = timezone.localdate()
    error = None
    if request.method == "POST":
        if not can_award(request.user, call):
            raise Http404
        form = AwardForm(request.POST, funders=funders)
        if form.is_valid():
            try:
                services.award_grant(
                    application=application,
                    actor=request.user,
                    amount=form.cleaned_data["amount"],
                    decision_reference=form.cleaned_data["decision_reference"],
                    decision_date=form.cleaned_data["decision_date"],
                    shares=form.shares() if len(funders) > 1 else None,
                )
            except services.AwardError as exc:
                error = exc
            else:
                messages.success(
                    request, _("Aide attribuée à %(org)s.") % {"org": application.organisation.name}
                )
                return redirect("grants:call", call.slug)
    else:
        suggested = services.suggested_amount(application)
        initial = {
            "amount": suggested,
            # The right to the aid follows the jury's deliberation: its session's date.
            "decision_date": selectors.jury_decision_date(application) or today,
            f"share_{call.funder_id}": suggested,
        }
        form = AwardForm(initial=initial, funders=funders)
    may_award = bool(can_award(request.user, call))
    on = (
        form.cleaned_data.get("decision_date")
        if form.is_bound and hasattr(form, "cleaned_data")
        else None
    )
    return render(
        request,
        "grants/award.html",
        {
            "call": call,
            "application": application,
            "form": form,
            "error": error,
            "award": getattr(application, "award", None),
            # The jury sees the award, not the organisation's de minimis ledger nor its bank
            # details (README, « Who sees what »).
            "ledger": deminimis.ledger(application.organisation, on or today, for_officer=True)
            if may_award
            else None,
            "links": selectors.links_of(application.organisation) if may_award else [],
            "bank_details": bank_details(application) if may_award else [],
            "policy": services.policy_for(call),
            "can_award": may_award,
            "can_confirm": bool(can_set_policy(request.user, call)),
        },
        status=422 if error or (form.is_bound and form.errors) else 200,
    )


@login_required
@require_POST
def decide_link(request: HttpRequest, slug: str, pk: int, link_pk: int) -> HttpResponse:
    """An officer confirms (or contests) a link declared by or towards the application's
    organisation, from the award page of that application."""
    call = _call(request, slug)
    application = get_object_or_404(Application, pk=pk, call=call)
    link = get_object_or_404(
        LinkedUndertaking.objects.filter(
            Q(organisation_id=application.organisation_id)
            | Q(linked_organisation_id=application.organisation_id),
            linked_organisation__isnull=False,
        ),
        pk=link_pk,
    )
    confirm = link_decision(request.POST.get("decision"))
    try:
        services.decide_linked_undertaking(
            link=link, actor=request.user, confirm=confirm, call=call
        )
    except services.AwardError as error:
        if error.kind == "forbidden":
            raise Http404 from None
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Lien confirmé : les aides des deux structures sont comptées ensemble.")
            if confirm
            else _("Lien contesté : les aides des deux structures sont comptées séparément."),
        )
    return redirect("grants:award", call.slug, application.pk)
