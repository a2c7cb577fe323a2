"""An organisation's follow-up page: its applications, awards (and, once recorded, agreements and
payments) as one timeline, and its KPI series. A bounded number of queries whatever the history."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.applications.models import Application, Status
from pepiniere.applications.permissions import can_open_backoffice, is_member
from pepiniere.lib.money import format_eur
from pepiniere.organisations.models import Organisation
from pepiniere.portfolio.selectors_portfolio import portfolio_calls, portfolio_funder_ids


@dataclass
class TimelineEvent:
    date: datetime.date
    kind: str  # "submitted", "award", "agreement", "payment", "report"
    title: str
    detail: str = ""
    url: str = ""
    status: str = ""
    status_label: str = ""
    amount: Decimal | None = None


@dataclass
class OrganisationPage:
    organisation: Organisation
    applications: list[Application]
    timeline: list[TimelineEvent]
    awarded_total: Decimal
    awards: int
    as_member: bool
    extras: dict[str, Any] = field(default_factory=dict)


def organisation_for_page(pk: int) -> Organisation:
    return Organisation.objects.select_related("departement", "size_band", "legal_form").get(pk=pk)


def visible_applications(user: Any, organisation: Organisation) -> QuerySet[Application]:
    """The organisation's applications this person reads here: all of them (drafts aside) for its
    members, those to their funders' calls for funder staff."""
    applications = (
        Application.objects.filter(organisation=organisation)
        .exclude(status=Status.DRAFT)
        .select_related("call", "call__programme", "call__axis", "award")
    )
    if not is_member(user, organisation):
        funder_ids = portfolio_funder_ids(user)
        if funder_ids is not None:
            applications = applications.filter(call_id__in=portfolio_calls(funder_ids).values("pk"))
    return applications.order_by("submitted_at", "pk")


def _local_date(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment) if moment else None


def organisation_page(user: Any, organisation: Organisation) -> OrganisationPage:
    as_member = is_member(user, organisation)
    applications = list(visible_applications(user, organisation))
    timeline: list[TimelineEvent] = []
    total = Decimal("0")
    awards = 0
    # Links only where the person may go: the applicant's own file, the officers' back-office
    # (finance staff have no back-office: no link rather than a 403).
    backoffice = not as_member and bool(can_open_backoffice(user))
    for application in applications:
        url = ""
        if as_member:
            url = reverse("applications:detail", args=[application.pk])
        elif backoffice:
            url = reverse("backoffice:detail", args=[application.pk])
        submitted = _local_date(application.submitted_at)
        if submitted:
            timeline.append(
                TimelineEvent(
                    date=submitted,
                    kind="submitted",
                    title=_("Dossier déposé : %(ref)s") % {"ref": application.reference},
                    detail=application.call.title,
                    url=url,
                    status=application.status,
                    status_label=application.get_status_display(),
                )
            )
        award = getattr(application, "award", None)
        if award is not None:
            awards += 1
            total += award.amount
            timeline.append(
                TimelineEvent(
                    date=award.decision_date,
                    kind="award",
                    title=_("Aide attribuée : %(amount)s") % {"amount": format_eur(award.amount)},
                    detail=_("Décision %(ref)s — %(call)s")
                    % {"ref": award.decision_reference, "call": application.call.title},
                    url=url,
                    amount=award.amount,
                )
            )
    timeline.sort(key=lambda e: (e.date, e.kind != "submitted"))
    return OrganisationPage(
        organisation=organisation,
        applications=applications,
        timeline=timeline,
        awarded_total=total,
        awards=awards,
        as_member=as_member,
    )
