"""Agreement workflows (DESIGN.md "Lifecycles"): prepare, edit the draft, send, sign (the
beneficiary, then the funder), amend, terminate, close. Each is atomic, locks the agreement row,
writes one audit row and sends its e-mails on commit."""

from __future__ import annotations

import datetime
import hashlib
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
    AgreementTemplate,
    AgreementVersion,
    CallScheduleStep,
    ScheduleStep,
    Signature,
    SignatureSide,
)
from pepiniere.agreements.permissions import (
    can_manage_agreements,
    can_sign_for_beneficiary,
    can_sign_for_funder,
)
from pepiniere.agreements.schedule import StepSpec, call_schedule, check_steps
from pepiniere.agreements.signing import SignatureRequest, get_signer
from pepiniere.applications import services as application_services
from pepiniere.applications.models import Status
from pepiniere.audit.services import record
from pepiniere.calls.models import Call
from pepiniere.grants import services as grant_services
from pepiniere.grants.models import Award
from pepiniere.lib.money import CENT, format_eur

CONSENT = (
    "Je déclare être le représentant légal de la structure bénéficiaire, ou être dûment habilité "
    "à l'engager, avoir lu la convention ci-dessus et la signer électroniquement ; je reconnais "
    "que cette signature m'engage comme une signature manuscrite."
)
FUNDER_CONSENT = (
    "Je signe cette convention au nom du financeur, en vertu de la délégation qui m'a été donnée."
)


