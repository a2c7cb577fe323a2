"""What the accelerator tells earlier stages (registered in AcceleratorConfig.ready()): the
organisations it supported, for RCO04 (portfolio.indicators_results.non_financial_support), and
the stays on an organisation's follow-up timeline (portfolio.hooks.other_support)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from pepiniere.accelerator.models import Stay
from pepiniere.lib.dates import long_date

if TYPE_CHECKING:
    from pepiniere.portfolio.indicators import Scope
    from pepiniere.portfolio.selectors_organisation import TimelineEvent


def accelerated_organisations(scope: Scope) -> QuerySet[Any]:
    """The organisations with a stay in the scope: a stay is in a programme of the scope when
    its intake call belongs to it; in the award years when it started in them."""
    stays = Stay.objects.all()
    if scope.programme_id is not None:
        stays = stays.filter(cohort__programme__call__programme_id=scope.programme_id)
    if scope.call_id is not None:
        stays = stays.filter(
            Q(cohort__programme__call_id=scope.call_id) | Q(application__call_id=scope.call_id)
        )
    if scope.funder_ids is not None:
        stays = stays.filter(cohort__programme__funder_id__in=scope.funder_ids)
    if scope.award_years is not None:
        stays = stays.filter(
            start_date__year__gte=scope.award_years[0], start_date__year__lte=scope.award_years[1]
        )
    return stays.values("organisation_id")


def stay_events(organisation_id: int, funder_ids: set[int] | None) -> list[TimelineEvent]:
    """The organisation's accelerator stays, of these funders' programmes (None: all)."""
    from pepiniere.portfolio.selectors_organisation import TimelineEvent

    stays = Stay.objects.filter(organisation_id=organisation_id)
    if funder_ids is not None:
        if not funder_ids:
            return []
        stays = stays.filter(cohort__programme__funder_id__in=funder_ids)
    events = []
    for stay in stays.select_related("cohort__programme").order_by("start_date", "pk"):
        detail = _("du %(start)s au %(end)s") % {
            "start": long_date(stay.start_date),
            "end": long_date(stay.occupied_until),
        }
        if stay.renewed:
            detail += _(" ; renouvelé une fois")
        if stay.leave_reason:
            detail += _(" ; motif de sortie : %(reason)s") % {"reason": stay.leave_reason}
        events.append(
            TimelineEvent(
                date=stay.start_date,
                kind="accelerator",
                title=_("Séjour dans l'accélérateur « %(programme)s » (cohorte %(year)d)")
                % {"programme": stay.cohort.programme.name, "year": stay.cohort.year},
                detail=detail,
                url=reverse("accelerator:stay", args=[stay.pk]),
                status=stay.status,
                status_label=stay.get_status_display(),
            )
        )
    return events


def applicant_tasks(user: Any) -> list[Any]:
    """Registered on applications.selectors.applicant_tasks: on Mes dossiers, the open stays of
    the person's start-ups and of the start-ups they mentor (one query)."""
    from pepiniere.accelerator.models import OPEN_STATUSES
    from pepiniere.applications.selectors import ApplicantTask

    stays = (
        Stay.objects.filter(status__in=OPEN_STATUSES)
        .filter(Q(organisation__memberships__user=user) | Q(mentorings__mentor__user=user))
        .select_related("organisation", "cohort__programme")
        .distinct()
        .order_by("start_date", "pk")
    )
    tasks = []
    for stay in stays:
        tasks.append(
            ApplicantTask(
                label=_("Accélérateur « %(programme)s » : le séjour de %(organisation)s")
                % {"programme": stay.cohort.programme.name, "organisation": stay.organisation.name},
                url=reverse("accelerator:stay", args=[stay.pk]),
                detail=_("mentors, séances et jalons ; fin prévue le %(end)s")
                % {"end": long_date(stay.planned_end)},
            )
        )
    return tasks
