"""Reads the payments pages share: an award's schedule, the officers' and finance's work lists.
Each list is a fixed number of queries whatever its length (pinned by the view tests)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from pepiniere.accounts.models import Role
from pepiniere.grants.models import Award
from pepiniere.payments.models import (
    GrantAccount,
    Instalment,
    InstalmentStatus,
    OrderStatus,
    PaymentRequest,
    PaymentRun,
    Recovery,
    RecoveryStatus,
)

S = InstalmentStatus


def _funder_filter(user: Any, role: str, path: str) -> Q:
    """Objects whose call's funder (or a co-funder) is one the user acts for in `role`."""
    if user.has_role(Role.ADMIN):
        return Q()
    ids = user.funder_ids(role)
    return Q(**{f"{path}__funder_id__in": ids}) | Q(**{f"{path}__co_funders__in": ids})


def _instalments(user: Any, role: str) -> QuerySet[Instalment]:
    return (
        Instalment.objects.filter(_funder_filter(user, role, "award__application__call"))
        .select_related(
            "award__application__organisation",
            "award__application__call",
            "version__agreement",
            "checked_by",
            "authorised_by",
        )
        .prefetch_related(
            Prefetch(
                "requests",
                queryset=PaymentRequest.objects.filter(returned_at__isnull=True).annotate(
                    declared=Sum("lines__amount_excl_vat"), line_count=Count("lines")
                ),
                to_attr="live_requests",
            )
        )
        .distinct()
        .order_by("pk")
    )


def to_check(user: Any) -> list[Instalment]:
    """Requests waiting for an officer's check, oldest first."""
    return list(_instalments(user, Role.OFFICER).filter(status=S.REQUESTED))


def to_authorise(user: Any) -> list[Instalment]:
    return list(_instalments(user, Role.FINANCE).filter(status=S.CHECKED))


def authorised(user: Any) -> list[Instalment]:
    """Authorised instalments in no run yet (what the next payment run will take)."""
    return list(_instalments(user, Role.FINANCE).filter(status=S.AUTHORISED))


def runs(user: Any) -> list[PaymentRun]:
    base = PaymentRun.objects.select_related("funder", "created_by")
    if not user.has_role(Role.ADMIN):
        base = base.filter(funder_id__in=user.funder_ids(Role.FINANCE))
    return list(
        base.annotate(
            order_count=Count("orders", filter=~Q(orders__status=OrderStatus.CANCELLED)),
            total=Sum("orders__amount", filter=~Q(orders__status=OrderStatus.CANCELLED)),
            paid_count=Count("orders", filter=Q(orders__status=OrderStatus.PAID)),
        ).order_by("-created_at", "-pk")
    )


def recoveries(user: Any) -> list[Recovery]:
    return list(
        Recovery.objects.filter(_funder_filter(user, Role.FINANCE, "award__application__call"))
        .select_related("award__application__organisation", "award__agreement")
        .distinct()
        .order_by(
            # open ones first
            "status",
            "-raised_at",
        )
    )


def open_recoveries(user: Any) -> int:
    return (
        Recovery.objects.filter(_funder_filter(user, Role.FINANCE, "award__application__call"))
        .filter(status__in=[RecoveryStatus.RAISED, RecoveryStatus.ISSUED])
        .distinct()
        .count()
    )


@dataclass
class Schedule:
    award: Award
    account: GrantAccount | None
    instalments: list[Instalment]
    recoveries: list[Recovery]

    @property
    def planned_total(self) -> Decimal:
        return sum((i.amount for i in self.instalments if i.status != S.CANCELLED), Decimal("0"))

    @property
    def remaining(self) -> Decimal:
        if self.account is None:
            return Decimal("0")
        return max(self.account.ceiling - self.account.paid, Decimal("0"))


def schedule(award: Award) -> Schedule:
    instalments = list(
        award.instalments.select_related("checked_by", "authorised_by")
        .prefetch_related(
            Prefetch(
                "requests",
                queryset=PaymentRequest.objects.prefetch_related("lines").order_by("-submitted_at"),
            )
        )
        .order_by("position", "pk")
    )
    account = GrantAccount.objects.filter(award=award).first()
    return Schedule(
        award=award,
        account=account,
        instalments=instalments,
        recoveries=list(award.recoveries.order_by("-raised_at")),
    )