class AgreementError(Exception):
    """A refused action, with a message for the person who tried it (and, for a form, per field)."""

    def __init__(self, message: str, *, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


def _locked(agreement: Agreement) -> Agreement:
    return (
        Agreement.objects.select_for_update(of=("self",))
        .select_related(
            "award__application__call__funder",
            "award__application__call__programme",
            "award__application__organisation",
        )
        .get(pk=agreement.pk)
    )


def _latest(agreement: Agreement) -> AgreementVersion:
    version = agreement.versions.order_by("-number").first()
    assert version is not None  # an agreement is created with its first version
    return version


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


def _save_schedule(version: AgreementVersion, steps: list[StepSpec]) -> None:
    version.schedule.all().delete()
    ScheduleStep.objects.bulk_create(
        [
            ScheduleStep(
                version=version,
                position=position,
                percent=step.percent,
                trigger=step.trigger,
                label=step.label[:200],
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
    verdict = can_manage_agreements(actor, application.call)
    if not verdict:
        raise AgreementError(verdict.reason)
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
    _save_schedule(version, call_schedule(application.call))
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
    agreement = _locked(agreement)
    verdict = can_manage_agreements(actor, agreement.award.application.call)
    if not verdict:
        raise AgreementError(verdict.reason)
    if agreement.status != AgreementStatus.DRAFT:
        raise AgreementError(_("Seul un brouillon se modifie ; envoyé, il se signe ou se résilie."))
    version = _latest(agreement)
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
    _save_schedule(version, steps)
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
    agreement = _locked(agreement)
    verdict = can_manage_agreements(actor, agreement.award.application.call)
    if not verdict:
        raise AgreementError(verdict.reason)
    if agreement.status != AgreementStatus.DRAFT:
        raise AgreementError(
            _("Cette convention a déjà été envoyée (elle est « %(s)s »).")
            % {"s": agreement.get_status_display()}
        )
    version = _latest(agreement)
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
    before = agreement.status
    agreement.status = AgreementStatus.SENT
    agreement.save(update_fields=["status"])
    record(
        actor=actor,
        obj=agreement,
        action="send_agreement",
        from_state=before,
        to_state=agreement.status,
        reason=version.label,
        at=now,
    )
    notifications.on_commit(agreement, "sent")
    return version


def _stored_hash(field: Any) -> str:
    digest = hashlib.sha256()
    with field.open("rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_signature_input(
    version: AgreementVersion, *, consent: bool, name: str, title: str, shown_sha256: str
) -> None:
    errors: dict[str, str] = {}
    if not consent:
        errors["consent"] = _("Cochez la case pour exprimer votre consentement.")
    if not name.strip():
        errors["name"] = _("Indiquez vos prénom et nom.")
    if not title.strip():
        errors["title"] = _("Indiquez votre qualité (ex. Présidente, Gérant).")
    if errors:
        raise AgreementError(
            _("La signature n'est pas enregistrée : voyez les champs signalés."), errors=errors
        )
    if shown_sha256 != version.sha256 or _stored_hash(version.pdf) != version.sha256:
        raise AgreementError(
            _(
                "Le document a changé depuis son affichage : la signature n'est pas enregistrée. "
                "Relisez la convention affichée maintenant avant de la signer."
            )
        )


def _signature(
    *,
    version: AgreementVersion,
    side: str,
    actor: Any,
    name: str,
    title: str,
    consent_text: str,
    ip_address: str | None,
    user_agent: str,
    now: datetime.datetime,
) -> Signature:
    signer = get_signer()
    request = SignatureRequest(
        version_id=version.pk,
        side=side,
        account_email=actor.email,
        declared_name=name.strip(),
        declared_title=title.strip(),
        pdf_sha256=version.sha256,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    try:
        evidence = signer.evidence(request)
    except ValueError as refused:
        raise AgreementError(str(refused)) from None
    return Signature.objects.create(
        version=version,
        side=side,
        signer=actor,
        signer_name=name.strip()[:200],
        signer_title=title.strip()[:200],
        signed_at=now,
        ip_address=ip_address or None,
        user_agent=user_agent[:300],
        sha256=version.sha256,
        consent=consent_text,
        method=signer.method,
        evidence=evidence,
    )


@transaction.atomic
def sign_as_beneficiary(
    *,
    agreement: Agreement,
    actor: Any,
    consent: bool,
    name: str,
    title: str,
    shown_sha256: str,
    ip_address: str | None = None,
    user_agent: str = "",
    now: datetime.datetime | None = None,
) -> Signature:
    """The beneficiary's legal representative signs the PDF they were shown (its SHA-256)."""
    now = now or timezone.now()
    agreement = _locked(agreement)
    version = _latest(agreement)
    verdict = can_sign_for_beneficiary(actor, version)
    if not verdict:
        raise AgreementError(verdict.reason)
    _check_signature_input(
        version, consent=consent, name=name, title=title, shown_sha256=shown_sha256
    )
    signature = _signature(
        version=version,
        side=SignatureSide.BENEFICIARY,
        actor=actor,
        name=name,
        title=title,
        consent_text=CONSENT,
        ip_address=ip_address,
        user_agent=user_agent,
        now=now,
    )
    before = agreement.status
    agreement.status = AgreementStatus.SIGNED_BENEFICIARY
    agreement.save(update_fields=["status"])
    record(
        actor=actor,
        obj=agreement,
        action="sign_agreement_beneficiary",
        from_state=before,
        to_state=agreement.status,
        reason=_("%(label)s signée par %(name)s, %(title)s (SHA-256 %(h)s)")
        % {
            "label": version.label,
            "name": signature.signer_name,
            "title": signature.signer_title,
            "h": version.sha256,
        },
        at=now,
    )
    notifications.on_commit(agreement, "signed_by_beneficiary")
    return signature


@transaction.atomic
def sign_as_funder(
    *,
    agreement: Agreement,
    actor: Any,
    consent: bool,
    name: str,
    title: str,
    shown_sha256: str,
    ip_address: str | None = None,
    user_agent: str = "",
    now: datetime.datetime | None = None,
    seal: bool = True,
) -> Signature:
    """The funder's signatory signs; the version is then fully signed: its PDF gets the
    signatures page and the PAdES seal, the application becomes « conventionné » (first
    version) or the award takes the amendment's amount, and payments hear of it.

    ``seal=False`` (the demo's 2015 history) leaves the sealed PDF to be made at its first
    download (`sealed_pdf_of`): the signatures and the hash they name are recorded at once."""
    now = now or timezone.now()
    agreement = _locked(agreement)
    version = _latest(agreement)
    verdict = can_sign_for_funder(actor, version)
    if not verdict:
        raise AgreementError(verdict.reason)
    _check_signature_input(
        version, consent=consent, name=name, title=title, shown_sha256=shown_sha256
    )
    signature = _signature(
        version=version,
        side=SignatureSide.FUNDER,
        actor=actor,
        name=name,
        title=title,
        consent_text=FUNDER_CONSENT,
        ip_address=ip_address,
        user_agent=user_agent,
        now=now,
    )
    application = agreement.award.application
    if version.is_amendment:
        if version.amount != agreement.award.amount:
            try:
                grant_services.amend_award_amount(
                    award=agreement.award, amount=version.amount, actor=actor, now=now
                )
            except grant_services.AwardError as error:
                raise AgreementError(error.message) from None
    else:
        application_services.contract_application(
            application=application, actor=actor, reason=agreement.reference, now=now
        )
    version.signed_at = now
    version.save(update_fields=["signed_at"])
    if seal:
        _seal(version)
    before = agreement.status
    agreement.status = AgreementStatus.SIGNED
    agreement.save(update_fields=["status"])
    record(
        actor=actor,
        obj=agreement,
        action="sign_agreement_funder",
        from_state=before,
        to_state=agreement.status,
        reason=_("%(label)s signée par %(name)s, %(title)s (SHA-256 %(h)s)")
        % {
            "label": version.label,
            "name": signature.signer_name,
            "title": signature.signer_title,
            "h": version.sha256,
        },
        at=now,
    )
    for provider in hooks.version_signed:
        provider(version=version, actor=actor, now=now)
    notifications.on_commit(agreement, "signed")
    return signature


def _seal(version: AgreementVersion) -> None:
    with version.pdf.open("rb") as handle:
        signed_pdf = handle.read()
    document = rendering.render_signed_pdf(version, signed_pdf)
    policy = grant_services.policy_for(version.agreement.award.application.call)
    sealed = get_signer().seal(
        document,
        reason=_("%(ref)s — %(label)s, signée par les deux parties")
        % {"ref": version.agreement.reference, "label": version.label},
        location=policy.letter_place,
    )
    version.sealed_sha256 = rendering.sha256(sealed)
    version.sealed_pdf.save(
        f"{version.agreement.reference}-v{version.number}-signee.pdf",
        ContentFile(sealed),
        save=False,
    )
    version.save(update_fields=["sealed_pdf", "sealed_sha256"])


@transaction.atomic
def sealed_pdf_of(version: AgreementVersion) -> AgreementVersion:
    """The fully signed version with its sealed PDF, made now if it was left for later."""
    version = (
        AgreementVersion.objects.select_for_update(of=("self",))
        .select_related("agreement__award__application__call__funder")
        .get(pk=version.pk)
    )
    if version.signed_at is not None and version.pdf and not version.sealed_pdf:
        _seal(version)
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
    agreement = _locked(agreement)
    verdict = can_manage_agreements(actor, agreement.award.application.call)
    if not verdict:
        raise AgreementError(verdict.reason)
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
    current = _latest(agreement)
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
    _save_schedule(version, steps)
    before = agreement.status
    agreement.status = AgreementStatus.DRAFT
    agreement.save(update_fields=["status"])
    record(
        actor=actor,
        obj=agreement,
        action="amend_agreement",
        from_state=before,
        to_state=agreement.status,
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
    agreement = _locked(agreement)
    verdict = can_manage_agreements(actor, agreement.award.application.call)
    if not verdict:
        raise AgreementError(verdict.reason)
    if agreement.status in (AgreementStatus.CLOSED, AgreementStatus.TERMINATED):
        raise AgreementError(
            _("Cette convention est déjà « %(s)s ».") % {"s": agreement.get_status_display()}
        )
    if not reason.strip():
        raise AgreementError(_("Un motif est obligatoire."), errors={"reason": _("Obligatoire.")})
    application_services.terminate_application(
        application=agreement.award.application, actor=actor, reason=reason.strip(), now=now
    )
    before = agreement.status
    agreement.status = AgreementStatus.TERMINATED
    agreement.terminated_at = now
    agreement.termination_reason = reason.strip()
    agreement.save(update_fields=["status", "terminated_at", "termination_reason"])
    record(
        actor=actor,
        obj=agreement,
        action="terminate_agreement",
        from_state=before,
        to_state=agreement.status,
        reason=reason.strip(),
        at=now,
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
    agreement = _locked(agreement)
    if agreement.status != AgreementStatus.SIGNED:
        raise AgreementError(
            _("Seule une convention signée se solde ; celle-ci est « %(s)s ».")
            % {"s": agreement.get_status_display()}
        )
    application_services.close_application(
        application=agreement.award.application, actor=actor, reason=agreement.reference, now=now
    )
    before = agreement.status
    agreement.status = AgreementStatus.CLOSED
    agreement.closed_at = now
    agreement.save(update_fields=["status", "closed_at"])
    record(
        actor=actor,
        obj=agreement,
        action="close_agreement",
        from_state=before,
        to_state=agreement.status,
        at=now,
    )
    return agreement


@transaction.atomic
def set_call_schedule(*, call: Call, actor: Any, steps: list[StepSpec]) -> list[CallScheduleStep]:
    """The call's default schedule (copied into each agreement prepared after)."""
    verdict = can_manage_agreements(actor, call)
    if not verdict:
        raise AgreementError(verdict.reason)
    steps = check_steps(steps)
    CallScheduleStep.objects.filter(call=call).delete()
    saved = CallScheduleStep.objects.bulk_create(
        [
            CallScheduleStep(
                call=call,
                position=position,
                percent=s.percent,
                trigger=s.trigger,
                label=s.label[:200],
            )
            for position, s in enumerate(steps, start=1)
        ]
    )
    record(
        actor=actor,
        obj=call,
        action="set_call_schedule",
        reason=" + ".join(f"{s.percent} %" for s in steps),
        public=False,
    )
    return saved


@transaction.atomic
def save_agreement_template(
    *, call: Call, actor: Any, body: str, funder_address: str
) -> AgreementTemplate:
    verdict = can_manage_agreements(actor, call)
    if not verdict:
        raise AgreementError(verdict.reason)
    try:
        templating.check_template(body)
    except templating.TemplateRefused as refused:
        raise AgreementError(refused.message, errors={"body": refused.message}) from None
    saved, _created = AgreementTemplate.objects.update_or_create(
        call=call,
        defaults={
            "body": body,
            "funder_address": funder_address.strip()[:300],
            "updated_by": actor,
            "updated_at": timezone.now(),
        },
    )
    record(actor=actor, obj=call, action="set_agreement_template", public=False)
    return saved


@transaction.atomic
def reset_agreement_template(*, call: Call, actor: Any) -> None:
    verdict = can_manage_agreements(actor, call)
    if not verdict:
        raise AgreementError(verdict.reason)
    # The funder's address is kept: only the wording goes back to the default.
    AgreementTemplate.objects.filter(call=call).update(
        body=templating.default_template(), updated_by=actor, updated_at=timezone.now()
    )
    record(actor=actor, obj=call, action="reset_agreement_template", public=False)
