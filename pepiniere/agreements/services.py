"""Agreement workflows (DESIGN.md "Lifecycles"): prepare, edit the draft, send, amend,
terminate, close. Each is atomic, locks the agreement row, writes one audit row and sends its
e-mails on commit. The two signatures are in `signature_services`, what a call sets for its
agreements (template, default schedule) in `call_services`."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.agreements import hooks, notifications, rendering, templating
from pepiniere.agreements.models import (
    Agreement,
    AgreementStatus,
    AgreementVersion,
    CallScheduleStep,
    ScheduleStep,
)
from pepiniere.agreements.permissions import can_manage_agreements
from pepiniere.agreements.schedule import StepSpec, call_schedule, check_steps
from pepiniere.applications import services as application_services
from pepiniere.applications.models import Status
from pepiniere.audit.services import record
from pepiniere.grants import services as grant_services
from pepiniere.grants.models import Award
from pepiniere.lib.money import CENT, format_eur
from pepiniere.lib.permissions import Verdict


class AgreementError(Exception):
    """A refused action, with a message for the person who tried it (and, for a form, per field)."""

    def __init__(self, message: str, *, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


def lock_agreement(agreement: Agreement) -> Agreement:
    """The agreement row, locked for the transaction, with what the workflows read of it."""
    return (
        Agreement.objects.select_for_update(of=("self",))
        .select_related(
            "award__application__call__funder",
            "award__application__call__programme",
            "award__application__organisation",
        )
        .get(pk=agreement.pk)
    )


def latest_version(agreement: Agreement) -> AgreementVersion:
    """The version being drafted, sent or signed: the highest number."""
    version = agreement.versions.order_by("-number").first()
    assert version is not None  # an agreement is created with its first version
    return version


def check_allowed(verdict: Verdict) -> None:
    """In a service: refuse with the verdict's reason when it does not allow."""
    if not verdict:
        raise AgreementError(verdict.reason)


def _managed(agreement: Agreement, actor: Any) -> Agreement:
    """The agreement locked, once `actor` is checked to manage its call's agreements."""
    agreement = lock_agreement(agreement)
    check_allowed(can_manage_agreements(actor, agreement.award.application.call))
    return agreement


def move(
    agreement: Agreement,
    status: str,
    *,
    actor: Any,
    action: str,
    at: datetime.datetime | None,
    reason: str = "",
    fields: tuple[str, ...] = (),
) -> None:
    """The agreement's new status saved (with the other `fields` the caller set) and its audit
    row, from the status it had."""
    before = agreement.status
    agreement.status = status
    agreement.save(update_fields=["status", *fields])
    record(
        actor=actor,
        obj=agreement,
        action=action,
        from_state=before,
        to_state=agreement.status,
        reason=reason,
        at=at,
    )


def reference_for(award: Award) -> str:
    application = award.application
    call = application.call
    year = timezone.localtime(call.opens_at).year
    return f"CONV-{year}-{call.code.upper()}-{application.number or application.pk:03d}"


def _default_terms(award: Award) -> dict[str, Any]:
    """Aid rate and eligible budget from the project budget the applicant declared (the aid
    cannot exceed it), the project period from the decision date over two years."""
    budget = award.application.project_budget
    if budget is None or budget < award.amount:
        budget = award.amount
    rate = (award.amount * 100 / budget).quantize(CENT, rounding=ROUND_HALF_UP)
    start = award.decision_date
    try:
        end = start.replace(year=start.year + 2) - datetime.timedelta(days=1)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + 2, day=28) - datetime.timedelta(days=1)
    return {"aid_rate": rate, "eligible_budget": budget, "start_date": start, "end_date": end}


def replace_steps[S: (ScheduleStep, CallScheduleStep)](
    model: type[S], steps: list[StepSpec], **owner: Any
) -> list[S]:
    """The schedule of `owner` (a version's, or a call's default one) replaced by `steps`, in
    their order."""
    model._default_manager.filter(**owner).delete()
    return model._default_manager.bulk_create(
        [
            model(
                position=position,
                percent=step.percent,
                trigger=step.trigger,
                label=step.label[:200],
                **owner,
            )
            for position, step in enumerate(steps, start=1)
        ]
    )


