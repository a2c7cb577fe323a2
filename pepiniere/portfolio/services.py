"""KPI follow-up workflows: the report lifecycle (one function per transition of DESIGN.md),
baselines and their corrections (campaigns and their reminders: services_campaigns). Each is
atomic, checks who may act, locks the row it changes, writes one audit row and queues its e-mails
after commit.

    KPI report:  due ──save──▶ draft ──submit──▶ submitted ──validate (officer)──▶ validated
                 submitted ──return (reason)──▶ draft"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.audit.services import record
from pepiniere.lib.money import AmountError
from pepiniere.portfolio import figures, hooks
from pepiniere.portfolio.models import (
    KpiCorrection,
    KpiReport,
    ReportSource,
    ReportStatus,
)
from pepiniere.portfolio.permissions import (
    can_correct_report,
    can_fill_report,
    can_review_report,
)

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


def enqueue_on_commit(task_name: str, *args: Any) -> None:
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
    enqueue_on_commit("email_report_due", baseline.pk)


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
    hooks.announce_figures_changed(report_ids=[report.pk])
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
    hooks.announce_figures_changed(report_ids=[report.pk])
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
    hooks.announce_figures_changed(report_ids=[report.pk])
    enqueue_on_commit("email_report_returned", report.pk)
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
    hooks.announce_figures_changed(report_ids=[report.pk])
    return corrections
