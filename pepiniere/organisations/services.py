"""Organisation workflows: declaring a structure (or asking to join the one that already holds its
SIREN/RNA), editing it, join requests and member invitations. Atomic, audited, e-mails on commit."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pepiniere.audit.services import record
from pepiniere.lib.dates import long_date
from pepiniere.lib.extension import ExtensionPoint
from pepiniere.lib.mail import mail_on_commit
from pepiniere.organisations.models import (
    JoinRequest,
    JoinRequestStatus,
    MemberInvitation,
    MemberRole,
    Membership,
    Organisation,
)
from pepiniere.organisations.permissions import can_decide_join_request, can_manage_organisation

# A later stage reacts when a person becomes a member (reviews/: an expert who joins a structure
# is in conflict with its applications; registered at ready()). Providers get (user, organisation).
member_joined: ExtensionPoint[Callable[[Any, Organisation], object]] = ExtensionPoint(
    "person joined an organisation"
)


def _joined(user: Any, organisation: Organisation) -> None:
    for provider in member_joined:
        provider(user, organisation)


INVITATION_VALIDITY = datetime.timedelta(days=14)
# Invitations e-mail any address: a cap keeps the platform from being used to flood mailboxes.
INVITATIONS_PER_DAY = 20


class OrganisationError(Exception):
    pass


def identifier_holder(
    *, siret: str = "", rna: str = "", exclude: Organisation | None = None
) -> Organisation | None:
    """The organisation already registered with this SIREN (the SIRET's first nine digits) or RNA."""
    condition = Q()
    if siret:
        condition |= Q(siren=siret[:9])
    if rna:
        condition |= Q(rna=rna)
    if not condition:
        return None
    holders = Organisation.objects.filter(condition)
    if exclude is not None:
        holders = holders.exclude(pk=exclude.pk)
    return holders.order_by("pk").first()


@transaction.atomic
def create_organisation(*, actor: Any, data: dict[str, Any]) -> Organisation | JoinRequest:
    """Register the structure with its declarant as owner; when its SIREN or RNA is already
    registered, make a request to join that organisation instead (nothing is created for it)."""
    holder = identifier_holder(siret=data.get("siret", ""), rna=data.get("rna", ""))
    if holder is not None and not holder.verified and not holder.members.exists():
        return _claim_unverified(holder, actor=actor, data=data)
    if holder is None:
        organisation = Organisation(**data)
        try:
            with transaction.atomic():
                organisation.save()
        except IntegrityError:
            # Registered by someone else between our check and our INSERT.
            holder = identifier_holder(siret=data.get("siret", ""), rna=data.get("rna", ""))
            if holder is None:
                raise
        else:
            Membership.objects.create(user=actor, organisation=organisation, role=MemberRole.OWNER)
            record(actor=actor, obj=organisation, action="create")
            return organisation
    return request_to_join(
        organisation=holder, actor=actor, identifier=data.get("siret") or data.get("rna", "")
    )


def _claim_unverified(
    organisation: Organisation, *, actor: Any, data: dict[str, Any]
) -> Organisation:
    """A structure created by a grants import, which nobody registered: the first person to
    register it fills it in and becomes its owner (its imported grants and aid stay on it)."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    for name, value in data.items():
        setattr(organisation, name, value)
    organisation.verified = True
    organisation.save()
    Membership.objects.create(user=actor, organisation=organisation, role=MemberRole.OWNER)
    record(
        actor=actor, obj=organisation, action="create", reason=_("structure importée, revendiquée")
    )
    return organisation


@transaction.atomic
def request_to_join(*, organisation: Organisation, actor: Any, identifier: str) -> JoinRequest:
    if Membership.objects.filter(user=actor, organisation=organisation).exists():
        raise OrganisationError(_("Vous êtes déjà membre de cette structure."))
    pending = JoinRequest.objects.filter(
        user=actor, organisation=organisation, status=JoinRequestStatus.PENDING
    ).first()
    if pending is not None:
        return pending
    join_request = JoinRequest.objects.create(
        organisation=organisation, user=actor, identifier=identifier[:14]
    )
    record(actor=actor, obj=organisation, action="request_to_join", reason=actor.email)
    link = reverse("organisations:join_requests")
    for member in organisation.members.filter(is_active=True):
        mail_on_commit(
            template="organisations/email/join_request.txt",
            to=member.email,
            language=member.language,
            context={
                "name": member.get_short_name(),
                "claimant": f"{actor.get_full_name()} ({actor.email})",
                "organisation": organisation.name,
                "link": link,
            },
        )
    return join_request


@transaction.atomic
def decide_join_request(*, join_request: JoinRequest, actor: Any, accept: bool) -> JoinRequest:
    join_request = (
        JoinRequest.objects.select_for_update(of=("self",))
        .select_related("organisation", "user")
        .get(pk=join_request.pk)
    )
    can_decide_join_request(actor, join_request).enforce()
    if join_request.status != JoinRequestStatus.PENDING:
        raise OrganisationError(_("Cette demande a déjà reçu une réponse."))
    join_request.status = JoinRequestStatus.ACCEPTED if accept else JoinRequestStatus.REFUSED
    join_request.decided_by = actor
    join_request.decided_at = timezone.now()
    join_request.save(update_fields=["status", "decided_by", "decided_at"])
    organisation, claimant = join_request.organisation, join_request.user
    if accept:
        Membership.objects.get_or_create(user=claimant, organisation=organisation)
        _joined(claimant, organisation)
    record(
        actor=actor,
        obj=organisation,
        action="accept_join_request" if accept else "refuse_join_request",
        reason=claimant.email,
    )
    mail_on_commit(
        template="organisations/email/join_decision.txt",
        to=claimant.email,
        language=claimant.language,
        context={
            "name": claimant.get_short_name(),
            "organisation": organisation.name,
            "accepted": "yes" if accept else "",
            "link": reverse("organisations:join_request", args=[join_request.pk]),
        },
    )
    return join_request


@transaction.atomic
def update_organisation(
    *, organisation: Organisation, actor: Any, data: dict[str, Any]
) -> Organisation:
    holder = identifier_holder(
        siret=data.get("siret", ""), rna=data.get("rna", ""), exclude=organisation
    )
    if holder is not None:
        raise OrganisationError(
            _(
                "Une autre structure est déjà enregistrée avec ce SIRET ou ce numéro RNA. "
                "Si c'est la vôtre, demandez à la rejoindre depuis « Déclarer une structure »."
            )
        )
    for name, value in data.items():
        setattr(organisation, name, value)
    organisation.save()
    record(actor=actor, obj=organisation, action="update")
    return organisation


def _french_date(moment: datetime.datetime) -> str:
    with translation.override("fr"):
        return long_date(moment)


@transaction.atomic
def invite_member(*, organisation: Organisation, actor: Any, email: str) -> MemberInvitation:
    """Send an invitation to the address, the same way whether or not it has an account."""
    can_manage_organisation(actor, organisation).enforce()
    email = email.strip().lower()
    if organisation.members.filter(email__iexact=email).exists():
        raise OrganisationError(_("%(email)s est déjà membre de la structure.") % {"email": email})
    since = timezone.now() - datetime.timedelta(days=1)
    if organisation.invitations.filter(created_at__gte=since).count() >= INVITATIONS_PER_DAY:
        raise OrganisationError(
            _("La structure a déjà envoyé %(n)d invitations en 24 heures : réessayez demain.")
            % {"n": INVITATIONS_PER_DAY}
        )
    invitation = MemberInvitation.objects.create(
        organisation=organisation,
        email=email,
        token=secrets.token_urlsafe(32),
        invited_by=actor,
        expires_at=timezone.now() + INVITATION_VALIDITY,
    )
    record(actor=actor, obj=organisation, action="invite_member", reason=email)
    mail_on_commit(
        template="organisations/email/invitation.txt",
        to=email,
        context={
            "inviter": actor.get_full_name(),
            "organisation": organisation.name,
            "link": reverse("organisations:invitation", args=[invitation.token]),
            "expires": _french_date(invitation.expires_at),
        },
    )
    return invitation


@transaction.atomic
def accept_invitation(*, invitation: MemberInvitation, actor: Any) -> Membership:
    invitation = (
        MemberInvitation.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=invitation.pk)
    )
    now = timezone.now()
    if invitation.accepted_at is not None:
        raise OrganisationError(_("Cette invitation a déjà été acceptée."))
    if not invitation.is_open(now):
        raise OrganisationError(
            _("Cette invitation a expiré : demandez à la structure de vous en envoyer une autre.")
        )
    if actor.email.lower() != invitation.email.lower():
        raise OrganisationError(
            _(
                "Cette invitation a été envoyée à une autre adresse : connectez-vous avec le "
                "compte de l'adresse invitée."
            )
        )
    invitation.accepted_at = now
    invitation.accepted_by = actor
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    membership, _created = Membership.objects.get_or_create(
        user=actor, organisation=invitation.organisation
    )
    # A pending request to join the same organisation is answered by the invitation.
    JoinRequest.objects.filter(
        user=actor, organisation=invitation.organisation, status=JoinRequestStatus.PENDING
    ).update(status=JoinRequestStatus.ACCEPTED, decided_at=now, decided_by=invitation.invited_by)
    record(actor=actor, obj=invitation.organisation, action="accept_invitation", reason=actor.email)
    _joined(actor, invitation.organisation)
    return membership


@transaction.atomic
def accept_invitation_with_new_account(
    *, invitation: MemberInvitation, full_name: str, password: str
) -> Any:
    """A person without an account creates one from the invitation link (which proves the
    address) and joins at once; both or neither."""
    from pepiniere.accounts.services import register_applicant

    user = register_applicant(email=invitation.email, full_name=full_name, password=password)
    accept_invitation(invitation=invitation, actor=user)
    return user
