"""KPI follow-up workflows: campaigns, the report lifecycle (one function per transition of
DESIGN.md), baselines and their corrections, reminders. Each is atomic, checks who may act, locks
the row it changes, writes one audit row and queues its e-mails after commit.

    KPI report:  due ──save──▶ draft ──submit──▶ submitted ──validate (officer)──▶ validated
                 submitted ──return (reason)──▶ draft"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.audit.services import record
from pepiniere.calls.models import Call
from pepiniere.calls.permissions import funder_ids_of_call
from pepiniere.grants.models import Award
from pepiniere.lib.money import AmountError
from pepiniere.organisations.models import Organisation
from pepiniere.portfolio import figures
from pepiniere.portfolio.models import (
    CampaignStatus,
    KpiCampaign,
    KpiCorrection,
    KpiReminder,
    KpiReport,
    PeriodKind,
    QuestionKind,
    ReportSource,
    ReportStatus,
)
from pepiniere.portfolio.permissions import (
    can_correct_report,
    can_fill_report,
    can_manage_campaigns,
    can_review_report,
)
from pepiniere.programmes.models import Funder, Programme

# The baseline is due this many days after the award decision.
BASELINE_DUE_DAYS = 60
OPEN_STATES = (ReportStatus.DUE, ReportStatus.DRAFT)


class KpiError(Exception):
    """A refused KPI action; ``message`` in French, ``errors`` per field, ``warnings`` to confirm."""

    def __init__(
        self,
        message: str,
        *,
        errors: dict[str, str] | None = None,
        warnings: list[figures.KpiWarning] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.warnings = warnings or []


def _on_commit(task_name: str, *args: Any) -> None:
    def enqueue() -> None:
        from pepiniere.portfolio import tasks

        getattr(tasks, task_name).enqueue(*args)

    transaction.on_commit(enqueue)


def _locked(report: KpiReport) -> KpiReport:
    return (
        KpiReport.objects.select_for_update(of=("self",))
        .select_related("organisation", "campaign")
        .get(pk=report.pk)
    )


# --- Baseline ---------------------------------------------------------------------------------


def ask_baseline_for_award(*, award: Any, actor: Any, now: datetime.datetime | None = None) -> None:
    """Registered on grants.hooks.award_made: the award asks the organisation for its figures of
    the year before the award (the baseline), unless it already has that baseline (supported twice
    the same year)."""
    now = now or timezone.now()
    organisation_id = award.application.organisation_id
    year = award.decision_date.year - 1
    baseline, created = KpiReport.objects.get_or_create(
        organisation_id=organisation_id,
        period_year=year,
        period_semester=None,
        is_baseline=True,
        defaults={
            "award": award,
            "status": ReportStatus.DUE,
            "source": ReportSource.BASELINE,
            "due_date": award.decision_date + datetime.timedelta(days=BASELINE_DUE_DAYS),
            "created_at": now,
            "updated_at": now,
        },
    )
    if not created:
        return
    record(actor=actor, obj=baseline, action="ask_kpi_baseline", to_state=ReportStatus.DUE, at=now)
    _on_commit("email_report_due", baseline.pk)


# --- Campaigns --------------------------------------------------------------------------------


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
    ids = list(
        Organisation.objects.filter(pk__in=supported)
        .exclude(pk__in=existing)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    KpiReport.objects.bulk_create(
        [
            KpiReport(
                organisation_id=organisation_id,
                campaign=campaign,
                period_year=period_year,
                period_semester=period_semester,
                status=ReportStatus.DUE,
                source=ReportSource.CAMPAIGN,
                due_date=due_date,
                created_at=now,
                updated_at=now,
            )
            for organisation_id in ids
        ],
        batch_size=2000,
    )
    record(
        actor=actor,
        obj=campaign,
        action="launch_kpi_campaign",
        to_state=CampaignStatus.LAUNCHED,
        reason=_("%(n)d structures sollicitées, %(m)d avaient déjà un rapport pour la période.")
        % {"n": len(ids), "m": already},
        at=now,
    )
    _on_commit("email_campaign", campaign.pk, "launch")
    return LaunchResult(campaign, len(ids), already)


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
            _on_commit("email_campaign", campaign.pk, step)
        run.sent.append((campaign, step, open_reports))
    return run


# --- The report lifecycle ---------------------------------------------------------------------


def previous_validated(report: KpiReport) -> KpiReport | None:
    """The organisation's latest validated report of an earlier year (baseline included)."""
    return (
        KpiReport.objects.filter(
            organisation_id=report.organisation_id,
            status=ReportStatus.VALIDATED,
            period_year__lt=report.period_year,
        )
        .order_by("-period_year", "is_baseline", "-period_semester")
        .first()
    )


