from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.lib.permissions import Verdict, allow, deny
from pepiniere.organisations.models import JoinRequest, MemberRole, Membership, Organisation


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
    from pepiniere.accounts.models import Role
    from pepiniere.applications.models import Application, Status

    funders = user.funder_ids(Role.OFFICER)
    if (
        funders
        and Application.objects.filter(organisation=organisation, call__funder_id__in=funders)
        .exclude(status=Status.DRAFT)
        .exists()
    ):
        return allow()
    return deny(_("Seul·es les membres de la structure peuvent confirmer cette demande."))
