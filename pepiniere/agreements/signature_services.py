"""Signing an agreement version (DESIGN.md "After the award"): the beneficiary's legal
representative first, then the funder's signatory, each on the exact PDF they were shown (its
SHA-256). The funder's signature makes the version take effect: the application is « conventionné »
(first version) or the award takes the amendment's amount, the fully signed PDF is sealed (PAdES,
`signing`) and payments hear of it. Atomic, the agreement row locked, one audit row per signature,
e-mails on commit."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.agreements import hooks, notifications, rendering
from pepiniere.agreements.models import (
    Agreement,
    AgreementStatus,
    AgreementVersion,
    Signature,
    SignatureSide,
)
from pepiniere.agreements.permissions import can_sign_for_beneficiary, can_sign_for_funder
from pepiniere.agreements.services import (
    AgreementError,
    check_allowed,
    latest_version,
    lock_agreement,
    move,
)
from pepiniere.agreements.signing import SignatureRequest, get_signer
from pepiniere.applications import services as application_services
from pepiniere.grants import services as grant_services
from pepiniere.lib.permissions import Verdict

CONSENT = (
    "Je déclare être le représentant légal de la structure bénéficiaire, ou être dûment habilité "
    "à l'engager, avoir lu la convention ci-dessus et la signer électroniquement ; je reconnais "
    "que cette signature m'engage comme une signature manuscrite."
)
FUNDER_CONSENT = (
    "Je signe cette convention au nom du financeur, en vertu de la délégation qui m'a été donnée."
)


@dataclass(frozen=True)
class _Side:
    """What differs between the two signatures: who may sign, the consent they give, the
    status the agreement reaches, the audit action, the e-mail sent, and whether this signature
    (the second) makes the version take effect."""

    may_sign: Callable[[Any, AgreementVersion], Verdict]
    consent_text: str
    status: str
    action: str
    event: str
    takes_effect: bool


_SIDES = {
    SignatureSide.BENEFICIARY: _Side(
        may_sign=can_sign_for_beneficiary,
        consent_text=CONSENT,
        status=AgreementStatus.SIGNED_BENEFICIARY,
        action="sign_agreement_beneficiary",
        event="signed_by_beneficiary",
        takes_effect=False,
    ),
    SignatureSide.FUNDER: _Side(
        may_sign=can_sign_for_funder,
        consent_text=FUNDER_CONSENT,
        status=AgreementStatus.SIGNED,
        action="sign_agreement_funder",
        event="signed",
        takes_effect=True,
    ),
}


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
    return _sign(
        side=SignatureSide.BENEFICIARY,
        agreement=agreement,
        actor=actor,
        consent=consent,
        name=name,
        title=title,
        shown_sha256=shown_sha256,
        ip_address=ip_address,
        user_agent=user_agent,
        now=now or timezone.now(),
    )


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
    return _sign(
        side=SignatureSide.FUNDER,
        agreement=agreement,
        actor=actor,
        consent=consent,
        name=name,
        title=title,
        shown_sha256=shown_sha256,
        ip_address=ip_address,
        user_agent=user_agent,
        now=now or timezone.now(),
        seal=seal,
    )


def _sign(
    *,
    side: SignatureSide,
    agreement: Agreement,
    actor: Any,
    consent: bool,
    name: str,
    title: str,
    shown_sha256: str,
    ip_address: str | None,
    user_agent: str,
    now: datetime.datetime,
    seal: bool = True,
) -> Signature:
    """One party's signature on the agreement's latest version; the funder's (the second) also
    makes the version take effect (`_take_effect`), then calls the version_signed hooks."""
    rules = _SIDES[side]
    agreement = lock_agreement(agreement)
    version = latest_version(agreement)
    check_allowed(rules.may_sign(actor, version))
    _check_signature_input(
        version, consent=consent, name=name, title=title, shown_sha256=shown_sha256
    )
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
    signature = Signature.objects.create(
        version=version,
        side=side,
        signer=actor,
        signer_name=name.strip()[:200],
        signer_title=title.strip()[:200],
        signed_at=now,
        ip_address=ip_address or None,
        user_agent=user_agent[:300],
        sha256=version.sha256,
        consent=rules.consent_text,
        method=signer.method,
        evidence=evidence,
    )
    if rules.takes_effect:
        _take_effect(agreement, version, actor=actor, now=now, seal=seal)
    move(
        agreement,
        rules.status,
        actor=actor,
        action=rules.action,
        reason=_("%(label)s signée par %(name)s, %(title)s (SHA-256 %(h)s)")
        % {
            "label": version.label,
            "name": signature.signer_name,
            "title": signature.signer_title,
            "h": version.sha256,
        },
        at=now,
    )
    if rules.takes_effect:
        for provider in hooks.version_signed:
            provider(version=version, actor=actor, now=now)
    notifications.on_commit(agreement, rules.event)
    return signature


def _take_effect(
    agreement: Agreement,
    version: AgreementVersion,
    *,
    actor: Any,
    now: datetime.datetime,
    seal: bool,
) -> None:
    """The version is signed by both parties: the first one contracts the application, an
    amendment gives the award its amount (checked against the envelope and de minimis again)."""
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
            application=agreement.award.application,
            actor=actor,
            reason=agreement.reference,
            now=now,
        )
    version.signed_at = now
    version.save(update_fields=["signed_at"])
    if seal:
        _seal(version)


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
