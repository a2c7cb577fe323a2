from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.lib.permissions import Verdict, allow, deny
from pepiniere.organisations.models import JoinRequest, MemberRole, Membership, Organisation
from pepiniere.organisations.selectors import organisations_followed_by


def can_view_organisation(user: Any, organisation: Organisation) -> Verdict:
    if (
        user.is_authenticated
        and Membership.objects.filter(user=user, organisation=organisation).exists()
    ):
        return allow()
    return deny(_("Vous n'êtes pas membre de cette structure."))


def can_manage_organisation(user: Any, organisation: Organisation) -> Verdict:
    if (
        user.is_authenticated
        and Membership.objects.filter(
            user=user, organisation=organisation, role=MemberRole.OWNER
        ).exists()
    ):
        return allow()
    return deny(_("Seul·e un·e responsable de la structure peut la modifier."))


def can_decide_join_request(user: Any, join_request: JoinRequest) -> Verdict:
    """A member of the organisation, or an officer of a funder the organisation applied to."""
    if not user.is_authenticated:
        return deny(_("Connectez-vous."))
    if join_request.user_id == user.pk:
        return deny(_("Une autre personne doit confirmer votre demande."))
    organisation = join_request.organisation
    if Membership.objects.filter(user=user, organisation=organisation).exists():
        return allow()
    if any(
        Organisation.objects.filter(pk=organisation.pk, pk__in=followed).exists()
        for followed in organisations_followed_by(user)
    ):
        return allow()
    return deny(_("Seul·es les membres de la structure peuvent confirmer cette demande."))
