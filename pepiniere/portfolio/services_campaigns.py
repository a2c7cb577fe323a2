"""KPI campaigns: launching one (a due report for every supported organisation, written by the
database in one statement), closing it, and its reminders (each step once). Atomic, checked,
audited; e-mails are queued after commit, never sent inside the request."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.audit.services import record
from pepiniere.calls.models import Call
from pepiniere.calls.permissions import funder_ids_of_call
from pepiniere.grants.models import Award
from pepiniere.organisations.models import Organisation
from pepiniere.portfolio.models import (
    CampaignStatus,
    KpiCampaign,
    KpiReminder,
    KpiReport,
    PeriodKind,
    QuestionKind,
    ReportSource,
    ReportStatus,
)
from pepiniere.portfolio.permissions import can_manage_campaigns
from pepiniere.portfolio.services import OPEN_STATES, KpiError, enqueue_on_commit
from pepiniere.programmes.models import Funder, Programme


def period_end(year: int, semester: int | None) -> datetime.date:
    return datetime.date(year, 6, 30) if semester == 1 else datetime.date(year, 12, 31)


def supported_organisation_ids(
    *, programme: Programme | None = None, call: Call | None = None, until: datetime.date
) -> QuerySet[Award, Any]:
    """The organisations awarded by the programme (or the call) on or before ``until``: those a
    campaign for a period ending then asks (one subquery, never a list in Python)."""
    awards = Award.objects.filter(decision_date__lte=until)
    if call is not None:
        awards = awards.filter(application__call=call)
    else:
        awards = awards.filter(application__call__programme=programme)
    return awards.values("application__organisation_id").distinct()


def clean_questions(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    questions = []
    for position, item in enumerate(raw, start=1):
        label = str(item.get("label", "")).strip()
        if not label:
            continue
        kind = item.get("kind") or QuestionKind.TEXT
        if kind not in QuestionKind.values:
            raise KpiError(_("Type de question inconnu : « %(kind)s ».") % {"kind": kind})
        questions.append({"key": f"q{position}", "label": label[:300], "kind": kind})
    return questions


def _clean_days(days: list[int], label: str) -> list[int]:
    cleaned = sorted({int(d) for d in days}, reverse=True)
    if any(d < 1 or d > 365 for d in cleaned):
        raise KpiError(
            _("Les relances %(label)s se comptent en jours, de 1 à 365.") % {"label": label}
        )
    return cleaned


@dataclass
class LaunchResult:
    campaign: KpiCampaign
    asked: int  # reports created for this campaign
    already: int  # organisations that already had a report for the period (not asked twice)


@transaction.atomic
def launch_campaign(
    *,
    actor: Any,
    funder: Funder,
    programme: Programme | None = None,
    call: Call | None = None,
    period_year: int,
    period_semester: int | None = None,
    due_date: datetime.date,
    title: str = "",
    reminder_days_before: list[int] | None = None,
    reminder_days_after: list[int] | None = None,
    extra_questions: list[dict[str, Any]] | None = None,
    now: datetime.datetime | None = None,
) -> LaunchResult:
    """Ask every organisation the programme (or the call) supported for its figures of a period:
    one due report each (bulk, a few queries whatever the number), one e-mail each queued after
    commit. An organisation that already has a report for the period is not asked twice."""
    now = now or timezone.now()
    verdict = can_manage_campaigns(actor, funder.pk)
    if not verdict:
        raise KpiError(verdict.reason)
    if (programme is None) == (call is None):
        raise KpiError(_("Choisissez un programme ou un appel à projets (l'un ou l'autre)."))
    if programme is not None and programme.funder_id != funder.pk:
        raise KpiError(_("Ce programme n'est pas celui du financeur."))
    if call is not None and funder.pk not in funder_ids_of_call(call):
        raise KpiError(_("Cet appel n'est pas financé par ce financeur."))
    if period_semester not in (None, 1, 2):
        raise KpiError(_("Le semestre est le premier ou le second."))
    if not 2000 <= period_year <= timezone.localdate(now).year:
        raise KpiError(_("L'année de la campagne est passée ou en cours (depuis 2000)."))
    end = period_end(period_year, period_semester)
    if due_date <= end:
        raise KpiError(_("La date limite de réponse vient après la fin de la période."))
    scope = programme.title if programme is not None else call.title  # type: ignore[union-attr]
    period = (
        str(period_year)
        if period_semester is None
        else _("%(n)s semestre %(year)s")
        % {"n": _("1er") if period_semester == 1 else _("2d"), "year": period_year}
    )
    campaign = KpiCampaign.objects.create(
        funder=funder,
        programme=programme,
        call=call,
        title=(
            title.strip()
            or _("Indicateurs %(period)s — %(scope)s") % {"period": period, "scope": scope}
        )[:200],
        period_kind=PeriodKind.YEAR if period_semester is None else PeriodKind.SEMESTER,
        period_year=period_year,
        period_semester=period_semester,
        due_date=due_date,
        reminder_days_before=_clean_days(
            reminder_days_before if reminder_days_before is not None else [14, 3], _("avant")
        ),
        reminder_days_after=_clean_days(
            reminder_days_after if reminder_days_after is not None else [7, 30], _("après")
        ),
        extra_questions=clean_questions(extra_questions or []),
        status=CampaignStatus.LAUNCHED,
        launched_by=actor,
        launched_at=now,
    )
    supported = supported_organisation_ids(programme=programme, call=call, until=end)
    existing = KpiReport.objects.filter(
        organisation_id__in=supported,
        period_year=period_year,
        period_semester=period_semester,
        is_baseline=False,
    ).values("organisation_id")
    already = existing.count()
    asked = insert_reports(
        Organisation.objects.filter(pk__in=supported).exclude(pk__in=existing).order_by("pk"),
        KpiReport(
            campaign=campaign,
            period_year=period_year,
            period_semester=period_semester,
            status=ReportStatus.DUE,
            source=ReportSource.CAMPAIGN,
            due_date=due_date,
            created_at=now,
            updated_at=now,
        ),
    )
    record(
        actor=actor,
        obj=campaign,
        action="launch_kpi_campaign",
        to_state=CampaignStatus.LAUNCHED,
        reason=_("%(n)d structures sollicitées, %(m)d avaient déjà un rapport pour la période.")
        % {"n": asked, "m": already},
        at=now,
    )
    enqueue_on_commit("email_campaign", campaign.pk, "launch")
    return LaunchResult(campaign, asked, already)


def insert_reports(organisations: QuerySet[Organisation], template: KpiReport) -> int:
    """One report like ``template`` for each of these organisations, written by the database in
    one INSERT … SELECT; returns how many. bulk_create would spend seconds building and
    compiling ten thousand model instances of thirty columns; here every column still gets the
    template's value (its default where the template leaves it), prepared by its own field."""
    report_fields = [f for f in KpiReport._meta.concrete_fields if not f.primary_key]
    organisation_field = KpiReport._meta.get_field("organisation")
    constants = [f for f in report_fields if f is not organisation_field]
    rows = organisations.annotate(
        **{
            f"report_{f.attname}": Value(f.pre_save(template, add=True), output_field=f)
            for f in constants
        }
    ).values_list("pk", *(f"report_{f.attname}" for f in constants))
    select, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in [organisation_field, *constants])
    table = quote(KpiReport._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {select}", params)  # noqa: S608
        inserted: int = cursor.rowcount
    return inserted


@transaction.atomic
def close_campaign(
    *, campaign: KpiCampaign, actor: Any, now: datetime.datetime | None = None
) -> KpiCampaign:
    """No more reminders; reports still open stay open (late figures are still welcome)."""
    now = now or timezone.now()
    campaign = KpiCampaign.objects.select_for_update().get(pk=campaign.pk)
    verdict = can_manage_campaigns(actor, campaign.funder_id)
    if not verdict:
        raise KpiError(verdict.reason)
    if campaign.status == CampaignStatus.CLOSED:
        return campaign
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = now
    campaign.save(update_fields=["status", "closed_at"])
    record(
        actor=actor,
        obj=campaign,
        action="close_kpi_campaign",
        from_state=CampaignStatus.LAUNCHED,
        to_state=CampaignStatus.CLOSED,
        at=now,
    )
    return campaign


def reminder_steps(campaign: KpiCampaign) -> list[tuple[str, datetime.date]]:
    """(step, date) of every reminder of the campaign, earliest first."""
    steps = [
        (f"before-{d}", campaign.due_date - datetime.timedelta(days=d))
        for d in campaign.reminder_days_before
    ] + [
        (f"after-{d}", campaign.due_date + datetime.timedelta(days=d))
        for d in campaign.reminder_days_after
    ]
    return sorted(steps, key=lambda s: s[1])


@dataclass
class ReminderRun:
    sent: list[tuple[KpiCampaign, str, int]] = field(
        default_factory=list
    )  # campaign, step, reports
    skipped: int = 0  # steps whose date passed while a later step was due (not sent twice)


@transaction.atomic
def send_due_reminders(*, today: datetime.date | None = None) -> ReminderRun:
    """Send each campaign's reminder step once, on or after its date, to the organisations that
    have not submitted yet. Idempotent: a step sent is recorded (unique per campaign and step),
    a second run the same day sends nothing. When several steps are due at once (the command did
    not run for a while), only the latest is sent and the earlier ones are recorded as passed."""
    today = today or timezone.localdate()
    now = timezone.now()
    run = ReminderRun()
    campaigns = KpiCampaign.objects.select_for_update().filter(
        status=CampaignStatus.LAUNCHED, launched_at__date__lte=today
    )
    done = {
        (campaign_id, step)
        for campaign_id, step in KpiReminder.objects.filter(
            campaign__status=CampaignStatus.LAUNCHED
        ).values_list("campaign_id", "step")
    }
    for campaign in campaigns:
        launched_on = timezone.localdate(campaign.launched_at)
        due = [
            (step, on)
            for step, on in reminder_steps(campaign)
            if on <= today and on > launched_on and (campaign.pk, step) not in done
        ]
        if not due:
            continue
        *passed, (step, _on) = due
        open_reports = campaign.reports.filter(status__in=OPEN_STATES).count()
        KpiReminder.objects.bulk_create(
            [
                KpiReminder(campaign=campaign, step=s, sent_at=now, report_count=0)
                for s, _d in passed
            ]
            + [KpiReminder(campaign=campaign, step=step, sent_at=now, report_count=open_reports)]
        )
        run.skipped += len(passed)
        if open_reports:
            record(
                actor=None,
                obj=campaign,
                action="remind_kpi_campaign",
                reason=_("%(n)d structures relancées.") % {"n": open_reports},
                at=now,
            )
            enqueue_on_commit("email_campaign", campaign.pk, step)
        run.sent.append((campaign, step, open_reports))
    return run
