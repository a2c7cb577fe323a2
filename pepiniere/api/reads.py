"""Read endpoints: programmes, calls, applications, awards, agreements, instalments,
organisations, KPI reports and the RCO/RCR indicators. Every list is paged (``limit``/``offset``,
with the total), filtered and ordered from a whitelist (anything else is a 422 that lists what is
accepted) in a fixed number of queries; every object is checked with the page's permission
function, and what is not the caller's to see is a 404 like what does not exist."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from pepiniere.agreements.models import Agreement, AgreementStatus, AgreementVersion
from pepiniere.agreements.permissions import can_see_agreement
from pepiniere.api import visibility
from pepiniere.api.auth import AUTH, TokenAuth
from pepiniere.api.common import (
    AUTH_ERRORS,
    DEFAULT_LIMIT,
    LIST_ERRORS,
    PUBLIC_ERRORS,
    Anonymous,
    ErrorOut,
    FilterId,
    Limit,
    ObjectId,
    Offset,
    PageMeta,
    Year,
    not_found,
    page,
)
from pepiniere.applications.models import Application, Status
from pepiniere.applications.permissions import can_view_application
from pepiniere.calls.models import Call, CallPhase
from pepiniere.calls.permissions import can_view_call
from pepiniere.grants.models import Award, AwardShare
from pepiniere.grants.permissions import can_read_decision
from pepiniere.impact.permissions import can_view_call as can_view_impact_call
from pepiniere.impact.permissions import can_view_programme as can_view_impact_programme
from pepiniere.impact.permissions import dashboard_funder_ids
from pepiniere.lib.http import AuthenticatedHttpRequest
from pepiniere.organisations.models import Organisation, OrganisationKind
from pepiniere.payments.models import Instalment, InstalmentStatus
from pepiniere.payments.permissions import can_see_payments
from pepiniere.portfolio import indicator_rows, indicators, indicators_results
from pepiniere.portfolio.models import KpiReport, ReportStatus
from pepiniere.portfolio.permissions import can_see_report, staff_funder_ids
from pepiniere.portfolio.permissions_portfolio import can_view_organisation_page
from pepiniere.programmes.models import Axis, Programme

router = Router()
OPTIONAL_AUTH = [TokenAuth(), *AUTH[1:], Anonymous()]
# In the schema: a token, the session, or nothing at all.
PUBLIC: dict[str, Any] = {"security": [{"TokenAuth": []}, {"SessionAuth": []}, {}]}


def _ordered[M: Any](queryset: QuerySet[M], ordering: str, fields: dict[str, str]) -> QuerySet[M]:
    field = fields[ordering.lstrip("-")]
    sign = "-" if ordering.startswith("-") else ""
    return queryset.order_by(f"{sign}{field}", f"{sign}pk")


# --- programmes ------------------------------------------------------------------------------


class AxisOut(Schema):
    code: str
    title: str
    budget: Decimal


class ProgrammeOut(Schema):
    slug: str
    title: str
    description: str
    funder: str
    start_date: datetime.date
    end_date: datetime.date
    axes: list[AxisOut]


class ProgrammePage(PageMeta):
    items: list[ProgrammeOut]


def _programmes(rows: Sequence[Programme]) -> list[ProgrammeOut]:
    return [
        ProgrammeOut(
            slug=p.slug,
            title=p.title,
            description=p.description,
            funder=p.funder.name,
            start_date=p.start_date,
            end_date=p.end_date,
            axes=[AxisOut(code=a.code, title=a.title, budget=a.budget) for a in p.axes.all()],
        )
        for p in rows
    ]


def _programme_rows() -> QuerySet[Programme]:
    return Programme.objects.select_related("funder").prefetch_related(
        Prefetch("axes", queryset=Axis.objects.order_by("position", "pk"))
    )


PROGRAMME_ORDER = {"start_date": "start_date", "title": "title"}


@router.get(
    "/programmes",
    response={200: ProgrammePage, **PUBLIC_ERRORS},
    auth=OPTIONAL_AUTH,
    openapi_extra=PUBLIC,
    tags=["programmes"],
    summary="Programmes (roadmaps) with their priority axes and budgets (public)",
)
def list_programmes(
    request: HttpRequest,
    year: Year = None,
    ordering: Literal["start_date", "-start_date", "title", "-title"] = "-start_date",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows = _programme_rows()
    if year is not None:
        rows = rows.filter(start_date__year__lte=year, end_date__year__gte=year)
    rows = _ordered(rows, ordering, PROGRAMME_ORDER)
    return page(rows, limit=limit, offset=offset, out=_programmes)


@router.get(
    "/programmes/{slug}",
    response={200: ProgrammeOut, **PUBLIC_ERRORS},
    auth=OPTIONAL_AUTH,
    openapi_extra=PUBLIC,
    tags=["programmes"],
)
def get_programme(request: HttpRequest, slug: str) -> ProgrammeOut:
    programme = _programme_rows().filter(slug=slug).first()
    if programme is None:
        raise not_found()
    return _programmes([programme])[0]


# --- calls -----------------------------------------------------------------------------------


class CallOut(Schema):
    slug: str
    title: str
    summary: str
    funder: str
    programme: str
    envelope: Decimal
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    phase: str
    is_published: bool


class CallPage(PageMeta):
    items: list[CallOut]


def _calls(rows: Sequence[Call]) -> list[CallOut]:
    now = timezone.now()
    return [
        CallOut(
            slug=c.slug,
            title=c.title,
            summary=c.summary,
            funder=c.funder.name,
            programme=c.programme.slug,
            envelope=c.envelope,
            opens_at=c.opens_at,
            closes_at=c.closes_at,
            phase=c.phase(now),
            is_published=c.is_published,
        )
        for c in rows
    ]


CALL_ORDER = {"closes_at": "closes_at", "opens_at": "opens_at", "title": "title"}


@router.get(
    "/calls",
    response={200: CallPage, **PUBLIC_ERRORS},
    auth=OPTIONAL_AUTH,
    openapi_extra=PUBLIC,
    tags=["calls"],
    summary="Published calls (public), and the unpublished ones of the caller's funder",
)
def list_calls(
    request: HttpRequest,
    programme: str | None = None,
    phase: CallPhase | None = None,
    year: Year = None,
    ordering: Literal[
        "closes_at", "-closes_at", "opens_at", "-opens_at", "title", "-title"
    ] = "-closes_at",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows = visibility.calls(request.user).select_related("funder", "programme")
    if programme:
        rows = rows.filter(programme__slug=programme)
    if year is not None:
        rows = rows.filter(opens_at__year=year)
    if phase is not None:
        now = timezone.now()
        rows = rows.filter(
            {
                CallPhase.UPCOMING: Q(opens_at__gt=now),
                CallPhase.OPEN: Q(opens_at__lte=now, closes_at__gt=now),
                CallPhase.CLOSED: Q(closes_at__lte=now),
            }[phase]
        )
    rows = _ordered(rows, ordering, CALL_ORDER)
    return page(rows, limit=limit, offset=offset, out=_calls)


@router.get(
    "/calls/{slug}",
    response={200: CallOut, **PUBLIC_ERRORS},
    auth=OPTIONAL_AUTH,
    openapi_extra=PUBLIC,
    tags=["calls"],
)
def get_call(request: HttpRequest, slug: str) -> CallOut:
    call = Call.objects.select_related("funder", "programme").filter(slug=slug).first()
    if call is None or not can_view_call(request.user, call):
        raise not_found()
    return _calls([call])[0]


# --- applications ----------------------------------------------------------------------------


class ApplicationOut(Schema):
    id: int
    reference: str | None
    call: str
    organisation_id: int
    organisation: str
    status: Status
    title: str
    requested_amount: Decimal | None
    submitted_at: datetime.datetime | None
    updated_at: datetime.datetime


class ApplicationPage(PageMeta):
    items: list[ApplicationOut]


def _applications(rows: Sequence[Application]) -> list[ApplicationOut]:
    return [
        ApplicationOut(
            id=a.pk,
            reference=a.reference,
            call=a.call.slug,
            organisation_id=a.organisation_id,
            organisation=a.organisation.name,
            status=Status(a.status),
            title=a.title,
            requested_amount=a.requested_amount,
            submitted_at=a.submitted_at,
            updated_at=a.updated_at,
        )
        for a in rows
    ]


APPLICATION_ORDER = {
    "updated_at": "updated_at",
    "submitted_at": "submitted_at",
    "reference": "reference",
    "requested_amount": "requested_amount",
}


@router.get(
    "/applications",
    response={200: ApplicationPage, **LIST_ERRORS},
    auth=AUTH,
    tags=["applications"],
    summary="Applications: one's organisations', or (officers, jury) those of one's funder's calls",
)
def list_applications(
    request: AuthenticatedHttpRequest,
    status: Status | None = None,
    call: str | None = None,
    programme: str | None = None,
    organisation: FilterId = None,
    year: Year = None,
    ordering: Literal[
        "updated_at",
        "-updated_at",
        "submitted_at",
        "-submitted_at",
        "reference",
        "-reference",
        "requested_amount",
        "-requested_amount",
    ] = "-updated_at",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows = visibility.applications(request.user).select_related("call", "organisation")
    if status is not None:
        rows = rows.filter(status=status)
    if call:
        rows = rows.filter(call__slug=call)
    if programme:
        rows = rows.filter(call__programme__slug=programme)
    if organisation is not None:
        rows = rows.filter(organisation_id=organisation)
    if year is not None:
        rows = rows.filter(submitted_at__year=year)
    rows = _ordered(rows, ordering, APPLICATION_ORDER)
    return page(rows, limit=limit, offset=offset, out=_applications)


@router.get(
    "/applications/{application_id}",
    response={200: ApplicationOut, **AUTH_ERRORS},
    auth=AUTH,
    tags=["applications"],
)
def get_application(request: AuthenticatedHttpRequest, application_id: ObjectId) -> ApplicationOut:
    application = (
        Application.objects.select_related("call", "organisation").filter(pk=application_id).first()
    )
    if application is None or not can_view_application(request.user, application):
        raise not_found()
    return _applications([application])[0]


# --- awards ----------------------------------------------------------------------------------


class ShareOut(Schema):
    funder: str
    amount: Decimal


class AwardOut(Schema):
    id: int
    application_id: int
    application_reference: str | None
    call: str
    programme: str
    organisation_id: int
    organisation: str
    amount: Decimal
    decision_reference: str
    decision_date: datetime.date
    de_minimis: bool
    awarded_at: datetime.datetime
    shares: list[ShareOut]


class AwardPage(PageMeta):
    items: list[AwardOut]


def _award_rows(queryset: QuerySet[Award]) -> QuerySet[Award]:
    return queryset.select_related(
        "application",
        "application__call",
        "application__call__programme",
        "application__organisation",
    ).prefetch_related(
        Prefetch(
            "shares", queryset=AwardShare.objects.select_related("funder").order_by("-amount", "pk")
        )
    )


def _awards(rows: Sequence[Award]) -> list[AwardOut]:
    return [
        AwardOut(
            id=a.pk,
            application_id=a.application_id,
            application_reference=a.application.reference,
            call=a.application.call.slug,
            programme=a.application.call.programme.slug,
            organisation_id=a.application.organisation_id,
            organisation=a.application.organisation.name,
            amount=a.amount,
            decision_reference=a.decision_reference,
            decision_date=a.decision_date,
            de_minimis=a.de_minimis,
            awarded_at=a.awarded_at,
            shares=[ShareOut(funder=s.funder.name, amount=s.amount) for s in a.shares.all()],
        )
        for a in rows
    ]


AWARD_ORDER = {"decision_date": "decision_date", "amount": "amount", "id": "pk"}


@router.get(
    "/awards",
    response={200: AwardPage, **LIST_ERRORS},
    auth=AUTH,
    tags=["awards"],
    summary="Awards: one's organisations', or (officers, finance, jury) those of one's funder",
)
def list_awards(
    request: AuthenticatedHttpRequest,
    call: str | None = None,
    programme: str | None = None,
    organisation: FilterId = None,
    year: Year = None,
    ordering: Literal["decision_date", "-decision_date", "amount", "-amount", "id", "-id"] = "-id",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows = _award_rows(visibility.awards(request.user))
    if call:
        rows = rows.filter(application__call__slug=call)
    if programme:
        rows = rows.filter(application__call__programme__slug=programme)
    if organisation is not None:
        rows = rows.filter(application__organisation_id=organisation)
    if year is not None:
        rows = rows.filter(decision_date__year=year)
    rows = _ordered(rows, ordering, AWARD_ORDER)
    return page(rows, limit=limit, offset=offset, out=_awards)


@router.get(
    "/awards/{award_id}", response={200: AwardOut, **AUTH_ERRORS}, auth=AUTH, tags=["awards"]
)
def get_award(request: AuthenticatedHttpRequest, award_id: ObjectId) -> AwardOut:
    award = _award_rows(Award.objects.filter(pk=award_id)).first()
    if award is None or not can_read_decision(request.user, award.application):
        raise not_found()
    return _awards([award])[0]


# --- agreements ------------------------------------------------------------------------------


class AgreementVersionOut(Schema):
    number: int
    amount: Decimal
    aid_rate: Decimal
    eligible_budget: Decimal
    start_date: datetime.date
    end_date: datetime.date
    created_at: datetime.datetime
    sent_at: datetime.datetime | None
    signed_at: datetime.datetime | None


class AgreementOut(Schema):
    id: int
    reference: str
    status: AgreementStatus
    award_id: int
    application_reference: str | None
    call: str
    organisation_id: int
    organisation: str
    created_at: datetime.datetime
    closed_at: datetime.datetime | None
    terminated_at: datetime.datetime | None
    versions: list[AgreementVersionOut]


class AgreementPage(PageMeta):
    items: list[AgreementOut]


def _agreement_rows(queryset: QuerySet[Agreement]) -> QuerySet[Agreement]:
    return queryset.select_related(
        "award__application__call", "award__application__organisation"
    ).prefetch_related(
        Prefetch("versions", queryset=AgreementVersion.objects.order_by("number")),
        "award__application__call__co_funders",
    )


def _agreements(user: Any, rows: Sequence[Agreement]) -> list[AgreementOut]:
    """The versions the page shows: every one to the funder's staff, the sent ones to the
    beneficiary (a draft is the officers' until it is sent)."""
    funder_ids = staff_funder_ids(user, "officer", "finance")

    def staff(call: Call) -> bool:
        if funder_ids is None:
            return True
        return bool(funder_ids & ({call.funder_id} | {f.pk for f in call.co_funders.all()}))

    out = []
    for a in rows:
        application = a.award.application
        everything = staff(application.call)
        out.append(
            AgreementOut(
                id=a.pk,
                reference=a.reference,
                status=AgreementStatus(a.status),
                award_id=a.award_id,
                application_reference=application.reference,
                call=application.call.slug,
                organisation_id=application.organisation_id,
                organisation=application.organisation.name,
                created_at=a.created_at,
                closed_at=a.closed_at,
                terminated_at=a.terminated_at,
                versions=[
                    AgreementVersionOut(
                        number=v.number,
                        amount=v.amount,
                        aid_rate=v.aid_rate,
                        eligible_budget=v.eligible_budget,
                        start_date=v.start_date,
                        end_date=v.end_date,
                        created_at=v.created_at,
                        sent_at=v.sent_at,
                        signed_at=v.signed_at,
                    )
                    for v in a.versions.all()
                    if everything or v.sent_at is not None
                ],
            )
        )
    return out


AGREEMENT_ORDER = {"created_at": "created_at", "reference": "reference"}


@router.get(
    "/agreements",
    response={200: AgreementPage, **LIST_ERRORS},
    auth=AUTH,
    tags=["agreements"],
    summary="Grant agreements: one's organisations' (once sent), or one's funder's",
)
def list_agreements(
    request: AuthenticatedHttpRequest,
    status: AgreementStatus | None = None,
    call: str | None = None,
    programme: str | None = None,
    organisation: FilterId = None,
    year: Year = None,
    ordering: Literal["created_at", "-created_at", "reference", "-reference"] = "-created_at",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows = _agreement_rows(visibility.agreements(request.user))
    if status is not None:
        rows = rows.filter(status=status)
    if call:
        rows = rows.filter(award__application__call__slug=call)
    if programme:
        rows = rows.filter(award__application__call__programme__slug=programme)
    if organisation is not None:
        rows = rows.filter(award__application__organisation_id=organisation)
    if year is not None:
        rows = rows.filter(created_at__year=year)
    rows = _ordered(rows, ordering, AGREEMENT_ORDER)
    return page(rows, limit=limit, offset=offset, out=lambda r: _agreements(request.user, r))


@router.get(
    "/agreements/{agreement_id}",
    response={200: AgreementOut, **AUTH_ERRORS},
    auth=AUTH,
    tags=["agreements"],
)
def get_agreement(request: AuthenticatedHttpRequest, agreement_id: ObjectId) -> AgreementOut:
    agreement = _agreement_rows(Agreement.objects.filter(pk=agreement_id)).first()
    if agreement is None or not can_see_agreement(request.user, agreement):
        raise not_found()
    return _agreements(request.user, [agreement])[0]


# --- instalments (payments) ------------------------------------------------------------------


class InstalmentOut(Schema):
    id: int
    award_id: int
    agreement_reference: str
    agreement_version: int
    application_reference: str | None
    organisation_id: int
    position: int
    label: str
    percent: Decimal
    trigger: str
    planned_amount: Decimal
    amount: Decimal
    status: InstalmentStatus
    checked_at: datetime.datetime | None
    authorised_at: datetime.datetime | None
    paid_at: datetime.datetime | None
    cancelled_at: datetime.datetime | None


class InstalmentPage(PageMeta):
    items: list[InstalmentOut]


def _instalment_rows(queryset: QuerySet[Instalment]) -> QuerySet[Instalment]:
    return queryset.select_related(
        "award__application__call", "award__application", "version__agreement"
    )


def _instalments(rows: Sequence[Instalment]) -> list[InstalmentOut]:
    return [
        InstalmentOut(
            id=i.pk,
            award_id=i.award_id,
            agreement_reference=i.version.agreement.reference,
            agreement_version=i.version.number,
            application_reference=i.award.application.reference,
            organisation_id=i.award.application.organisation_id,
            position=i.position,
            label=i.label,
            percent=i.percent,
            trigger=i.trigger,
            planned_amount=i.planned_amount,
            amount=i.amount,
            status=InstalmentStatus(i.status),
            checked_at=i.checked_at,
            authorised_at=i.authorised_at,
            paid_at=i.paid_at,
            cancelled_at=i.cancelled_at,
        )
        for i in rows
    ]


INSTALMENT_ORDER = {"position": "position", "amount": "amount", "paid_at": "paid_at", "id": "pk"}


@router.get(
    "/instalments",
    response={200: InstalmentPage, **LIST_ERRORS},
    auth=AUTH,
    tags=["payments"],
    summary="Instalments (payments): one's organisations', or (officers, finance) one's funder's",
)
def list_instalments(
    request: AuthenticatedHttpRequest,
    status: InstalmentStatus | None = None,
    award: FilterId = None,
    call: str | None = None,
    programme: str | None = None,
    organisation: FilterId = None,
    year: Year = None,
    ordering: Literal[
        "id", "-id", "position", "-position", "amount", "-amount", "paid_at", "-paid_at"
    ] = "id",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows = _instalment_rows(visibility.instalments(request.user))
    if status is not None:
        rows = rows.filter(status=status)
    if award is not None:
        rows = rows.filter(award_id=award)
    if call:
        rows = rows.filter(award__application__call__slug=call)
    if programme:
        rows = rows.filter(award__application__call__programme__slug=programme)
    if organisation is not None:
        rows = rows.filter(award__application__organisation_id=organisation)
    if year is not None:
        rows = rows.filter(paid_at__year=year)
    rows = _ordered(rows, ordering, INSTALMENT_ORDER)
    return page(rows, limit=limit, offset=offset, out=_instalments)


@router.get(
    "/instalments/{instalment_id}",
    response={200: InstalmentOut, **AUTH_ERRORS},
    auth=AUTH,
    tags=["payments"],
)
def get_instalment(request: AuthenticatedHttpRequest, instalment_id: ObjectId) -> InstalmentOut:
    instalment = _instalment_rows(Instalment.objects.filter(pk=instalment_id)).first()
    if instalment is None or not can_see_payments(
        request.user,
        organisation_id=instalment.award.application.organisation_id,
        call=instalment.award.application.call,
    ):
        raise not_found()
    return _instalments([instalment])[0]


# --- organisations ---------------------------------------------------------------------------


class OrganisationOut(Schema):
    id: int
    name: str
    kind: OrganisationKind
    siren: str
    siret: str
    rna: str
    legal_form: str | None
    naf_code: str
    postal_code: str
    commune_code: str
    commune_name: str
    departement: str | None
    creation_date: datetime.date | None
    size_band: str | None
    website: str


class OrganisationPage(PageMeta):
    items: list[OrganisationOut]


def _organisations(rows: Sequence[Organisation]) -> list[OrganisationOut]:
    return [
        OrganisationOut(
            id=o.pk,
            name=o.name,
            kind=OrganisationKind(o.kind),
            siren=o.siren,
            siret=o.siret,
            rna=o.rna,
            legal_form=o.legal_form_id,
            naf_code=o.naf_code,
            postal_code=o.postal_code,
            commune_code=o.commune_code,
            commune_name=o.commune_name,
            departement=o.departement_id,
            creation_date=o.creation_date,
            size_band=o.size_band_id,
            website=o.website,
        )
        for o in rows
    ]


ORGANISATION_ORDER = {"name": "name", "created_at": "created_at", "id": "pk"}


@router.get(
    "/organisations",
    response={200: OrganisationPage, **LIST_ERRORS},
    auth=AUTH,
    tags=["organisations"],
    summary="Organisations: one's own, or (officers, finance) those one's funder supported",
)
def list_organisations(
    request: AuthenticatedHttpRequest,
    kind: OrganisationKind | None = None,
    departement: str | None = None,
    siren: str | None = None,
    ordering: Literal["name", "-name", "created_at", "-created_at", "id", "-id"] = "name",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows = visibility.organisations(request.user)
    if kind is not None:
        rows = rows.filter(kind=kind)
    if departement:
        rows = rows.filter(departement_id=departement)
    if siren:
        rows = rows.filter(siren=siren)
    rows = _ordered(rows, ordering, ORGANISATION_ORDER)
    return page(rows, limit=limit, offset=offset, out=_organisations)


@router.get(
    "/organisations/{organisation_id}",
    response={200: OrganisationOut, **AUTH_ERRORS},
    auth=AUTH,
    tags=["organisations"],
)
def get_organisation(
    request: AuthenticatedHttpRequest, organisation_id: ObjectId
) -> OrganisationOut:
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None or not can_view_organisation_page(request.user, organisation):
        raise not_found()
    return _organisations([organisation])[0]


# --- KPI reports -----------------------------------------------------------------------------


class KpiReportOut(Schema):
    id: int
    organisation_id: int
    organisation: str
    campaign_id: int | None
    period_year: int
    period_semester: int | None
    is_baseline: bool
    status: ReportStatus
    due_date: datetime.date | None
    headcount: int | None
    fte: Decimal | None
    research_fte: Decimal | None
    fte_created: Decimal | None
    fte_maintained: Decimal | None
    revenue: Decimal | None
    equity_raised: Decimal | None
    loans_raised: Decimal | None
    sites: int | None
    export_share: Decimal | None
    extra_answers: dict[str, Any]
    returned_reason: str
    submitted_at: datetime.datetime | None
    validated_at: datetime.datetime | None
    draft: dict[str, str] | None
    draft_revision: int


class KpiReportPage(PageMeta):
    items: list[KpiReportOut]


def _kpi_reports(user: Any, rows: Sequence[KpiReport]) -> list[KpiReportOut]:
    """The figures as stored (transmitted ones); the draft as typed is shown to the
    organisation's members only, who are filling it."""
    member_of = set(user.memberships.values_list("organisation_id", flat=True)) if rows else set()
    return [
        KpiReportOut(
            id=r.pk,
            organisation_id=r.organisation_id,
            organisation=r.organisation.name,
            campaign_id=r.campaign_id,
            period_year=r.period_year,
            period_semester=r.period_semester,
            is_baseline=r.is_baseline,
            status=ReportStatus(r.status),
            due_date=r.due_date,
            headcount=r.headcount,
            fte=r.fte,
            research_fte=r.research_fte,
            fte_created=r.fte_created,
            fte_maintained=r.fte_maintained,
            revenue=r.revenue,
            equity_raised=r.equity_raised,
            loans_raised=r.loans_raised,
            sites=r.sites,
            export_share=r.export_share,
            extra_answers=dict(r.extra_answers or {}),
            returned_reason=r.returned_reason,
            submitted_at=r.submitted_at,
            validated_at=r.validated_at,
            draft=dict(r.draft_values) if r.organisation_id in member_of else None,
            draft_revision=r.draft_revision,
        )
        for r in rows
    ]


KPI_ORDER = {"period_year": "period_year", "due_date": "due_date", "id": "pk"}


@router.get(
    "/kpi-reports",
    response={200: KpiReportPage, **LIST_ERRORS},
    auth=AUTH,
    tags=["kpi"],
    summary="KPI reports: one's organisations', or (officers, finance) those one's funder follows",
)
def list_kpi_reports(
    request: AuthenticatedHttpRequest,
    status: ReportStatus | None = None,
    organisation: FilterId = None,
    campaign: FilterId = None,
    year: Year = None,
    baseline: bool | None = None,
    ordering: Literal[
        "period_year", "-period_year", "due_date", "-due_date", "id", "-id"
    ] = "-period_year",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows = visibility.kpi_reports(request.user).select_related("organisation")
    if status is not None:
        rows = rows.filter(status=status)
    if organisation is not None:
        rows = rows.filter(organisation_id=organisation)
    if campaign is not None:
        rows = rows.filter(campaign_id=campaign)
    if year is not None:
        rows = rows.filter(period_year=year)
    if baseline is not None:
        rows = rows.filter(is_baseline=baseline)
    rows = _ordered(rows, ordering, KPI_ORDER)
    return page(rows, limit=limit, offset=offset, out=lambda r: _kpi_reports(request.user, r))


def kpi_report_for(user: Any, report_id: int) -> KpiReport:
    report = (
        KpiReport.objects.select_related("organisation", "campaign").filter(pk=report_id).first()
    )
    if report is None or not can_see_report(user, report):
        raise not_found()
    return report


@router.get(
    "/kpi-reports/{report_id}",
    response={200: KpiReportOut, **AUTH_ERRORS},
    auth=AUTH,
    tags=["kpi"],
)
def get_kpi_report(request: AuthenticatedHttpRequest, report_id: ObjectId) -> KpiReportOut:
    return _kpi_reports(request.user, [kpi_report_for(request.user, report_id)])[0]


# --- indicators ------------------------------------------------------------------------------


class IndicatorRowOut(Schema):
    indicator: str
    breakdown: str
    year: int | None
    value: Decimal | None
    unit: str
    unvalidated: int


class IndicatorsOut(Schema):
    year: int
    since: int
    programme: str | None
    call: str | None
    rows: list[IndicatorRowOut]


# Each year of the RCR01 series is one aggregate query: twenty at most.
MAX_SERIES_YEARS = 20


@router.get(
    "/indicators",
    response={200: IndicatorsOut, 403: ErrorOut, **AUTH_ERRORS},
    auth=AUTH,
    tags=["kpi"],
    summary="RCO01/02/04/05 and RCR01/02/17/19 of one's funder (as `pepiniere indicators`)",
)
def get_indicators(
    request: AuthenticatedHttpRequest,
    programme: str | None = None,
    call: str | None = None,
    year: Year = None,
    years: Annotated[
        int, Query(ge=1, le=MAX_SERIES_YEARS, description="years of the RCR01 series")
    ] = 1,
) -> IndicatorsOut:
    """The figures of the officers' indicators page (RCR01 over ``years`` years ending with
    ``year``, by default the latest reported), on the funder's share of the portfolio
    (an administrator: every funder), for a programme, a call or everything."""
    funder_ids = dashboard_funder_ids(request.user)
    if funder_ids is not None and not funder_ids:
        raise HttpError(403, _("Les indicateurs sont réservés aux équipes des financeurs."))
    scope = indicators.Scope(funder_ids=frozenset(funder_ids) if funder_ids is not None else None)
    if programme:
        found = Programme.objects.filter(slug=programme).first()
        if found is None or not can_view_impact_programme(funder_ids, found):
            raise not_found()
        scope = dataclasses.replace(scope, programme_id=found.pk)
    if call:
        found_call = Call.objects.filter(slug=call).first()
        if found_call is None or not can_view_impact_call(funder_ids, found_call):
            raise not_found()
        scope = dataclasses.replace(scope, call_id=found_call.pk)
    year = year or indicators.latest_year() or timezone.localdate().year - 1
    since = year - years + 1
    summary = indicators.summary(scope, year, series_from=since)
    rows = indicator_rows.summary_rows(summary)
    rows += indicator_rows.result_rows(indicators_results.totals(scope, year), year)
    return IndicatorsOut(
        year=year,
        since=since,
        programme=programme or None,
        call=call or None,
        rows=[IndicatorRowOut(**row) for row in rows],
    )