def _check_terms(
    *,
    amount: Decimal,
    aid_rate: Decimal,
    eligible_budget: Decimal,
    start_date: datetime.date,
    end_date: datetime.date,
) -> None:
    errors: dict[str, str] = {}
    if amount <= 0 or amount != amount.quantize(CENT):
        errors["amount"] = _("Le montant de l'aide est un montant positif, au centime près.")
    if not (Decimal("0") < aid_rate <= Decimal("100")) or aid_rate != aid_rate.quantize(CENT):
        errors["aid_rate"] = _(
            "Le taux d'aide est compris entre 0 et 100 %, deux décimales au plus."
        )
    if eligible_budget < amount:
        errors["eligible_budget"] = _(
            "Le budget des dépenses éligibles (%(budget)s) ne peut pas être inférieur à l'aide "
            "(%(amount)s)."
        ) % {"budget": format_eur(eligible_budget), "amount": format_eur(amount)}
    elif not errors and amount > (eligible_budget * aid_rate / 100).quantize(
        CENT, rounding=ROUND_HALF_UP
    ):
        errors["aid_rate"] = _(
            "%(rate)s %% de %(budget)s font %(max)s : l'aide de %(amount)s dépasse ce taux."
        ) % {
            "rate": aid_rate,
            "budget": format_eur(eligible_budget),
            "max": format_eur((eligible_budget * aid_rate / 100).quantize(CENT)),
            "amount": format_eur(amount),
        }
    if end_date < start_date:
        errors["end_date"] = _("La fin du projet ne peut pas précéder son début.")
    if errors:
        raise AgreementError(_("Corrigez les champs signalés."), errors=errors)


@transaction.atomic
def prepare_agreement(
    *, award: Award, actor: Any, now: datetime.datetime | None = None
) -> Agreement:
    """The draft agreement of an award, with its first version (the award's amount, the call's
    schedule). Preparing again returns the one already there."""
    now = now or timezone.now()
    award = Award.objects.select_related(
        "application__call__funder", "application__organisation"
    ).get(pk=award.pk)
    application = award.application
    check_allowed(can_manage_agreements(actor, application.call))
    # The application row is the lock under which an award gets at most one agreement.
    application = application_services._locked(application)
    existing = Agreement.objects.filter(award=award).first()
    if existing is not None:
        return existing
    if application.status != Status.AWARDED:
        raise AgreementError(
            _("Une convention se prépare pour une aide attribuée ; ce dossier est « %(s)s ».")
            % {"s": application.get_status_display()}
        )
    agreement = Agreement.objects.create(
        award=award, reference=reference_for(award), created_by=actor, created_at=now
    )
    version = AgreementVersion.objects.create(
        agreement=agreement,
        number=1,
        amount=award.amount,
        created_by=actor,
        created_at=now,
        **_default_terms(award),
    )
    replace_steps(ScheduleStep, call_schedule(application.call), version=version)
    record(
        actor=actor, obj=agreement, action="prepare_agreement", to_state=agreement.status, at=now
    )
    return agreement


@transaction.atomic
def update_draft(
    *,
    agreement: Agreement,
    actor: Any,
    aid_rate: Decimal,
    eligible_budget: Decimal,
    start_date: datetime.date,
    end_date: datetime.date,
    steps: list[StepSpec],
    amount: Decimal | None = None,
    purpose: str | None = None,
    now: datetime.datetime | None = None,
) -> AgreementVersion:
    """Edit the terms of the draft version (an amendment's amount and purpose too)."""
    agreement = _managed(agreement, actor)
    if agreement.status != AgreementStatus.DRAFT:
        raise AgreementError(_("Seul un brouillon se modifie ; envoyé, il se signe ou se résilie."))
    version = latest_version(agreement)
    if amount is None or not version.is_amendment:
        amount = version.amount
    _check_terms(
        amount=amount,
        aid_rate=aid_rate,
        eligible_budget=eligible_budget,
        start_date=start_date,
        end_date=end_date,
    )
    steps = check_steps(steps)
    if version.is_amendment:
        if purpose is not None and not purpose.strip():
            raise AgreementError(
                _("Indiquez l'objet de l'avenant."), errors={"purpose": _("Obligatoire.")}
            )
        if amount != agreement.award.amount:
            _precheck_amount(agreement.award, amount, actor, now)
        version.purpose = (purpose if purpose is not None else version.purpose).strip()
    version.amount = amount
    version.aid_rate = aid_rate
    version.eligible_budget = eligible_budget
    version.start_date = start_date
    version.end_date = end_date
    version.save()
    replace_steps(ScheduleStep, steps, version=version)
    record(actor=actor, obj=agreement, action="update_agreement", reason=version.label, at=now)
    return version


def _precheck_amount(
    award: Award, amount: Decimal, actor: Any, now: datetime.datetime | None
) -> None:
    try:
        grant_services.check_award_amount(award=award, amount=amount, actor=actor, now=now)
    except grant_services.AwardError as error:
        raise AgreementError(error.message, errors={"amount": error.message}) from None


@transaction.atomic
def send_agreement(
    *, agreement: Agreement, actor: Any, now: datetime.datetime | None = None
) -> AgreementVersion:
    """Freeze the draft version's text and PDF (the SHA-256 the signatures will name) and send it
    to the beneficiary for signature."""
    now = now or timezone.now()
    agreement = _managed(agreement, actor)
    if agreement.status != AgreementStatus.DRAFT:
        raise AgreementError(
            _("Cette convention a déjà été envoyée (elle est « %(s)s »).")
            % {"s": agreement.get_status_display()}
        )
    version = latest_version(agreement)
    check_steps([StepSpec(s.percent, s.trigger, s.label) for s in version.schedule.all()])
    text, _address = rendering.template_of(agreement.award.application.call)
    try:
        templating.check_template(text)
    except templating.TemplateRefused as refused:
        raise AgreementError(
            _("Le modèle de convention de l'appel est à corriger : %(m)s") % {"m": refused.message}
        ) from None
    version.body_html = rendering.body_for(version)
    pdf = rendering.render_pdf(version, version.body_html)
    version.sha256 = rendering.sha256(pdf)
    version.pdf.save(f"{agreement.reference}-v{version.number}.pdf", ContentFile(pdf), save=False)
    version.sent_by = actor
    version.sent_at = now
    version.save()
    move(
        agreement,
        AgreementStatus.SENT,
        actor=actor,
        action="send_agreement",
        reason=version.label,
        at=now,
    )
    notifications.on_commit(agreement, "sent")
    return version


