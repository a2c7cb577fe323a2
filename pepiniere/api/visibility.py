"""What each caller may list through the API, as querysets: the permission functions of the pages
(the detail endpoints call those very functions on the object) written as conditions, so that a
list pages and counts in the database. ``test_visibility`` checks every list against its page
function, for every role of the project's test world: a list never shows what the function
refuses, and shows everything it allows."""

from __future__ import annotations

import functools
import operator
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


def _member_of(user: Any) -> list[int]:
    """The organisations the user is a member of (a handful), as ids: the database then reads a
    literal list through its index, and a user who belongs to none loses that branch."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user_id=user.pk).values_list("organisation_id", flat=True)
    )


def _calls_of(funder_ids: set[int] | None) -> Q:
    """Calls of these funders, co-funded ones too (``is_call_staff``); None: every call."""
    if funder_ids is None:
        return Q()
    co_funded = Call.co_funders.through.objects.filter(funder_id__in=funder_ids).values("call_id")
    return Q(funder_id__in=funder_ids) | Q(pk__in=co_funded)


def _staff_calls(user: Any, *roles: str) -> list[int] | None:
    """Ids of the calls ``user`` is staff of in one of ``roles`` (empty when none); None for an
    administrator, who is staff of every call (``is_call_staff``)."""
    funder_ids = staff_funder_ids(user, *roles)
    if funder_ids is None:
        return None
    if not funder_ids:
        return []
    return list(Call.objects.filter(_calls_of(funder_ids)).values_list("pk", flat=True))


def _among(field: str, ids: list[int] | None) -> Q | None:
    """``field`` in ``ids``; any value for None (every one); None when the list is empty (the
    branch cannot hold)."""
    if ids is None:
        return Q()
    return Q(**{f"{field}__in": ids}) if ids else None


def _either(*branches: Q | None) -> Q:
    """The branches that can hold, OR'd: a query with one branch uses its index, where an OR of
    two subqueries reads the whole table. An unconditional branch (``Q()``) lets everything
    through; no branch lets nothing through."""
    kept = [branch for branch in branches if branch is not None]
    if any(not branch for branch in kept):
        return Q()
    if not kept:
        return Q(pk__in=[])
    return functools.reduce(operator.or_, kept)


def _both(first: Q | None, second: Q) -> Q | None:
    return None if first is None else first & second


def calls(user: Any) -> QuerySet[Call]:
    """``calls.permissions.can_view_call``: published calls, and the calls one is officer of."""
    staff = _staff_calls(user, Role.OFFICER) if user.is_authenticated else []
    return Call.objects.filter(_either(Q(is_published=True), _among("pk", staff)))


def applications(user: Any) -> QuerySet[Application]:
    """``applications.permissions.can_view_application``: the members of the applicant
    organisation; the officers and jury of the call, drafts excepted."""
    staff = _staff_calls(user, Role.OFFICER, Role.JURY)
    return Application.objects.filter(
        _either(
            _among("organisation_id", _member_of(user)),
            _both(_among("call_id", staff), ~Q(status=Status.DRAFT)),
        )
    )


def awards(user: Any) -> QuerySet[Award]:
    """``grants.permissions.can_see_grants`` on the call (officers, finance staff, jury of the
    funder), and the beneficiary's members (their decision, ``can_read_decision``)."""
    staff = _staff_calls(user, Role.OFFICER, Role.FINANCE, Role.JURY)
    return Award.objects.filter(
        _either(
            _among("application__organisation_id", _member_of(user)),
            _among("application__call_id", staff),
        )
    )


def agreements(user: Any) -> QuerySet[Agreement]:
    """``agreements.permissions.can_see_agreement``: officers and finance staff of the call; the
    beneficiary's members once a version was sent to them."""
    sent = AgreementVersion.objects.filter(agreement_id=OuterRef("pk"), sent_at__isnull=False)
    staff = _staff_calls(user, Role.OFFICER, Role.FINANCE)
    return Agreement.objects.filter(
        _either(
            _both(_among("award__application__organisation_id", _member_of(user)), Q(Exists(sent))),
            _among("award__application__call_id", staff),
        )
    )


def instalments(user: Any) -> QuerySet[Instalment]:
    """``payments.permissions.can_see_payments``: the beneficiary's members, the officers and
    finance staff of the call."""
    staff = _staff_calls(user, Role.OFFICER, Role.FINANCE)
    return Instalment.objects.filter(
        _either(
            _among("award__application__organisation_id", _member_of(user)),
            _among("award__application__call_id", staff),
        )
    )


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
    return Organisation.objects.filter(
        _either(
            _among("pk", _member_of(user)),
            Q(pk__in=_supported_by(funder_ids)) if funder_ids else None,
        )
    )


def kpi_reports(user: Any) -> QuerySet[KpiReport]:
    """``portfolio.permissions.can_see_report``: the organisation's members; the officers and
    finance staff of the campaign's funder or of a funder that supported the organisation."""
    funder_ids = staff_funder_ids(user, Role.OFFICER, Role.FINANCE)
    if funder_ids is None:
        return KpiReport.objects.all()
    return KpiReport.objects.filter(
        _either(
            _among("organisation_id", _member_of(user)),
            Q(campaign__funder_id__in=funder_ids) if funder_ids else None,
            Q(organisation_id__in=_supported_by(funder_ids)) if funder_ids else None,
        )
    )