def baseline_of(organisation_id: int) -> KpiReport | None:
    """The baseline the jobs are counted against: the one of the first award (earliest year)."""
    return (
        KpiReport.objects.filter(
            organisation_id=organisation_id,
            is_baseline=True,
            status__in=(ReportStatus.SUBMITTED, ReportStatus.VALIDATED),
        )
        .order_by("period_year")
        .first()
    )


def typed_values(report: KpiReport) -> dict[str, str]:
    """What the form shows: the typed draft, else the stored figures."""
    if report.draft_values:
        return dict(report.draft_values)
    typed = {name: figures.shown(getattr(report, name)) for name in figures.BY_NAME}
    for key, value in (report.extra_answers or {}).items():
        if value is True:
            typed[f"extra-{key}"] = "oui"
        elif value is False:
            typed[f"extra-{key}"] = "non"
        elif value is not None:
            typed[f"extra-{key}"] = str(value).replace(".", ",")
    return typed


def questions_of(report: KpiReport) -> list[dict[str, Any]]:
    return list(report.campaign.extra_questions) if report.campaign is not None else []


def _store_typed(
    report: KpiReport, actor: Any, typed: dict[str, str], now: datetime.datetime
) -> None:
    allowed = set(figures.BY_NAME) | {f"extra-{q['key']}" for q in questions_of(report)}
    merged = dict(report.draft_values)
    merged.update({k: str(v)[:2000] for k, v in typed.items() if k in allowed})
    report.draft_values = merged
    report.draft_revision += 1
    report.updated_at = now
    first = report.status == ReportStatus.DUE
    if first:
        report.status = ReportStatus.DRAFT
    report.save(update_fields=["draft_values", "draft_revision", "updated_at", "status"])
    if first:
        record(
            actor=actor,
            obj=report,
            action="save_kpi_report",
            from_state=ReportStatus.DUE,
            to_state=ReportStatus.DRAFT,
            at=now,
        )


@transaction.atomic
def save_report_draft(
    *, report: KpiReport, actor: Any, typed: dict[str, str], now: datetime.datetime | None = None
) -> KpiReport:
    """Store what the organisation typed, as typed: never validates, never refuses a save while
    the report is open (nothing typed is lost). due ──save──▶ draft."""
    now = now or timezone.now()
    report = _locked(report)
    verdict = can_fill_report(actor, report)
    if not verdict:
        raise KpiError(verdict.reason)
    _store_typed(report, actor, typed, now)
    return report


def derive_jobs(report: KpiReport, values: dict[str, Any]) -> None:
    """Created and maintained FTE left blank are counted against the baseline (never mixed)."""
    if report.is_baseline or values.get("fte") is None:
        return
    baseline = baseline_of(report.organisation_id)
    if baseline is None or baseline.fte is None or baseline.period_year >= report.period_year:
        return
    if values.get("fte_created") is None:
        values["fte_created"] = max(Decimal("0"), values["fte"] - baseline.fte)
    if values.get("fte_maintained") is None:
        values["fte_maintained"] = min(values["fte"], baseline.fte)


def check_report(report: KpiReport, typed: dict[str, str]) -> tuple[figures.Parsed, list[Any]]:
    parsed = figures.parse_values(report, typed, questions=questions_of(report), complete=True)
    warnings = (
        figures.consistency_warnings(parsed.values, previous=previous_validated(report))
        if parsed.ok
        else []
    )
    return parsed, warnings


@transaction.atomic
def submit_report(
    *,
    report: KpiReport,
    actor: Any,
    typed: dict[str, str] | None = None,
    confirmed: set[str] | frozenset[str] = frozenset(),
    now: datetime.datetime | None = None,
) -> KpiReport:
    """draft ──submit──▶ submitted: every required figure read, every consistency warning
    confirmed. Idempotent: submitting a report already submitted gives it back unchanged.
    ``typed`` is stored with the submission; a refusal rolls it back, so a page saves the
    draft first (save_report_draft) and submits it after."""
    now = now or timezone.now()
    report = _locked(report)
    if report.status == ReportStatus.SUBMITTED and actor.pk == report.submitted_by_id:
        return report
    verdict = can_fill_report(actor, report)
    if not verdict:
        raise KpiError(verdict.reason)
    if typed is not None:
        _store_typed(report, actor, typed, now)
    parsed, warnings = check_report(report, typed_values(report))
    if not parsed.ok:
        raise KpiError(
            _("Certains chiffres sont à compléter ou à corriger avant la transmission."),
            errors=parsed.errors,
        )
    unconfirmed = [w for w in warnings if w.code not in confirmed]
    if unconfirmed:
        raise KpiError(
            _("Vérifiez ces chiffres, puis confirmez-les pour transmettre le rapport."),
            warnings=unconfirmed,
        )
    values = dict(parsed.values)
    derive_jobs(report, values)
    for name in figures.BY_NAME:
        setattr(report, name, values.get(name))
    report.extra_answers = parsed.extra
    report.warnings_confirmed = sorted(w.code for w in warnings)
    previous = report.status
    report.status = ReportStatus.SUBMITTED
    report.submitted_by = actor
    report.submitted_at = now
    report.updated_at = now
    report.draft_values = {}
    report.draft_revision += 1
    report.returned_reason = ""
    report.save()
    record(
        actor=actor,
        obj=report,
        action="submit_kpi_report",
        from_state=previous,
        to_state=ReportStatus.SUBMITTED,
        reason="; ".join(w.message for w in warnings),
        at=now,
    )
    return report


