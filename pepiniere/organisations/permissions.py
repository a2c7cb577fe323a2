from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.lib.permissions import Verdict, allow, deny
from pepiniere.organisations.models import (
    BankAccount,
    BankAccountStatus,
    JoinRequest,
    MemberRole,
    Membership,
    Organisation,
)
from pepiniere.organisations.selectors import funders_supporting, organisations_followed_by


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


def _is_member(user: Any, organisation: Organisation) -> bool:
    return bool(
        user.is_authenticated
        and Membership.objects.filter(user=user, organisation=organisation).exists()
    )


def _staff_of_supporting_funder(user: Any, organisation: Organisation, roles: set[str]) -> bool:
    if not user.is_authenticated:
        return False
    funders: set[int] = set()
    for role in roles:
        funders |= user.funder_ids(role)
    return bool(funders & funders_supporting(organisation))


def can_submit_bank_details(user: Any, organisation: Organisation) -> Verdict:
    if _is_member(user, organisation):
        return allow()
    return deny(
        _("Seul·es les membres de la structure peuvent transmettre ses coordonnées bancaires.")
    )


def can_see_bank_account(user: Any, account: BankAccount) -> Verdict:
    """Members of the organisation, and the officers and finance staff of a funder that supports
    it (they check and pay)."""
    from pepiniere.accounts.models import Role

    if _is_member(user, account.organisation) or _staff_of_supporting_funder(
        user, account.organisation, {Role.OFFICER, Role.FINANCE}
    ):
        return allow()
    return deny(_("Ces coordonnées bancaires ne vous concernent pas."))


def can_decide_bank_account(user: Any, account: BankAccount) -> Verdict:
    """An officer of a funder that supports the organisation, never the person who submitted the
    details (four-eyes), while they wait."""
    from pepiniere.accounts.models import Role

    if not _staff_of_supporting_funder(user, account.organisation, {Role.OFFICER}):
        return deny(
            _(
                "Seul·e un·e chargé·e de mission d'un financeur qui soutient la structure peut "
                "valider ses coordonnées bancaires."
            )
        )
    if account.submitted_by_id == user.pk:
        return deny(
            _("Vous avez transmis ces coordonnées bancaires : une autre personne doit les valider.")
        )
    if account.status != BankAccountStatus.PENDING:
        return deny(_("Ces coordonnées bancaires ne sont plus en attente de validation."))
    return allow()
