"""An organisation's follow-up page: its applications, awards, agreements (sent, signed, amended,
closed, terminated) and instalments paid as one timeline, and its KPI series. A bounded number of
queries whatever the history."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps as django_apps
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pepiniere.agreements.models import AgreementVersion
from pepiniere.applications.models import Application, Status
from pepiniere.applications.permissions import can_open_backoffice
from pepiniere.lib.money import format_eur
from pepiniere.organisations.models import Organisation
from pepiniere.portfolio.figures import display
from pepiniere.portfolio.hooks import support_events
from pepiniere.portfolio.models import KpiReport, ReportSource, ReportStatus
from pepiniere.portfolio.selectors_portfolio import portfolio_calls
from pepiniere.programmes.selectors import organisation_holdings


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


# The series drawn on the page, in this order: (key, label, report field(s)).
KPI_SERIES = (
    ("headcount", gettext_lazy("Effectif salarié (fin d'année)"), ("headcount",)),
    ("fte", gettext_lazy("ETP annuels"), ("fte",)),
    ("revenue", gettext_lazy("Chiffre d'affaires (€)"), ("revenue",)),
    (
        "raised",
        gettext_lazy("Fonds levés, capital et prêts (€)"),
        ("equity_raised", "loans_raised"),
    ),
    ("sites", gettext_lazy("Établissements"), ("sites",)),
)
MONEY_SERIES = {"revenue", "raised"}


def _display(key: str, value: Any) -> str:
    """A table cell as the other KPI pages write it (« 1 100 000 € », « 14,5 »)."""
    return display(value, "money" if key in MONEY_SERIES else "fte" if key == "fte" else "")


@dataclass
class KpiRow:
    period: str
    year: int
    baseline: bool
    values: list[Any]
    status: str
    status_label: str
    url: str
    note: str


@dataclass
class KpiSection:
    rows: list[KpiRow]
    charts: list[dict[str, str]]
    chart_data: dict[str, Any]


def _value(report: KpiReport, names: tuple[str, ...]) -> Any:
    values = [getattr(report, n) for n in names]
    if all(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal("0")) if len(values) > 1 else values[0]


def kpi_section(organisation: Organisation) -> KpiSection:
    """The organisation's reports as a table (one row per report, the baseline marked) and one
    yearly series per KPI for the charts (a year's campaign report, else its baseline; reports
    not filled in yet have no point). One query."""
    reports = list(
        KpiReport.objects.filter(organisation=organisation)
        .annotate(n_corrections=Count("corrections"))
        .order_by("period_year", "period_semester", "-is_baseline", "pk")
    )
    rows = []
    points: dict[int, KpiReport] = {}
    for report in reports:
        filled = report.status != ReportStatus.DUE
        notes = []
        if report.status == ReportStatus.DRAFT and report.returned_reason:
            notes.append(_("renvoyé : %(reason)s") % {"reason": report.returned_reason})
        if (
            report.due_date
            and report.submitted_at
            and timezone.localdate(report.submitted_at) > report.due_date
        ):
            notes.append(_("transmis en retard"))
        if getattr(report, "n_corrections", 0):
            notes.append(_("corrigé par le service instructeur"))
        if report.source == ReportSource.IMPORT:
            notes.append(_("importé"))
        rows.append(
            KpiRow(
                period=str(report.period_year)
                if not report.period_semester
                else f"{report.get_period_semester_display()} {report.period_year}",
                year=report.period_year,
                baseline=report.is_baseline,
                values=[
                    _display(key, _value(report, names) if filled else None)
                    for key, _label, names in KPI_SERIES
                ],
                status=report.status,
                status_label=report.get_status_display(),
                url=reverse("kpi:report", args=[report.pk]),
                note=" · ".join(str(n) for n in notes),
            )
        )
        # A year's point: its campaign report, else its baseline.
        if (
            filled
            and not report.period_semester
            and (report.period_year not in points or not report.is_baseline)
        ):
            points[report.period_year] = report
    years = sorted(points)
    chart_data = {
        "years": years,
        "series": {
            key: [None if (v := _value(points[y], names)) is None else str(v) for y in years]
            for key, _label, names in KPI_SERIES
        },
        "validated": [points[y].status == ReportStatus.VALIDATED for y in years],
    }
    charts = [{"key": key, "label": str(label)} for key, label, _n in KPI_SERIES]
    return KpiSection(rows=rows, charts=charts, chart_data=chart_data)


@dataclass
class LabelRow:
    name: str
    slug: str
    awarded_by: str
    through: str  # "" when the organisation holds it itself, else its territory's name
    start: datetime.date
    end: datetime.date | None
    current: bool


def label_rows(organisation: Organisation) -> list[LabelRow]:
    """The labels the organisation holds or held, by itself or through its territory (one
    query)."""
    today = timezone.localdate()
    return [
        LabelRow(
            name=h.label.name,
            slug=h.label.slug,
            awarded_by=h.label.awarded_by,
            through="" if h.organisation_id else h.territory_name,
            start=h.start_date,
            end=h.end_date,
            current=h.is_valid_on(today),
        )
        for h in organisation_holdings(organisation)
    ]


def organisation_for_page(pk: int) -> Organisation:
    return Organisation.objects.select_related("departement", "size_band", "legal_form").get(pk=pk)


def visible_applications(
    organisation: Organisation, funder_ids: set[int] | None
) -> QuerySet[Application]:
    """The organisation's applications read here: all of them (drafts aside) for its members
    (funder_ids None), those to their funders' calls for funder staff."""
    applications = (
        Application.objects.filter(organisation=organisation)
        .exclude(status=Status.DRAFT)
        .select_related("call", "call__programme", "call__axis", "award")
    )
    if funder_ids is not None:
        applications = applications.filter(call_id__in=portfolio_calls(funder_ids).values("pk"))
    return applications.order_by("submitted_at", "pk")


