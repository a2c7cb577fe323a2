"""Reads for funder staff: the screening list with its filters, and the dashboard figures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Application, Status
from pepiniere.calls.models import Call, fold
from pepiniere.lib.params import amount_param, date_param

SORTS = {
    "submitted": "submitted_at",
    "-submitted": "-submitted_at",
    "amount": "requested_amount",
    "-amount": "-requested_amount",
    "reference": "number",
    "-reference": "-number",
    "organisation": "organisation__name",
    "-organisation": "-organisation__name",
    "status": "status",
}


def staff_calls(user: Any, *, roles: tuple[str, ...] = (Role.OFFICER, Role.JURY)) -> QuerySet[Call]:
    """Calls whose applications this person may list: their funders' (and co-funded) calls, as
    one of `roles` (exports: officers only)."""
    calls = Call.objects.select_related("funder", "programme", "axis")
    if user.has_role(Role.ADMIN):
        return calls
    funders: set[int] = set()
    for role in roles:
        funders |= user.funder_ids(role)
    return calls.filter(Q(funder_id__in=funders) | Q(co_funders__in=funders)).distinct()


@dataclass(frozen=True)
class ListFilters:
    call: str = ""
    status: str = ""
    departement: str = ""
    kind: str = ""
    amount_min: str = ""
    amount_max: str = ""
    axis: str = ""
    sector: str = ""
    submitted_from: str = ""
    submitted_to: str = ""
    q: str = ""
    sort: str = "-submitted"

    @classmethod
    def from_query(cls, query: Any) -> ListFilters:
        return cls(
            **{
                f.name: (query.get(f.name) or "").strip()[:100]
                for f in fields(cls)
                if query.get(f.name) is not None
            }
        )

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}


def screening_list(
    user: Any, filters: ListFilters, *, roles: tuple[str, ...] = (Role.OFFICER, Role.JURY)
) -> QuerySet[Application]:
    """Submitted applications (drafts are the applicant's own business) the person may list."""
    applications = (
        Application.objects.filter(call__in=staff_calls(user, roles=roles).values("pk"))
        .exclude(status=Status.DRAFT)
        # No organisation__departement: the list shows departement_id only (exports add their
        # own select_related), and that INNER JOIN made SQLite drive the search from the
        # départements table and sort every match (bench/officer_list.py --sqlite).
        .select_related("organisation", "call", "call__axis")
    )
    if filters.call:
        # Filter on the call's id, not on a join to its slug: with a constant call_id the planner
        # reads one page from the (call, status, submitted_at) index instead of walking every
        # call's applications by date (bench/officer_list.py: 550 ms -> a few ms at 100 000).
        call_id = Call.objects.filter(slug=filters.call).values_list("pk", flat=True).first()
        applications = applications.filter(call_id=call_id) if call_id else applications.none()
    if filters.status:
        applications = applications.filter(status=filters.status)
    if filters.departement:
        applications = applications.filter(organisation__departement_id=filters.departement)
    if filters.kind:
        applications = applications.filter(organisation__kind=filters.kind)
    # A malformed filter is a 400 (lib.params), never silently ignored: an export must not widen.
    if (low := amount_param(filters.amount_min, label=_("Montant minimal"))) is not None:
        applications = applications.filter(requested_amount__gte=low)
    if (high := amount_param(filters.amount_max, label=_("Montant maximal"))) is not None:
        applications = applications.filter(requested_amount__lte=high)
    if filters.axis:
        applications = applications.filter(call__axis__code=filters.axis)
    if filters.sector:
        applications = applications.filter(call__sectors__code=filters.sector)
    if (start := date_param(filters.submitted_from, label=_("Déposé depuis le"))) is not None:
        applications = applications.filter(submitted_at__date__gte=start)
    if (end := date_param(filters.submitted_to, label=_("Déposé jusqu'au"))) is not None:
        applications = applications.filter(submitted_at__date__lte=end)
    for word in fold(filters.q).split():
        applications = applications.filter(search_text__contains=word)
    return applications.order_by(SORTS.get(filters.sort, "-submitted_at"), "id")


def call_dashboard(call: Call) -> dict[str, Any]:
    submitted = Application.objects.filter(call=call).exclude(status=Status.DRAFT)
    by_status = dict(
        submitted.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    drafts = Application.objects.filter(call=call, status=Status.DRAFT).count()
    active = submitted.exclude(status__in=[Status.WITHDRAWN, Status.INELIGIBLE])
    requested = active.aggregate(total=Sum("requested_amount"))["total"] or Decimal(0)
    by_departement = list(
        active.values("organisation__departement_id", "organisation__departement__name")
        .annotate(n=Count("id"), amount=Sum("requested_amount"))
        .order_by("organisation__departement_id")
    )
    by_kind = list(
        active.values("organisation__kind")
        .annotate(n=Count("id"), amount=Sum("requested_amount"))
        .order_by("organisation__kind")
    )
    return {
        "by_status": [
            (status, label, by_status.get(status, 0))
            for status, label in Status.choices
            if status != Status.DRAFT
        ],
        "drafts": drafts,
        "submitted": sum(by_status.values()),
        "requested": requested,
        "envelope": call.envelope,
        "ratio": (requested / call.envelope) if call.envelope else None,
        "by_departement": by_departement,
        "by_kind": by_kind,
    }


def axis_dashboard(call: Call) -> list[Mapping[str, Any]]:
    """Requested amounts per axis over the calls of the same programme, for the programme view."""
    return list(
        Application.objects.filter(call__programme=call.programme)
        .exclude(status__in=[Status.DRAFT, Status.WITHDRAWN, Status.INELIGIBLE])
        .values("call__axis__title", "call__axis__budget")
        .annotate(n=Count("id"), amount=Sum("requested_amount"))
        .order_by("call__axis__title")
    )
