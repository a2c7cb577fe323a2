"""Bank details (coordonnées bancaires): a member submits them with the RIB, an officer of a funder
that supports the organisation validates or rejects them (never the submitter). Until a change is
validated, payments to the organisation are held (`selectors.payable_bank_account`). Atomic,
audited, e-mails on commit."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.audit.services import record
from pepiniere.lib.mail import mail_on_commit
from pepiniere.lib.uploads import sanitise_filename, structure_error
from pepiniere.organisations.identifiers import bank_of_iban, clean_bic, clean_iban
from pepiniere.organisations.models import BankAccount, BankAccountStatus, Organisation
from pepiniere.organisations.permissions import can_decide_bank_account, can_submit_bank_details
from pepiniere.organisations.selectors import funders_supporting

RIB_EXTENSIONS = ("pdf", "png", "jpg", "jpeg")
RIB_MAX_MB = 5
_CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}


class BankDetailsError(Exception):
    """Refused bank details; `errors` maps each form field ("holder", "iban", "bic", "rib", or
    None for the whole form) to what is wrong, in French."""

    def __init__(self, errors: dict[str | None, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _rib_problem(rib: UploadedFile | None) -> tuple[str, str | None]:
    """(clean name, what is wrong with the file or None)."""
    if rib is None:
        return "", _("Joignez le RIB (relevé d'identité bancaire) du compte, en PDF ou en image.")
    name = sanitise_filename(rib.name or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in RIB_EXTENSIONS:
        return name, _("Le RIB se joint en PDF, PNG ou JPEG (reçu : .%(ext)s).") % {
            "ext": extension or "?"
        }
    if not rib.size:
        return name, _("Le fichier du RIB est vide.")
    if rib.size > RIB_MAX_MB * 1024 * 1024:
        return name, _("Le fichier fait %(size).1f Mo ; la limite est de %(limit)d Mo.") % {
            "size": rib.size / 1024 / 1024,
            "limit": RIB_MAX_MB,
        }
    return name, structure_error(extension, rib)


@transaction.atomic
def submit_bank_details(
    *,
    organisation: Organisation,
    actor: Any,
    holder: str,
    iban: str,
    bic: str = "",
    rib: UploadedFile | None,
    now: datetime.datetime | None = None,
) -> BankAccount:
    """Record new bank details waiting for validation. The BIC is derived from the IBAN when
    schwifty's bank registry knows the bank, else the typed one is checked. A change still waiting
    is replaced by this one; the validated account stays in force, but is not paid until this one
    is decided."""
    now = now or timezone.now()
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    can_submit_bank_details(actor, organisation).enforce()
    errors: dict[str | None, str] = {}
    holder = " ".join(holder.split())
    if not holder:
        errors["holder"] = _("Indiquez le titulaire du compte, tel qu'il figure sur le RIB.")
    bank_name = ""
    try:
        iban = clean_iban(iban)
    except ValidationError as error:
        errors["iban"] = error.messages[0]
    else:
        derived, bank_name = bank_of_iban(iban)
        if derived:
            bic = derived
        else:
            try:
                bic = clean_bic(bic)
            except ValidationError as error:
                errors["bic"] = _(
                    "La banque de cet IBAN n'est pas dans notre registre : %(error)s"
                ) % {"error": error.messages[0]}
    rib_name, rib_error = _rib_problem(rib)
    if rib_error:
        errors["rib"] = rib_error
    if errors:
        raise BankDetailsError(errors)
    assert rib is not None and rib.size is not None
    rib.seek(0)
    digest = hashlib.sha256()
    for chunk in rib.chunks():
        digest.update(chunk)
    rib.seek(0)
    extension = rib_name.rsplit(".", 1)[-1].lower()

    replaced = list(
        BankAccount.objects.select_for_update()
        .filter(organisation=organisation, status=BankAccountStatus.PENDING)
        .values_list("pk", flat=True)
    )
    BankAccount.objects.filter(pk__in=replaced).update(
        status=BankAccountStatus.REPLACED, decided_at=now
    )
    account = BankAccount(
        organisation=organisation,
        holder=holder,
        iban=iban,
        bic=bic,
        bank_name=bank_name,
        token=secrets.token_hex(16),
        rib_name=rib_name,
        rib_content_type=_CONTENT_TYPES.get(extension, "image/jpeg"),
        rib_size=rib.size,
        rib_sha256=digest.hexdigest(),
        submitted_by=actor,
        submitted_at=now,
    )
    account.rib.save(account.token, rib, save=False)
    account.save()
    record(
        actor=actor,
        obj=organisation,
        action="submit_bank_details",
        to_state=BankAccountStatus.PENDING,
        reason=account.masked_iban,
        at=now,
    )
    _tell_members(account, actor=actor, template="organisations/email/bank_submitted.txt")
    _tell_officers(account)
    return account


def _locked(account: BankAccount) -> BankAccount:
    return (
        BankAccount.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=account.pk)
    )


@transaction.atomic
def validate_bank_details(
    *, account: BankAccount, actor: Any, now: datetime.datetime | None = None
) -> BankAccount:
    """The details become the account payments go to; the one in force before is replaced."""
    now = now or timezone.now()
    account = _locked(account)
    can_decide_bank_account(actor, account).enforce()
    BankAccount.objects.filter(
        organisation=account.organisation, status=BankAccountStatus.VALIDATED
    ).update(status=BankAccountStatus.REPLACED)
    account.status = BankAccountStatus.VALIDATED
    account.decided_by = actor
    account.decided_at = now
    account.save(update_fields=["status", "decided_by", "decided_at"])
    record(
        actor=actor,
        obj=account.organisation,
        action="validate_bank_details",
        from_state=BankAccountStatus.PENDING,
        to_state=BankAccountStatus.VALIDATED,
        reason=account.masked_iban,
        at=now,
    )
    _tell_members(account, actor=actor, template="organisations/email/bank_decided.txt")
    return account


@transaction.atomic
def reject_bank_details(
    *, account: BankAccount, actor: Any, reason: str, now: datetime.datetime | None = None
) -> BankAccount:
    """Refuse the details (reason required): the account validated before, if any, is paid again."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise BankDetailsError(
            {"reason": _("Dites pourquoi ces coordonnées sont refusées : la structure le lira.")}
        )
    account = _locked(account)
    can_decide_bank_account(actor, account).enforce()
    account.status = BankAccountStatus.REJECTED
    account.decided_by = actor
    account.decided_at = now
    account.reason = reason
    account.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    record(
        actor=actor,
        obj=account.organisation,
        action="reject_bank_details",
        from_state=BankAccountStatus.PENDING,
        to_state=BankAccountStatus.REJECTED,
        reason=f"{account.masked_iban} : {reason}",
        at=now,
    )
    _tell_members(account, actor=actor, template="organisations/email/bank_decided.txt")
    return account