def _local_date(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment) if moment else None


def _agreement_events(awards: list[Any]) -> list[TimelineEvent]:
    """Each version of the awards' agreements sent and signed, and their closing or termination
    (one query)."""
    if not awards:
        return []
    events = []
    versions = AgreementVersion.objects.filter(agreement__award__in=awards).select_related(
        "agreement"
    )
    seen: set[int] = set()
    for version in versions.order_by("agreement_id", "number"):
        agreement = version.agreement
        name = (
            _("Convention %(ref)s") % {"ref": agreement.reference}
            if version.number == 1
            else _("Avenant n° %(n)d à la convention %(ref)s")
            % {"n": version.number - 1, "ref": agreement.reference}
        )
        if version.sent_at:
            events.append(
                TimelineEvent(
                    date=timezone.localdate(version.sent_at),
                    kind="agreement",
                    title=_("%(name)s envoyée pour signature") % {"name": name},
                    amount=version.amount,
                )
            )
        if version.signed_at:
            events.append(
                TimelineEvent(
                    date=timezone.localdate(version.signed_at),
                    kind="agreement",
                    title=_("%(name)s signée : %(amount)s")
                    % {"name": name, "amount": format_eur(version.amount)},
                    amount=version.amount,
                )
            )
        if agreement.pk in seen:
            continue
        seen.add(agreement.pk)
        if agreement.closed_at:
            events.append(
                TimelineEvent(
                    date=timezone.localdate(agreement.closed_at),
                    kind="agreement",
                    title=_("Convention %(ref)s soldée") % {"ref": agreement.reference},
                )
            )
        if agreement.terminated_at:
            events.append(
                TimelineEvent(
                    date=timezone.localdate(agreement.terminated_at),
                    kind="agreement",
                    title=_("Convention %(ref)s résiliée") % {"ref": agreement.reference},
                    detail=agreement.termination_reason,
                )
            )
    return events


INSTALMENT_MODEL: tuple[str, str] = ("payments", "Instalment")


def _payment_events(awards: list[Any]) -> list[TimelineEvent]:
    """The instalments paid on the awards (one query), once the payments stage is installed: it
    comes before portfolio in the lifecycle, but is read through the app registry so that this
    page works whichever stages a deployment has."""
    if not awards or not django_apps.is_installed("pepiniere.payments"):
        return []
    try:
        instalment = django_apps.get_model(*INSTALMENT_MODEL)
    except LookupError:
        return []
    events = []
    for paid in instalment.objects.filter(award__in=awards, paid_at__isnull=False).order_by(
        "paid_at", "pk"
    ):
        events.append(
            TimelineEvent(
                date=timezone.localdate(paid.paid_at),
                kind="payment",
                title=_("Versement : %(amount)s") % {"amount": format_eur(paid.amount)},
                detail=str(paid.label),
                amount=paid.amount,
            )
        )
    return events


def organisation_page(
    user: Any, organisation: Organisation, *, as_member: bool, funder_ids: set[int] | None
) -> OrganisationPage:
    """The page for a member (as_member, every application) or for staff of these funders
    (None: an administrator), as portfolio.permissions_portfolio.organisation_page_access says."""
    applications = list(visible_applications(organisation, None if as_member else funder_ids))
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
    awarded = [a.award for a in applications if getattr(a, "award", None) is not None]
    timeline += _agreement_events(awarded) + _payment_events(awarded)
    # Grants known from funders' published files (opendata's historical import), and the like.
    timeline += support_events(organisation.pk, None if as_member else funder_ids)
    order = {"submitted": 0, "award": 1, "agreement": 2, "payment": 3}
    timeline.sort(key=lambda e: (e.date, order.get(e.kind, 9)))
    return OrganisationPage(
        organisation=organisation,
        applications=applications,
        timeline=timeline,
        awarded_total=total,
        awards=awards,
        as_member=as_member,
        extras={"kpi": kpi_section(organisation), "labels": label_rows(organisation)},
    )
