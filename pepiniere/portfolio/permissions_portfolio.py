"""Who reads the portfolio and an organisation's follow-up page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.applications.permissions import is_member
from pepiniere.grants.models import AwardShare
from pepiniere.lib.permissions import Verdict, allow, deny
from pepiniere.organisations.models import Organisation
from pepiniere.portfolio.hooks import support_events
from pepiniere.portfolio.selectors_portfolio import PORTFOLIO_ROLES, portfolio_funder_ids


def can_view_portfolio(user: Any) -> Verdict:
    """The list of supported organisations: officers and finance staff of a funder (finance
    reads it like the officers; nothing on it changes anything), administrators."""
    if not user.is_authenticated:
        return deny(_("Connectez-vous."))
    # Roles only (read once per request, shared with the menu): an officer's list holds the
    # organisations their own funders supported, nothing else.
    if any(user.has_role(role) for role in (Role.ADMIN, *PORTFOLIO_ROLES)):
        return allow()
    return deny(
        _(
            "Le portefeuille des structures soutenues est réservé aux chargé·es de mission et aux "
            "services financiers des financeurs."
        )
    )


def supported_by(funder_ids: set[int] | None, organisation: Organisation | int) -> bool:
    """Whether one of these funders (None: any) pays a share of an award to the organisation."""
    if funder_ids is None:
        return True
    if not funder_ids:
        return False
    return AwardShare.objects.filter(
        award__application__organisation=organisation, funder_id__in=funder_ids
    ).exists()


@dataclass(frozen=True)
class PageAccess:
    """Who reads an organisation's page, worked out once for the view and its reads."""

    verdict: Verdict
    as_member: bool = False
    funder_ids: set[int] | None = field(default_factory=set)


def organisation_page_access(user: Any, organisation: Organisation) -> PageAccess:
    """An organisation's follow-up page: its own members (read-only), and the officers and finance
    staff of a funder that supported it. Anyone else is told nothing (the view answers 404)."""
    if not user.is_authenticated:
        return PageAccess(deny(_("Connectez-vous.")))
    if is_member(user, organisation):
        return PageAccess(allow(), as_member=True, funder_ids=None)
    funder_ids = portfolio_funder_ids(user)
    if funder_ids is not None and not funder_ids:
        # Neither a member nor funder staff: no need to ask the database about awards.
        return PageAccess(deny(_("Cette structure n'est pas suivie par votre financeur.")))
    if supported_by(funder_ids, organisation) or support_events(organisation.pk, funder_ids):
        return PageAccess(allow(), funder_ids=funder_ids)
    return PageAccess(deny(_("Cette structure n'est pas suivie par votre financeur.")))


def can_view_organisation_page(user: Any, organisation: Organisation) -> Verdict:
    return organisation_page_access(user, organisation).verdict
