"""What each caller may list through the API, as querysets: the permission functions of the pages
(the detail endpoints call those very functions on the object) written as conditions, so that a
list pages and counts in the database. ``test_visibility`` checks every list against its page
function, for every role of the project's test world: a list never shows what the function
refuses, and shows everything it allows."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from pepiniere.accounts.models import Role
from pepiniere.agreements.models import Agreement, AgreementVersion
from pepiniere.applications.models import Application, Status
from pepiniere.calls.models import Call
from pepiniere.grants.models import Award, AwardShare
from pepiniere.organisations.models import Membership, Organisation
from pepiniere.payments.models import Instalment
from pepiniere.portfolio.models import KpiReport
from pepiniere.portfolio.permissions import staff_funder_ids


def _member_of(user: Any) -> QuerySet[Membership, Any]:
    return Membership.objects.filter(user_id=user.pk).values("organisation_id")


def _calls_of(funder_ids: set[int] | None) -> Q:
    """Calls of these funders, co-funded ones too (``is_call_staff``); None: every call."""
    if funder_ids is None:
        return Q()
    co_funded = Call.co_funders.through.objects.filter(funder_id__in=funder_ids).values("call_id")
    return Q(funder_id__in=funder_ids) | Q(pk__in=co_funded)


def _staff_calls(user: Any, *roles: str) -> QuerySet[Call, Any] | None:
    """Ids of the calls ``user`` is staff of in one of ``roles`` (an administrator: every call,
    as ``is_call_staff`` says); None when none."""
    funder_ids = staff_funder_ids(user, *roles)
    if funder_ids is not None and not funder_ids:
        return None
    return Call.objects.filter(_calls_of(funder_ids)).values("pk")


def calls(user: Any) -> QuerySet[Call]:
    """``calls.permissions.can_view_call``: published calls, and the calls one is officer of."""
    condition = Q(is_published=True)
    staff = _staff_calls(user, Role.OFFICER) if user.is_authenticated else None
    if staff is not None:
        condition |= Q(pk__in=staff)
    return Call.objects.filter(condition)


def applications(user: Any) -> QuerySet[Application]:
    """``applications.permissions.can_view_application``: the members of the applicant
    organisation; the officers and jury of the call, drafts excepted."""
    condition = Q(organisation_id__in=_member_of(user))
    staff = _staff_calls(user, Role.OFFICER, Role.JURY)
    if staff is not None:
        condition |= Q(call_id__in=staff) & ~Q(status=Status.DRAFT)
    return Application.objects.filter(condition)


def awards(user: Any) -> QuerySet[Award]:
    """``grants.permissions.can_see_grants`` on the call (officers, finance staff, jury of the
    funder), and the beneficiary's members (their decision, ``can_read_decision``)."""
    condition = Q(application__organisation_id__in=_member_of(user))
    staff = _staff_calls(user, Role.OFFICER, Role.FINANCE, Role.JURY)
    if staff is not None:
        condition |= Q(application__call_id__in=staff)
    return Award.objects.filter(condition)


def agreements(user: Any) -> QuerySet[Agreement]:
    """``agreements.permissions.can_see_agreement``: officers and finance staff of the call; the
    beneficiary's members once a version was sent to them."""
    sent = AgreementVersion.objects.filter(agreement_id=OuterRef("pk"), sent_at__isnull=False)
    condition = Q(award__application__organisation_id__in=_member_of(user)) & Q(Exists(sent))
    staff = _staff_calls(user, Role.OFFICER, Role.FINANCE)
    if staff is not None:
        condition |= Q(award__application__call_id__in=staff)
    return Agreement.objects.filter(condition)


def instalments(user: Any) -> QuerySet[Instalment]:
    """``payments.permissions.can_see_payments``: the beneficiary's members, the officers and
    finance staff of the call."""
    condition = Q(award__application__organisation_id__in=_member_of(user))
    staff = _staff_calls(user, Role.OFFICER, Role.FINANCE)
    if staff is not None:
        condition |= Q(award__application__call_id__in=staff)
    return Instalment.objects.filter(condition)


def _supported_by(funder_ids: set[int]) -> QuerySet[AwardShare, Any]:
    return AwardShare.objects.filter(funder_id__in=funder_ids).values(
        "award__application__organisation_id"
    )


def organisations(user: Any) -> QuerySet[Organisation]:
    """``portfolio.permissions_portfolio.organisation_page_access`` (the organisation's page):
    its members, and the officers and finance staff of a funder that supported it."""
    funder_ids = staff_funder_ids(user, Role.OFFICER, Role.FINANCE)
    if funder_ids is None:
        return Organisation.objects.all()
    condition = Q(pk__in=_member_of(user))
    if funder_ids:
        condition |= Q(pk__in=_supported_by(funder_ids))
    return Organisation.objects.filter(condition)


def kpi_reports(user: Any) -> QuerySet[KpiReport]:
    """``portfolio.permissions.can_see_report``: the organisation's members; the officers and
    finance staff of the campaign's funder or of a funder that supported the organisation."""
    funder_ids = staff_funder_ids(user, Role.OFFICER, Role.FINANCE)
    if funder_ids is None:
        return KpiReport.objects.all()
    condition = Q(organisation_id__in=_member_of(user))
    if funder_ids:
        condition |= Q(campaign__funder_id__in=funder_ids) | Q(
            organisation_id__in=_supported_by(funder_ids)
        )
    return KpiReport.objects.filter(condition)
