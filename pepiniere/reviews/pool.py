"""Expert pool: invitations, pool membership and conflicts of interest (detected or declared)."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role, RoleGrant, User
from pepiniere.applications.models import Application, Status
from pepiniere.audit.services import record
from pepiniere.calls.models import Call
from pepiniere.lib.emails import clean_email_address
from pepiniere.organisations.models import Membership, Organisation
from pepiniere.reviews.errors import ReviewError
from pepiniere.reviews.errors import require as _require
from pepiniere.reviews.models import (
    CallReviewer,
    Conflict,
    ConflictSource,
    Invitation,
    ReviewerProfile,
)
from pepiniere.reviews.permissions import can_manage_reviews

# ---- pool and invitations -------------------------------------------------------------------


@transaction.atomic
def invite_reviewer(*, call: Call, email: str, actor: Any) -> Invitation:
    _require(can_manage_reviews(actor, call))
    email = clean_email_address(email)  # ValidationError (French) on a malformed address
    invitation, created = Invitation.objects.get_or_create(
        call=call,
        email=email,
        defaults={
            "token": secrets.token_urlsafe(24),
            "invited_by": actor,
            "invited_at": timezone.now(),
        },
    )
    link = settings.SITE_URL + reverse("reviews:invitation", args=[invitation.token])
    body = _(
        "Bonjour,\n\n%(officer)s vous invite à évaluer des dossiers de l'appel « %(call)s » (%(funder)s).\n"
        "Pour accepter, ouvrez ce lien : %(link)s\n\nL'équipe Pépinière"
    ) % {"officer": actor, "call": call.title, "funder": call.funder.name, "link": link}
    transaction.on_commit(
        lambda: send_mail(
            _("Invitation à évaluer « %(call)s »") % {"call": call.title}, body, None, [email]
        )
    )
    record(actor=actor, obj=call, action="invite_reviewer", reason=email, public=False)
    return invitation


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user: User) -> CallReviewer:
    if invitation.email != user.email.lower():
        raise ReviewError(
            _("Cette invitation a été envoyée à une autre adresse (%(email)s).")
            % {"email": invitation.email}
        )
    ReviewerProfile.objects.get_or_create(user=user)
    RoleGrant.objects.get_or_create(user=user, role=Role.REVIEWER, funder=None)
    member, _created = CallReviewer.objects.get_or_create(call=invitation.call, reviewer=user)
    if invitation.accepted_at is None:
        invitation.accepted_by = user
        invitation.accepted_at = timezone.now()
        invitation.save()
        record(
            actor=user,
            obj=invitation.call,
            action="accept_invitation",
            reason=user.email,
            public=False,
        )
    detect_conflicts(call=invitation.call)
    return member


def add_to_pool(*, call: Call, reviewer: User, max_load: int | None = None) -> CallReviewer:
    ReviewerProfile.objects.get_or_create(user=reviewer)
    member, _created = CallReviewer.objects.update_or_create(
        call=call, reviewer=reviewer, defaults={"max_load": max_load}
    )
    return member


# ---- conflicts --------------------------------------------------------------------------------


@transaction.atomic
def detect_conflicts(*, call: Call) -> int:
    """Membership of the applicant organisation, or its SIREN declared as employer or relation.
    An assignment already made to an expert found in conflict stops there and then (withdrawn,
    the application reassigned while reviews are open). Run when an expert joins the pool, when
    the officer asks, when an expert's declared SIRENs change and when an expert becomes a member
    of an organisation (:func:`detect_conflicts_of_reviewer`). Returns the conflicts created."""
    reviewers = list(User.objects.filter(call_pools__call=call).select_related("reviewer_profile"))
    organisations = (
        Organisation.objects.filter(applications__call=call)
        .exclude(applications__status=Status.DRAFT)
        .distinct()
    )
    by_siren: dict[str, list[int]] = {}
    for organisation in organisations:
        if organisation.siren:
            by_siren.setdefault(organisation.siren, []).append(organisation.pk)
    organisation_ids = set(organisations.values_list("pk", flat=True))
    created = 0
    now = timezone.now()
    memberships = Membership.objects.filter(
        user__in=reviewers, organisation_id__in=organisation_ids
    )
    pairs = {(m.user_id, m.organisation_id, ConflictSource.MEMBERSHIP) for m in memberships}
    for reviewer in reviewers:
        profile = getattr(reviewer, "reviewer_profile", None)
        for siren in profile.siren_set if profile else ():
            for organisation_id in by_siren.get(siren, []):
                pairs.add((reviewer.pk, organisation_id, ConflictSource.SIREN))
    for reviewer_id, organisation_id, source in sorted(pairs):
        _conflict, was_created = Conflict.objects.get_or_create(
            reviewer_id=reviewer_id,
            organisation_id=organisation_id,
            defaults={"source": source, "declared_at": now},
        )
        created += was_created
    # Late import: assignments build on the pool (assignment_services imports this module).
    from pepiniere.reviews.assignment_services import set_aside_for_detected_conflicts

    set_aside_for_detected_conflicts({(r, o) for r, o, _source in pairs})
    return created


def detect_conflicts_of_reviewer(reviewer: Any, organisation: Any = None) -> int:
    """Detection again for the calls whose pool holds this person (all, or only those where the
    organisation has a filed application): their SIRENs changed, or they joined a structure."""
    calls = Call.objects.filter(pool__reviewer_id=reviewer.pk)
    if organisation is not None:
        filed = Application.objects.filter(organisation=organisation).exclude(status=Status.DRAFT)
        calls = calls.filter(pk__in=filed.values("call_id"))
    return sum(detect_conflicts(call=call) for call in calls.distinct().order_by("pk"))


@transaction.atomic
def declare_conflict(*, reviewer: User, organisation: Organisation, note: str) -> Conflict:
    conflict, _created = Conflict.objects.get_or_create(
        reviewer=reviewer,
        organisation=organisation,
        defaults={"source": ConflictSource.DECLARED, "note": note, "declared_at": timezone.now()},
    )
    record(actor=reviewer, obj=organisation, action="declare_conflict", reason=note, public=False)
    return conflict
