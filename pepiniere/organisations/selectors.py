from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet

from pepiniere.lib.extension import ExtensionPoint
from pepiniere.organisations.models import JoinRequest, JoinRequestStatus, Organisation

# The organisations a staff member follows for their funder are known to a later stage
# (applications/: those that applied to the officer's funder; registered at ready()). Each provider
# answers a queryset of organisation ids, or None when the person follows none.
followed_organisations: ExtensionPoint[Callable[[Any], QuerySet[Any] | None]] = ExtensionPoint(
    "organisations followed by staff"
)


def organisations_followed_by(user: Any) -> list[QuerySet[Any]]:
    """The querysets of organisation ids the staff member follows (one per provider)."""
    return [ids for provider in followed_organisations if (ids := provider(user)) is not None]


def pending_join_requests_for(
    user: Any, *, organisation: Organisation | None = None
) -> QuerySet[JoinRequest]:
    """Pending requests this person may decide: those of their organisations, and, for an officer,
    those of organisations that submitted an application to their funder."""
    visible = Q(organisation__memberships__user=user)
    for followed in organisations_followed_by(user):
        visible |= Q(organisation_id__in=followed)
    requests = JoinRequest.objects.filter(visible, status=JoinRequestStatus.PENDING).exclude(
        user=user
    )
    if organisation is not None:
        requests = requests.filter(organisation=organisation)
    return requests.select_related("organisation", "user").order_by("created_at", "id").distinct()