@transaction.atomic
def create_amendment(
    *,
    agreement: Agreement,
    actor: Any,
    purpose: str,
    amount: Decimal,
    aid_rate: Decimal,
    eligible_budget: Decimal,
    start_date: datetime.date,
    end_date: datetime.date,
    steps: list[StepSpec] | None = None,
    now: datetime.datetime | None = None,
) -> AgreementVersion:
    """An amendment (avenant): a new draft version of a signed agreement. The signed versions
    stay as they are (readable, downloadable); payments keep following the current one until
    the amendment is fully signed. A higher amount is checked against the envelope and the de
    minimis ceiling now, and committed at the amendment's full signature."""
    now = now or timezone.now()
    agreement = _managed(agreement, actor)
    if agreement.status != AgreementStatus.SIGNED:
        raise AgreementError(
            _("Un avenant se prépare sur une convention signée ; celle-ci est « %(s)s ».")
            % {"s": agreement.get_status_display()}
        )
    if not purpose.strip():
        raise AgreementError(
            _("Indiquez l'objet de l'avenant."), errors={"purpose": _("Obligatoire.")}
        )
    _check_terms(
        amount=amount,
        aid_rate=aid_rate,
        eligible_budget=eligible_budget,
        start_date=start_date,
        end_date=end_date,
    )
    current = latest_version(agreement)
    if steps is None:
        steps = [StepSpec(s.percent, s.trigger, s.label) for s in current.schedule.all()]
    steps = check_steps(steps)
    if amount != agreement.award.amount:
        _precheck_amount(agreement.award, amount, actor, now)
    version = AgreementVersion.objects.create(
        agreement=agreement,
        number=current.number + 1,
        amount=amount,
        aid_rate=aid_rate,
        eligible_budget=eligible_budget,
        start_date=start_date,
        end_date=end_date,
        purpose=purpose.strip(),
        created_by=actor,
        created_at=now,
    )
    replace_steps(ScheduleStep, steps, version=version)
    move(
        agreement,
        AgreementStatus.DRAFT,
        actor=actor,
        action="amend_agreement",
        reason=f"{version.label} : {version.purpose}",
        at=now,
    )
    return version


@transaction.atomic
def terminate_agreement(
    *, agreement: Agreement, actor: Any, reason: str, now: datetime.datetime | None = None
) -> Agreement:
    """Terminate (résilier), from any state but closed: the application is terminated, payments
    cancel what is unpaid and raise the recovery (agreement_terminated)."""
    now = now or timezone.now()
    agreement = _managed(agreement, actor)
    if agreement.status in (AgreementStatus.CLOSED, AgreementStatus.TERMINATED):
        raise AgreementError(
            _("Cette convention est déjà « %(s)s ».") % {"s": agreement.get_status_display()}
        )
    if not reason.strip():
        raise AgreementError(_("Un motif est obligatoire."), errors={"reason": _("Obligatoire.")})
    application_services.terminate_application(
        application=agreement.award.application, actor=actor, reason=reason.strip(), now=now
    )
    agreement.terminated_at = now
    agreement.termination_reason = reason.strip()
    move(
        agreement,
        AgreementStatus.TERMINATED,
        actor=actor,
        action="terminate_agreement",
        reason=reason.strip(),
        at=now,
        fields=("terminated_at", "termination_reason"),
    )
    for provider in hooks.agreement_terminated:
        provider(agreement=agreement, actor=actor, now=now, reason=reason.strip())
    return agreement


@transaction.atomic
def close_agreement(
    *, agreement: Agreement, actor: Any, now: datetime.datetime | None = None
) -> Agreement:
    """signed → closed, called by payments after the final payment (the application is closed)."""
    now = now or timezone.now()
    agreement = lock_agreement(agreement)
    if agreement.status != AgreementStatus.SIGNED:
        raise AgreementError(
            _("Seule une convention signée se solde ; celle-ci est « %(s)s ».")
            % {"s": agreement.get_status_display()}
        )
    application_services.close_application(
        application=agreement.award.application, actor=actor, reason=agreement.reference, now=now
    )
    agreement.closed_at = now
    move(
        agreement,
        AgreementStatus.CLOSED,
        actor=actor,
        action="close_agreement",
        at=now,
        fields=("closed_at",),
    )
    return agreement