def _tell_members(account: BankAccount, *, actor: Any, template: str) -> None:
    """Every member hears of every change of the organisation's bank details: a member whose
    account was taken over would not otherwise learn that payments now go elsewhere."""
    organisation = account.organisation
    for member in organisation.members.filter(is_active=True).order_by("pk"):
        mail_on_commit(
            template=template,
            to=member.email,
            language=member.language,
            context={
                "name": member.get_short_name(),
                "organisation": organisation.name,
                "actor": actor.get_full_name(),
                "iban": account.masked_iban,
                "status": account.status,
                "reason": account.reason,
                "link": reverse("organisations:bank_details", args=[organisation.pk]),
            },
        )


def _tell_officers(account: BankAccount) -> None:
    from pepiniere.accounts.models import Role, User

    funders = funders_supporting(account.organisation)
    officers = User.objects.filter(
        is_active=True, role_grants__role=Role.OFFICER, role_grants__funder_id__in=funders
    ).distinct()
    for officer in officers.order_by("pk"):
        mail_on_commit(
            template="organisations/email/bank_to_validate.txt",
            to=officer.email,
            language=officer.language,
            context={
                "name": officer.get_short_name(),
                "organisation": account.organisation.name,
                "link": reverse("organisations:bank_decision", args=[account.pk]),
            },
        )
