"""Reads shared by the campaign pages, the public page and the services."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from pepiniere.calls.models import Call
from pepiniere.crowdfunding.models import Campaign, CampaignStatus, MatchRule, PledgeStatus
from pepiniere.engine import matchfunding
from pepiniere.grants.budget import LedgerRow, call_ledger
from pepiniere.lib.money import from_cents, to_cents


def pool_remaining_cents(call: Call, ledger: list[LedgerRow] | None = None) -> int:
    """What the pool (the match-funding call's envelope) still holds: the least that remains on
    the budget lines an award of the call is charged to (call, axis, programme, lead funder).
    `ledger`: the call's ledger when the caller already read it."""
    rows = ledger if ledger is not None else call_ledger(call)
    return max(0, min(to_cents(row.remaining) for row in rows))


def with_raised(queryset: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """Campaigns with `raised` (the counted pledges' sum) and `pledge_count`, one query."""
    counted = Q(pledges__status=PledgeStatus.COUNTED)
    return queryset.annotate(
        raised=Sum("pledges__amount", filter=counted, default=Decimal("0")),
    )


def campaigns_to_close(*, now: datetime.datetime) -> list[Campaign]:
    return list(
        Campaign.objects.filter(
            status__in=(CampaignStatus.LIVE, CampaignStatus.ENDED), ends_at__lte=now
        )
        .select_related("call")
        .order_by("ends_at", "id")
    )


@dataclass(frozen=True)
class Projection:
    """What a campaign would get if it ended now."""

    raised: Decimal
    top_up: matchfunding.TopUp

    @property
    def amount(self) -> Decimal:
        return from_cents(self.top_up.cents)

    @property
    def bar_percent(self) -> int:
        return min(100, self.top_up.percent)


def rules_by_type(call_ids: set[int]) -> dict[tuple[int, str], MatchRule]:
    return {
        (rule.call_id, rule.project_type): rule
        for rule in MatchRule.objects.filter(call_id__in=call_ids)
    }


def project(
    campaign: Campaign, *, rule: MatchRule | None, pool_cents: int, raised: Decimal | None = None
) -> Projection | None:
    """The top-up if the campaign ended now with what it has raised (None without a rule).
    `raised` as annotated by with_raised, else read."""
    if rule is None:
        return None
    if raised is None:
        raised = campaign.pledges.filter(status=PledgeStatus.COUNTED).aggregate(
            s=Sum("amount", default=Decimal("0"))
        )["s"]
    pledges = [to_cents(raised)] if raised > 0 else []
    result = matchfunding.compute_top_up(
        target_cents=to_cents(campaign.target),
        pledges_cents=pledges,
        ratio=rule.ratio,
        cap_cents=to_cents(rule.cap),
        pool_remaining_cents=pool_cents,
        investment_cents=to_cents(campaign.investment_expenses) if rule.investment_only else None,
        threshold_percent=rule.threshold_percent,
    )
    return Projection(raised, result)


def days_left(campaign: Campaign, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    end = timezone.localdate(campaign.ends_at)
    return max(0, (end - timezone.localdate(now)).days)
