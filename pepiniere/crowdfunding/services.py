"""Campaign workflows: drafting, launching (the application to the match-funding call), recording
pledges (by hand or from the platform's export), ending and closing (the rule's top-up becomes an
award, or a refusal with the figures). One function per transition, atomic, audited.

Closing takes the row lock of the call's budget line before reading what remains of the pool, so
two campaigns closing at once are decided one after the other, each on what the other left; the
budget ledger's CHECK constraint refuses any overrun in the database anyway."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.applications import services as application_services
from pepiniere.applications.models import Status
from pepiniere.audit.services import record
from pepiniere.calls.models import Call
from pepiniere.crowdfunding import pledge_import as reader
from pepiniere.crowdfunding import selectors
from pepiniere.crowdfunding.models import (
    Campaign,
    CampaignStatus,
    MatchRule,
    Pledge,
    PledgeImport,
    PledgeImportStatus,
    PledgeSource,
    PledgeStatus,
)
from pepiniere.crowdfunding.permissions import (
    can_edit_campaign,
    can_manage_match_funding,
    can_record_pledges,
    can_run_campaigns,
)
from pepiniere.crowdfunding.workflow import check_transition
from pepiniere.engine import matchfunding
from pepiniere.grants import services as grant_services
from pepiniere.grants.models import BudgetLine, BudgetScope
from pepiniere.lib.dates import long_date, long_datetime
from pepiniere.lib.money import CENT, format_eur, from_cents
from pepiniere.lib.uploads import sanitise_filename
from pepiniere.organisations.models import Organisation


class CampaignError(Exception):
    """A refused action, with a message for the person who tried it."""

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


@dataclass(frozen=True)
class CampaignData:
    call: Call
    project_type: str
    title: str
    target: Decimal
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    platform_name: str
    platform_url: str
    investment_expenses: Decimal
    description: str = ""


def _locked(campaign: Campaign) -> Campaign:
    return (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("call", "call__programme", "organisation", "application")
        .get(pk=campaign.pk)
    )


def _check(data: CampaignData, *, organisation: Organisation, campaign: Campaign | None) -> None:
    errors: dict[str, list[str]] = {}
    # An organisation has one application per call: one campaign per association and call.
    other = (
        Campaign.objects.filter(organisation=organisation, call=data.call)
        .exclude(pk=campaign.pk if campaign else 0)
        .first()
    )
    if other is not None:
        errors["call"] = [
            _(
                "L'association a déjà une campagne sur cet appel d'abondement (« %(t)s ») : une "
                "campagne par association et par appel."
            )
            % {"t": other.title}
        ]
    if not data.title.strip():
        errors["title"] = [_("Indiquez le titre de la campagne.")]
    if data.target <= 0 or data.target != data.target.quantize(CENT):
        errors["target"] = [_("L'objectif est un montant positif, au centime près.")]
    if data.investment_expenses < 0:
        errors["investment_expenses"] = [_("Les dépenses d'investissement sont positives.")]
    if data.ends_at <= data.starts_at:
        errors["ends_at"] = [_("La fin de la collecte suit son début.")]
    if not data.platform_name.strip():
        errors["platform_name"] = [_("Indiquez la plateforme de financement participatif.")]
    if not MatchRule.objects.filter(call=data.call, project_type=data.project_type).exists():
        errors["project_type"] = [_("Aucune règle d'abondement pour ce type de projet.")]
    if errors:
        raise CampaignError(_("Corrigez les points signalés."), errors=errors)


@transaction.atomic
def create_campaign(*, organisation: Organisation, actor: Any, data: CampaignData) -> Campaign:
    verdict = can_run_campaigns(actor, organisation)
    if not verdict:
        raise CampaignError(verdict.reason)
    _check(data, organisation=organisation, campaign=None)
    campaign = Campaign.objects.create(
        organisation=organisation,
        call=data.call,
        project_type=data.project_type,
        title=data.title.strip()[:200],
        description=data.description.strip(),
        target=data.target,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        platform_name=data.platform_name.strip()[:100],
        platform_url=data.platform_url.strip(),
        investment_expenses=data.investment_expenses,
        created_by=actor,
    )
    record(actor=actor, obj=campaign, action="create_campaign", to_state=campaign.status)
    return campaign


@transaction.atomic
def edit_campaign(*, campaign: Campaign, actor: Any, data: CampaignData) -> Campaign:
    campaign = _locked(campaign)
    verdict = can_edit_campaign(actor, campaign)
    if not verdict:
        raise CampaignError(verdict.reason)
    _check(data, organisation=campaign.organisation, campaign=campaign)
    for name in (
        "call",
        "project_type",
        "target",
        "starts_at",
        "ends_at",
        "investment_expenses",
    ):
        setattr(campaign, name, getattr(data, name))
    campaign.title = data.title.strip()[:200]
    campaign.description = data.description.strip()
    campaign.platform_name = data.platform_name.strip()[:100]
    campaign.platform_url = data.platform_url.strip()
    campaign.save()
    record(actor=actor, obj=campaign, action="edit_campaign", public=False)
    return campaign


def rule_of(campaign: Campaign) -> MatchRule:
    try:
        return MatchRule.objects.get(call_id=campaign.call_id, project_type=campaign.project_type)
    except MatchRule.DoesNotExist:
        raise CampaignError(_("Aucune règle d'abondement pour ce type de projet.")) from None


def ceiling(rule: MatchRule, campaign: Campaign) -> Decimal:
    """The most the rule can give this campaign whatever it raises: the amount its application
    requests."""
    if rule.investment_only:
        return min(rule.cap, campaign.investment_expenses)
    return rule.cap


@transaction.atomic
def launch_campaign(
    *, campaign: Campaign, actor: Any, now: datetime.datetime | None = None
) -> Campaign:
    """draft → live: the campaign's application to the match-funding call is opened and
    submitted by the member (requesting the most the rule can give), like any application."""
    now = now or timezone.now()
    campaign = _locked(campaign)
    verdict = can_edit_campaign(actor, campaign)
    if not verdict:
        raise CampaignError(verdict.reason)
    transition = check_transition("launch_campaign", campaign.status)
    if campaign.ends_at <= now:
        raise CampaignError(
            _("La fin de la collecte est passée : la campagne ne peut plus être lancée.")
        )
    rule = rule_of(campaign)
    requested = ceiling(rule, campaign)
    if requested <= 0:
        raise CampaignError(
            _(
                "La règle n'abonde que les dépenses d'investissement : déclarez-les avant de lancer la campagne."
            )
        )
    try:
        application = application_services.start_application(
            call=campaign.call, organisation=campaign.organisation, actor=actor, now=now
        )
        if application.status != Status.DRAFT or hasattr(application, "campaign"):
            raise CampaignError(
                _(
                    "L'association a déjà un dossier sur cet appel d'abondement pour une autre campagne."
                )
            )
        application_services.save_draft(
            application=application,
            actor=actor,
            answers={
                "_core": {
                    "title": campaign.title,
                    "summary": _(
                        "Campagne de financement participatif sur %(platform)s : objectif %(target)s, "
                        "collecte du %(start)s au %(end)s."
                    )
                    % {
                        "platform": campaign.platform_name,
                        "target": format_eur(campaign.target),
                        "start": long_date(campaign.starts_at),
                        "end": long_date(campaign.ends_at),
                    },
                    "requested_amount": str(requested),
                    "project_budget": str(max(campaign.investment_expenses, campaign.target)),
                }
            },
        )
        application_services.submit_application(application=application, actor=actor, now=now)
        application.refresh_from_db()
    except application_services.ApplicationError as exc:
        problems = [c.message for c in exc.checks if not c.passed] if exc.checks else []
        raise CampaignError(" ".join([exc.message, *map(str, problems)])) from None
    from_state = campaign.status
    campaign.application = application
    campaign.status = CampaignStatus.LIVE
    campaign.save(update_fields=["application", "status"])
    record(
        actor=actor,
        obj=campaign,
        action=transition.name,
        from_state=from_state,
        to_state=campaign.status,
        at=now,
    )
    return campaign


def _counted_cents(campaign: Campaign) -> list[int]:
    return [
        round(amount * 100)
        for amount in campaign.pledges.filter(status=PledgeStatus.COUNTED).values_list(
            "amount", flat=True
        )
    ]


@transaction.atomic
def record_pledge(
    *,
    campaign: Campaign,
    actor: Any,
    amount: Decimal,
    pledged_at: datetime.datetime,
    reference: str,
    payer_name: str = "",
) -> Pledge:
    """A contribution entered by hand (a cheque, cash at an event, a platform that exports
    nothing)."""
    campaign = _locked(campaign)
    verdict = can_record_pledges(actor, campaign)
    if not verdict:
        raise CampaignError(verdict.reason)
    reference = reference.strip()[:100]
    if not reference:
        raise CampaignError(_("Indiquez une référence (numéro du reçu, du chèque…)."))
    if amount <= 0 or amount != amount.quantize(CENT):
        raise CampaignError(_("Le montant est positif, au centime près."))
    if not campaign.starts_at <= pledged_at <= campaign.ends_at:
        raise CampaignError(_("La contribution doit dater de la période de collecte."))
    try:
        with transaction.atomic():
            pledge = Pledge.objects.create(
                campaign=campaign,
                amount=amount,
                pledged_at=pledged_at,
                reference=reference,
                payer_name=payer_name.strip()[:200],
                source=PledgeSource.MANUAL,
                recorded_by=actor,
                recorded_at=timezone.now(),
            )
    except IntegrityError:
        raise CampaignError(
            _("Une contribution porte déjà la référence « %(r)s ».") % {"r": reference}
        ) from None
    record(
        actor=actor,
        obj=campaign,
        action="record_pledge",
        reason=f"{reference} {format_eur(amount)}",
        public=False,
    )
    return pledge


def _known(campaign: Campaign) -> dict[str, Decimal]:
    return dict(campaign.pledges.values_list("reference", "amount"))


def read_import(pledge_import: PledgeImport) -> reader.Report:
    campaign = pledge_import.campaign
    with pledge_import.file.open("rb") as handle:
        data = handle.read()
    return reader.read_pledges(
        data, known=_known(campaign), starts_at=campaign.starts_at, ends_at=campaign.ends_at
    )


@transaction.atomic
def preview_import(
    *, campaign: Campaign, actor: Any, uploaded: UploadedFile
) -> tuple[PledgeImport, reader.Report]:
    """Keep the uploaded export privately and read it: the member sees the line-by-line report
    before confirming. A file that cannot be read at all is refused (nothing kept)."""
    campaign = _locked(campaign)
    verdict = can_record_pledges(actor, campaign)
    if not verdict:
        raise CampaignError(verdict.reason)
    if uploaded.size and uploaded.size > reader.MAX_BYTES:
        raise CampaignError(_("Le fichier dépasse 5 Mo."))
    data = uploaded.read()
    try:
        report = reader.read_pledges(
            data, known=_known(campaign), starts_at=campaign.starts_at, ends_at=campaign.ends_at
        )
    except reader.FileRefused as exc:
        raise CampaignError(_("Fichier refusé : %(m)s") % {"m": exc.message}) from None
    totals = report.totals
    entry = PledgeImport(
        campaign=campaign,
        token=secrets.token_hex(16),
        original_name=sanitise_filename(uploaded.name or "", default="export.csv"),
        sha256=hashlib.sha256(data).hexdigest(),
        lines=len(report.lines),
        imported=totals[reader.IMPORTED],
        excluded=totals[reader.EXCLUDED],
        rejected=totals[reader.REJECTED],
        duplicates=totals[reader.DUPLICATE],
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    entry.file.save("export.csv", ContentFile(data), save=False)
    entry.save()
    return entry, report


@transaction.atomic
def confirm_import(*, pledge_import: PledgeImport, actor: Any) -> reader.Report:
    """Import the previewed file, all or nothing: read again under the campaign's lock (a pledge
    entered meanwhile becomes a duplicate), refused whole while one line is rejected."""
    entry = PledgeImport.objects.select_for_update().get(pk=pledge_import.pk)
    campaign = _locked(entry.campaign)
    verdict = can_record_pledges(actor, campaign)
    if not verdict:
        raise CampaignError(verdict.reason)
    if entry.status != PledgeImportStatus.PREVIEWED:
        raise CampaignError(_("Ce fichier a déjà été traité."))
    entry.campaign = campaign
    try:
        report = read_import(entry)
    except reader.FileRefused as exc:
        raise CampaignError(_("Fichier refusé : %(m)s") % {"m": exc.message}) from None
    if not report.importable:
        raise CampaignError(
            _(
                "Fichier refusé en entier : %(n)s ligne(s) illisible(s). Corrigez-les dans l'export "
                "et déposez-le à nouveau ; rien n'a été importé."
            )
            % {"n": report.count(reader.REJECTED)}
        )
    now = timezone.now()
    new = [line for line in report.lines if line.outcome == reader.IMPORTED]
    Pledge.objects.bulk_create(
        [
            Pledge(
                campaign=campaign,
                amount=line.amount or Decimal("0"),
                pledged_at=line.pledged_at or now,
                payer_name=line.payer_name,
                reference=line.reference,
                status=PledgeStatus.COUNTED,
                source=PledgeSource.IMPORTED,
                recorded_by=actor,
                recorded_at=now,
            )
            for line in new
        ]
    )
    # A payment imported as counted that the platform now reports refunded or failed leaves
    # the total.
    withdrawn = {
        line.reference: line.status
        for line in report.lines
        if line.outcome == reader.EXCLUDED and line.reference and line.status
    }
    for status in (PledgeStatus.REFUNDED, PledgeStatus.FAILED):
        references = [r for r, s in withdrawn.items() if s == status]
        if references:
            campaign.pledges.filter(reference__in=references, status=PledgeStatus.COUNTED).update(
                status=status
            )
    totals = report.totals
    entry.status = PledgeImportStatus.CONFIRMED
    entry.confirmed_at = now
    entry.imported = totals[reader.IMPORTED]
    entry.excluded = totals[reader.EXCLUDED]
    entry.rejected = totals[reader.REJECTED]
    entry.duplicates = totals[reader.DUPLICATE]
    entry.lines = len(report.lines)
    entry.save()
    record(
        actor=actor,
        obj=campaign,
        action="import_pledges",
        reason=_(
            "%(file)s : %(lines)s lignes, %(imported)s importées (%(amount)s), %(excluded)s exclues, "
            "%(duplicates)s doublons."
        )
        % {
            "file": entry.original_name,
            "lines": entry.lines,
            "imported": entry.imported,
            "amount": format_eur(report.imported_amount),
            "excluded": entry.excluded,
            "duplicates": entry.duplicates,
        },
        public=False,
    )
    return report


@transaction.atomic
def end_campaign(
    *, campaign: Campaign, actor: Any = None, now: datetime.datetime | None = None
) -> Campaign:
    """live → ended, once the end date has passed (the scheduled task, or an officer closing)."""
    now = now or timezone.now()
    campaign = _locked(campaign)
    transition = check_transition("end_campaign", campaign.status)
    if now < campaign.ends_at:
        raise CampaignError(
            _("La collecte n'est pas terminée : elle finit le %(d)s.")
            % {"d": long_datetime(campaign.ends_at)}
        )
    campaign.status = CampaignStatus.ENDED
    campaign.save(update_fields=["status"])
    record(
        actor=actor,
        obj=campaign,
        action=transition.name,
        from_state=CampaignStatus.LIVE,
        to_state=campaign.status,
        at=now,
    )
    return campaign


def _percent(result: matchfunding.TopUp) -> str:
    return f"{result.percent} %"


def explain(result: matchfunding.TopUp, rule: MatchRule) -> str:
    """The rule's decision in a sentence, with the figures."""
    raised = format_eur(from_cents(result.raised_cents))
    target = format_eur(from_cents(result.target_cents))
    if result.reason == matchfunding.TARGET_MISSED:
        return _("Objectif non atteint : %(raised)s collectés sur %(target)s (%(percent)s).") % {
            "raised": raised,
            "target": target,
            "percent": _percent(result),
        }
    if result.reason == matchfunding.NO_INVESTMENT:
        return _(
            "Aucune dépense d'investissement déclarée : la règle n'abonde que l'investissement."
        )
    if result.reason == matchfunding.POOL_EXHAUSTED:
        return _("Enveloppe épuisée : il restait 0,00 € pour un abondement dû de %(due)s.") % {
            "due": format_eur(from_cents(result.due_cents))
        }
    bound = {
        matchfunding.RATIO: _("%(ratio)s collecté") % {"ratio": rule.ratio_label},
        matchfunding.CAP_BINDING: _("plafond par projet de %(cap)s atteint")
        % {"cap": format_eur(rule.cap)},
        matchfunding.INVESTMENT_BINDING: _("limité aux dépenses d'investissement déclarées"),
        matchfunding.POOL_BINDING: _("limite de l'enveloppe : il restait %(left)s pour %(due)s dus")
        % {
            "left": format_eur(from_cents(result.cents)),
            "due": format_eur(from_cents(result.due_cents)),
        },
    }[result.reason]
    return _(
        "Objectif atteint : %(raised)s collectés sur %(target)s (%(percent)s) ; abondement de "
        "%(amount)s (%(bound)s)."
    ) % {
        "raised": raised,
        "target": target,
        "percent": _percent(result),
        "amount": format_eur(from_cents(result.cents)),
        "bound": bound,
    }


