"""The funder's pages: the match-funding calls, their rules, campaigns and pool, closing."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pepiniere.accounts.models import Role
from pepiniere.calls.models import Call
from pepiniere.crowdfunding import selectors, services
from pepiniere.crowdfunding.models import Campaign, CampaignStatus, MatchRule
from pepiniere.crowdfunding.permissions import can_manage_match_funding
from pepiniere.grants.budget import call_ledger
from pepiniere.lib.money import from_cents


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    funders = user.funder_ids(Role.OFFICER) | user.funder_ids(Role.FINANCE)  # type: ignore[union-attr]
    calls = Call.objects.filter(pk__in=MatchRule.objects.values("call_id"))
    if not user.has_role(Role.ADMIN):  # type: ignore[union-attr]
        if not funders:
            raise Http404
        calls = calls.filter(funder_id__in=funders)
    rows = list(
        calls.annotate(
            campaign_count=Count("campaigns", distinct=True),
        )
        .select_related("programme")
        .order_by("-opens_at", "title")
    )
    return render(request, "crowdfunding/staff_index.html", {"calls": rows})


@login_required
def call_campaigns(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(
        Call.objects.select_related("programme", "axis", "funder").prefetch_related("co_funders"),
        slug=slug,
    )
    if not can_manage_match_funding(request.user, call):
        raise Http404
    status = request.GET.get("statut", "")
    queryset = selectors.with_raised(
        Campaign.objects.filter(call=call)
        .exclude(status=CampaignStatus.DRAFT)
        .select_related("organisation")
    ).order_by("ends_at", "id")
    if status in CampaignStatus.values:
        queryset = queryset.filter(status=status)
    campaigns = list(queryset)
    rules = list(MatchRule.objects.filter(call=call).select_related("officer"))
    by_type = {r.project_type: r for r in rules}
    ledger = call_ledger(call)
    pool = selectors.pool_remaining_cents(call, ledger)
    now = timezone.now()
    rows = [
        {
            "campaign": c,
            "projection": selectors.project(
                c,
                rule=by_type.get(c.project_type),
                pool_cents=pool,
                raised=c.raised,  # type: ignore[attr-defined]
            )
            if c.status == CampaignStatus.LIVE or c.status == CampaignStatus.ENDED
            else None,
            "closable": c.status in (CampaignStatus.LIVE, CampaignStatus.ENDED)
            and c.ends_at <= now,
        }
        for c in campaigns
    ]
    consumption = list(
        Campaign.objects.filter(call=call, status=CampaignStatus.TOPPED_UP)
        .values("project_type")
        .annotate(total=Sum("top_up"), n=Count("id"))
        .order_by("project_type")
    )
    labels = dict(MatchRule._meta.get_field("project_type").choices or [])
    by_type_rows = [
        {
            "label": labels.get(row["project_type"], row["project_type"]),
            "total": row["total"],
            "n": row["n"],
        }
        for row in consumption
    ]
    committed = sum((r["total"] for r in by_type_rows), Decimal("0"))
    remaining = from_cents(pool)
    chart = {
        "labels": [str(r["label"]) for r in by_type_rows] + [_("Reste disponible")],
        "values": [str(r["total"]) for r in by_type_rows] + [str(remaining)],
    }
    return render(
        request,
        "crowdfunding/staff_call.html",
        {
            "call": call,
            "rows": rows,
            "rules": rules,
            "ledger": ledger,
            "pool_remaining": remaining,
            "committed": committed,
            "by_type": by_type_rows,
            "chart": chart,
            "status": status,
            "statuses": CampaignStatus.choices,
        },
    )


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("call"), pk=pk)
    if not can_manage_match_funding(request.user, campaign.call):
        raise Http404
    try:
        closed = services.close_campaign(campaign=campaign, actor=request.user)
    except services.CampaignError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, closed.outcome)
    return redirect("crowdfunding:call", campaign.call.slug)
