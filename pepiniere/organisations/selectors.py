from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from pepiniere.organisations.models import JoinRequest, JoinRequestStatus, Organisation


def pending_join_requests_for(
    user: Any, *, organisation: Organisation | None = None
) -> QuerySet[JoinRequest]:
    """Pending requests this person may decide: those of their organisations, and, for an officer,
    those of organisations that submitted an application to their funder."""
    from pepiniere.accounts.models import Role
    from pepiniere.applications.models import Application, Status

    visible = Q(organisation__memberships__user=user)
    funders = user.funder_ids(Role.OFFICER)
    if funders:
        applied = (
            Application.objects.filter(call__funder_id__in=funders)
            .exclude(status=Status.DRAFT)
            .values("organisation_id")
        )
        visible |= Q(organisation_id__in=applied)
    requests = JoinRequest.objects.filter(visible, status=JoinRequestStatus.PENDING).exclude(
        user=user
    )
    if organisation is not None:
        requests = requests.filter(organisation=organisation)
    return requests.select_related("organisation", "user").order_by("created_at", "id").distinct()
