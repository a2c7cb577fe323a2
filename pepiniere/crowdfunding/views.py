"""Pages of the associations (their campaigns, pledges, imports, expected top-up) and the public
page of live campaigns."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pepiniere.accounts.models import Role
from pepiniere.calls.models import Call
from pepiniere.crowdfunding import selectors, services
from pepiniere.crowdfunding.forms import CampaignForm, ImportForm, PledgeForm, end_of, start_of
from pepiniere.crowdfunding.models import (
    Campaign,
    CampaignStatus,
    MatchRule,
    PledgeImport,
    PledgeImportStatus,
    PledgeStatus,
)
from pepiniere.crowdfunding.permissions import (
    can_edit_campaign,
    can_manage_match_funding,
    can_record_pledges,
    can_run_campaigns,
    can_view_campaign,
)
from pepiniere.crowdfunding.pledge_import import MAX_BYTES, FileRefused
from pepiniere.organisations.models import Organisation, OrganisationKind


def _match_calls() -> Any:
    """The match-funding calls open to campaigns: published calls that have rules."""
    now = timezone.now()
    return Call.objects.filter(
        is_published=True,
        opens_at__lte=now,
        closes_at__gt=now,
        pk__in=MatchRule.objects.values("call_id"),
    ).order_by("title")


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    campaign = get_object_or_404(
        Campaign.objects.select_related("organisation", "call", "application"), pk=pk
    )
    if not can_view_campaign(request.user, campaign):
        raise Http404
    return campaign


def _projection(campaign: Campaign, rule: MatchRule | None) -> selectors.Projection | None:
    return selectors.project(
        campaign, rule=rule, pool_cents=selectors.pool_remaining_cents(campaign.call)
    )


def public_list(request: HttpRequest) -> HttpResponse:
    """Live campaigns, their progress and the top-up each would get if it ended now. No payer's
    name is read here."""
    now = timezone.now()
    campaigns = list(
        selectors.with_raised(
            Campaign.objects.filter(status=CampaignStatus.LIVE, ends_at__gt=now).select_related(
                "organisation", "call"
            )
        ).order_by("ends_at", "id")
    )
    call_ids = {c.call_id for c in campaigns}
    rules = selectors.rules_by_type(call_ids)
    pools = {
        call.pk: selectors.pool_remaining_cents(call)
        for call in Call.objects.filter(pk__in=call_ids)
        .select_related("programme", "axis", "funder")
        .prefetch_related("co_funders")
    }
    rows = [
        {
            "campaign": c,
            "projection": selectors.project(
                c,
                rule=rules.get((c.call_id, c.project_type)),
                pool_cents=pools[c.call_id],
                raised=c.raised,  # type: ignore[attr-defined]
            ),
            "days_left": selectors.days_left(c, now),
        }
        for c in campaigns
    ]
    user = request.user
    follows = user.is_authenticated and bool(
        user.has_role(Role.ADMIN) or user.funder_ids(Role.OFFICER) or user.funder_ids(Role.FINANCE)
    )
    return render(request, "crowdfunding/public.html", {"rows": rows, "follows": follows})


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    associations = list(
        Organisation.objects.filter(
            memberships__user_id=request.user.pk or 0, kind=OrganisationKind.ASSOCIATION
        ).order_by("name")
    )
    campaigns = list(
        selectors.with_raised(
            Campaign.objects.filter(organisation__in=associations).select_related(
                "organisation", "call"
            )
        ).order_by("-ends_at", "id")
    )
    return render(
        request,
        "crowdfunding/mine.html",
        {"associations": associations, "campaigns": campaigns},
    )


def _data(form: CampaignForm) -> services.CampaignData:
    d = form.cleaned_data
    return services.CampaignData(
        call=d["call"],
        project_type=d["project_type"],
        title=d["title"],
        description=d.get("description") or "",
        target=d["target"],
        starts_at=start_of(d["starts_on"]),
        ends_at=end_of(d["ends_on"]),
        platform_name=d["platform_name"],
        platform_url=d["platform_url"],
        investment_expenses=d["investment_expenses"] or Decimal("0"),
    )


def _save(
    request: HttpRequest,
    form: CampaignForm,
    *,
    organisation: Organisation,
    campaign: Campaign | None,
) -> HttpResponse | None:
    if not form.is_valid():
        return None
    try:
        if campaign is None:
            campaign = services.create_campaign(
                organisation=organisation, actor=request.user, data=_data(form)
            )
        else:
            services.edit_campaign(campaign=campaign, actor=request.user, data=_data(form))
    except services.CampaignError as error:
        for field, problems in error.errors.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
        if not error.errors:
            form.add_error(None, error.message)
        return None
    messages.success(request, _("Campagne enregistrée (brouillon)."))
    return redirect("crowdfunding:detail", campaign.pk)


@login_required
def create(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=pk)
    verdict = can_run_campaigns(request.user, organisation)
    if not verdict:
        raise Http404
    form = CampaignForm(request.POST or None, calls=_match_calls())
    if request.method == "POST":
        response = _save(request, form, organisation=organisation, campaign=None)
        if response is not None:
            return response
    return render(
        request,
        "crowdfunding/form.html",
        {"form": form, "organisation": organisation, "rules": _rules()},
    )


def _rules() -> list[MatchRule]:
    return list(MatchRule.objects.filter(call__in=_match_calls()).select_related("call"))


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    verdict = can_edit_campaign(request.user, campaign)
    if not verdict:
        raise Http404
    initial = {
        "call": campaign.call_id,
        "title": campaign.title,
        "description": campaign.description,
        "project_type": campaign.project_type,
        "target": campaign.target,
        "investment_expenses": campaign.investment_expenses,
        "starts_on": timezone.localdate(campaign.starts_at),
        "ends_on": timezone.localdate(campaign.ends_at),
        "platform_name": campaign.platform_name,
        "platform_url": campaign.platform_url,
    }
    form = CampaignForm(request.POST or None, initial=initial, calls=_match_calls())
    if request.method == "POST":
        response = _save(request, form, organisation=campaign.organisation, campaign=campaign)
        if response is not None:
            return response
    return render(
        request,
        "crowdfunding/form.html",
        {
            "form": form,
            "organisation": campaign.organisation,
            "campaign": campaign,
            "rules": _rules(),
        },
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    pledges = list(campaign.pledges.order_by("-pledged_at", "-id")[:200])
    counts = campaign.pledges.aggregate(
        counted=Count("id", filter=Q(status=PledgeStatus.COUNTED)),
        excluded=Count("id", filter=~Q(status=PledgeStatus.COUNTED)),
    )
    award = getattr(campaign.application, "award", None) if campaign.application else None
    rule = MatchRule.objects.filter(
        call_id=campaign.call_id, project_type=campaign.project_type
    ).first()
    return render(
        request,
        "crowdfunding/detail.html",
        {
            "campaign": campaign,
            "projection": _projection(campaign, rule),
            "rule": rule,
            "pledges": pledges,
            "counts": counts,
            "pledge_form": PledgeForm(),
            "import_form": ImportForm(),
            "can_edit": bool(can_edit_campaign(request.user, campaign)),
            "can_record": bool(can_record_pledges(request.user, campaign)),
            "can_close": bool(can_manage_match_funding(request.user, campaign.call))
            and campaign.status in (CampaignStatus.LIVE, CampaignStatus.ENDED)
            and campaign.ends_at <= timezone.now(),
            "award": award,
            "days_left": selectors.days_left(campaign),
        },
    )


@login_required
@require_POST
def launch(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    if not can_edit_campaign(request.user, campaign):
        raise Http404
    try:
        services.launch_campaign(campaign=campaign, actor=request.user)
    except services.CampaignError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Campagne lancée : son dossier est déposé sur l'appel d'abondement."),
        )
    return redirect("crowdfunding:detail", campaign.pk)


@login_required
def add_pledge(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    if not can_record_pledges(request.user, campaign):
        raise Http404
    form = PledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.record_pledge(
                campaign=campaign,
                actor=request.user,
                amount=d["amount"],
                pledged_at=datetime.datetime.combine(
                    d["pledged_on"], datetime.time(12), start_of(d["pledged_on"]).tzinfo
                ),
                reference=d["reference"],
                payer_name=d["payer_name"],
            )
        except services.CampaignError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Contribution enregistrée."))
            return redirect("crowdfunding:detail", campaign.pk)
    return render(request, "crowdfunding/pledge.html", {"campaign": campaign, "form": form})


@login_required
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    if not can_record_pledges(request.user, campaign):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry, _report = services.preview_import(
                campaign=campaign, actor=request.user, uploaded=form.cleaned_data["file"]
            )
        except services.CampaignError as error:
            form.add_error("file", error.message)
        else:
            return redirect("crowdfunding:import_preview", campaign.pk, entry.pk)
    return render(
        request,
        "crowdfunding/upload.html",
        {"campaign": campaign, "form": form, "max_mb": MAX_BYTES // (1024 * 1024)},
    )


@login_required
def import_preview(request: HttpRequest, pk: int, import_pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    if not can_record_pledges(request.user, campaign):
        raise Http404
    entry = get_object_or_404(PledgeImport, pk=import_pk, campaign=campaign)
    if request.method == "POST":
        try:
            services.confirm_import(pledge_import=entry, actor=request.user)
        except services.CampaignError as error:
            messages.error(request, error.message)
            return redirect("crowdfunding:import_preview", campaign.pk, entry.pk)
        messages.success(
            request,
            _("Import confirmé : %(n)s contribution(s) ajoutée(s).") % {"n": entry.imported},
        )
        return redirect("crowdfunding:detail", campaign.pk)
    report = None
    problem = ""
    if entry.status == PledgeImportStatus.PREVIEWED:
        try:
            report = services.read_import(entry)
        except FileRefused as refused:
            problem = refused.message
    return render(
        request,
        "crowdfunding/preview.html",
        {"campaign": campaign, "entry": entry, "report": report, "error": problem},
    )