def _lock_pool(call: Call) -> int:
    """Lock the call's budget line (every close of the call queues here) and return what the
    pool still holds, in cents: the least that remains on the lines an award touches."""
    from pepiniere.grants import budget

    lines = budget.ensure_lines(call)
    call_line = next(line for spec, line in lines if spec.scope == BudgetScope.CALL)
    BudgetLine.objects.select_for_update().filter(pk=call_line.pk).first()
    return selectors.pool_remaining_cents(call)


@transaction.atomic
def close_campaign(
    *,
    campaign: Campaign,
    actor: Any,
    now: datetime.datetime | None = None,
    automatic: bool = False,
) -> Campaign:
    """ended → topped_up | refused. The rule's top-up (pepiniere.engine.matchfunding) on the
    counted pledges and what the pool still holds: positive, the application is selected by the
    rule and awarded that amount (the agreement and payments follow like any award); zero, it is
    rejected by the rule with the figures. A live campaign past its end is ended first."""
    now = now or timezone.now()
    campaign = _locked(campaign)
    verdict = can_manage_match_funding(actor, campaign.call)
    if not verdict:
        raise CampaignError(verdict.reason)
    if campaign.status == CampaignStatus.LIVE:
        campaign = end_campaign(campaign=campaign, actor=actor, now=now)
    transition = check_transition("close_campaign", campaign.status)
    application = campaign.application
    if application is None:
        raise CampaignError(_("Cette campagne n'a pas de dossier sur l'appel d'abondement."))
    rule = rule_of(campaign)
    pool = _lock_pool(campaign.call)
    result = matchfunding.compute_top_up(
        target_cents=round(campaign.target * 100),
        pledges_cents=_counted_cents(campaign),
        ratio=rule.ratio,
        cap_cents=round(rule.cap * 100),
        pool_remaining_cents=pool,
        investment_cents=round(campaign.investment_expenses * 100)
        if rule.investment_only
        else None,
        threshold_percent=rule.threshold_percent,
    )
    reason = explain(result, rule)
    if automatic:
        reason = _("Clôture automatique. %(r)s") % {"r": reason}
    application.refresh_from_db()
    if application.status != Status.SUBMITTED:
        raise CampaignError(
            _("Le dossier de la campagne est « %(s)s » : la règle ne peut plus s'appliquer.")
            % {"s": application.get_status_display()}
        )
    try:
        application_services.decide_by_rule(
            application=application,
            actor=actor,
            select=not result.refused,
            reason=reason,
            now=now,
        )
        if not result.refused:
            grant_services.award_grant(
                application=application,
                actor=actor,
                amount=from_cents(result.cents),
                decision_reference=rule.decision_reference,
                decision_date=timezone.localdate(now),
                now=now,
            )
    except application_services.ApplicationError as exc:
        raise CampaignError(exc.message) from None
    except grant_services.AwardError as exc:
        raise CampaignError(exc.message) from None
    from_state = campaign.status
    campaign.status = CampaignStatus.REFUSED if result.refused else CampaignStatus.TOPPED_UP
    campaign.top_up = None if result.refused else from_cents(result.cents)
    campaign.outcome_code = result.reason
    campaign.outcome = reason
    campaign.closed_at = now
    campaign.save(update_fields=["status", "top_up", "outcome_code", "outcome", "closed_at"])
    record(
        actor=actor,
        obj=campaign,
        action=transition.name,
        from_state=from_state,
        to_state=campaign.status,
        reason=reason,
        at=now,
    )
    return campaign


def close_ended_campaigns(*, now: datetime.datetime | None = None) -> list[tuple[int, str]]:
    """Close every live or ended campaign whose end has passed, earliest end first then by id
    (the order the pool is shared in), each in its own transaction, in the name of its rule's
    officer. Returns (campaign id, outcome or error) per campaign."""
    now = now or timezone.now()
    done = []
    due = selectors.campaigns_to_close(now=now)
    for campaign in due:
        try:
            rule = rule_of(campaign)
            closed = close_campaign(campaign=campaign, actor=rule.officer, now=now, automatic=True)
            done.append((closed.pk, closed.status))
        except CampaignError as exc:
            done.append((campaign.pk, exc.message))
    return done