@transaction.atomic
def validate_report(
    *, report: KpiReport, actor: Any, now: datetime.datetime | None = None
) -> KpiReport:
    """submitted ──validate──▶ validated: the figures count in the indicators."""
    now = now or timezone.now()
    report = _locked(report)
    if report.status == ReportStatus.VALIDATED:
        return report
    verdict = can_review_report(actor, report)
    if not verdict:
        raise KpiError(verdict.reason)
    report.status = ReportStatus.VALIDATED
    report.validated_by = actor
    report.validated_at = now
    report.updated_at = now
    report.save(update_fields=["status", "validated_by", "validated_at", "updated_at"])
    record(
        actor=actor,
        obj=report,
        action="validate_kpi_report",
        from_state=ReportStatus.SUBMITTED,
        to_state=ReportStatus.VALIDATED,
        at=now,
    )
    return report


@transaction.atomic
def return_report(
    *, report: KpiReport, actor: Any, reason: str, now: datetime.datetime | None = None
) -> KpiReport:
    """submitted ──return (reason)──▶ draft: the organisation corrects and submits again; the
    figures it sent are the draft it starts from."""
    now = now or timezone.now()
    reason = reason.strip()
    report = _locked(report)
    verdict = can_review_report(actor, report)
    if not verdict:
        raise KpiError(verdict.reason)
    if not reason:
        raise KpiError(_("Indiquez ce qu'il faut corriger : la structure le lira."))
    report.draft_values = typed_values(report)
    report.status = ReportStatus.DRAFT
    report.returned_reason = reason
    report.draft_revision += 1
    report.updated_at = now
    report.save(
        update_fields=["status", "returned_reason", "draft_values", "draft_revision", "updated_at"]
    )
    record(
        actor=actor,
        obj=report,
        action="return_kpi_report",
        from_state=ReportStatus.SUBMITTED,
        to_state=ReportStatus.DRAFT,
        reason=reason,
        at=now,
    )
    _on_commit("email_report_returned", report.pk)
    return report


@transaction.atomic
def correct_report(
    *,
    report: KpiReport,
    actor: Any,
    typed: dict[str, str],
    reason: str,
    now: datetime.datetime | None = None,
) -> list[KpiCorrection]:
    """An officer corrects figures of a transmitted or validated report (a baseline typically),
    with a reason: each changed figure keeps its old value in a KpiCorrection row."""
    now = now or timezone.now()
    reason = reason.strip()
    report = _locked(report)
    verdict = can_correct_report(actor, report)
    if not verdict:
        raise KpiError(verdict.reason)
    if report.status not in (ReportStatus.SUBMITTED, ReportStatus.VALIDATED):
        raise KpiError(
            _("Seul un rapport transmis ou validé se corrige ; celui-ci est « %(s)s ».")
            % {"s": report.get_status_display()}
        )
    if not reason:
        raise KpiError(_("Indiquez le motif de la correction (il est conservé)."))
    errors: dict[str, str] = {}
    corrections = []
    for figure in figures.figures_for(report):
        if figure.name not in typed:
            continue
        try:
            value = figures.parse_figure(figure, typed[figure.name])
        except AmountError as error:
            errors[figure.name] = error.message
            continue
        if figure.required and value is None:
            errors[figure.name] = _("Indiquez ce chiffre (0 s'il est nul).")
            continue
        old = getattr(report, figure.name)
        if old == value:
            continue
        corrections.append(
            KpiCorrection(
                report=report,
                field=figure.name,
                old_value=figures.shown(old),
                new_value=figures.shown(value),
                reason=reason,
                corrected_by=actor,
                corrected_at=now,
            )
        )
        setattr(report, figure.name, value)
    if errors:
        raise KpiError(_("Certains chiffres ne se lisent pas."), errors=errors)
    if not corrections:
        raise KpiError(_("Aucun chiffre n'a changé : rien à corriger."))
    KpiCorrection.objects.bulk_create(corrections)
    report.source = ReportSource.CORRECTION
    report.updated_at = now
    report.save()
    record(
        actor=actor,
        obj=report,
        action="correct_kpi_report",
        reason=_("%(fields)s : %(reason)s")
        % {
            "fields": ", ".join(
                f"{figures.BY_NAME[c.field].label} {c.old_value or '—'} → {c.new_value or '—'}"
                for c in corrections
            ),
            "reason": reason,
        },
        at=now,
    )
    return corrections
