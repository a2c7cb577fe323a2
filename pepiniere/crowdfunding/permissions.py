"""Who may see or do what on a campaign: the association's members run it, the officers (and
finance staff) of the match-funding call's funder follow and close it, anyone reads the public
page of live campaigns (without the payers' names)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.applications.permissions import is_member
from pepiniere.calls.models import Call
from pepiniere.calls.permissions import is_call_staff
from pepiniere.crowdfunding.models import Campaign, CampaignStatus
from pepiniere.crowdfunding.workflow import PLEDGES_OPEN
from pepiniere.lib.permissions import Verdict, allow, deny
from pepiniere.organisations.models import Organisation, OrganisationKind


def is_match_staff(user: Any, call: Call) -> bool:
    return is_call_staff(user, call, Role.OFFICER) or is_call_staff(user, call, Role.FINANCE)


def can_run_campaigns(user: Any, organisation: Organisation) -> Verdict:
    """Create campaigns: the members of an association."""
    if not user.is_authenticated:
        return deny(_("Connectez-vous pour gérer vos campagnes."))
    if not is_member(user, organisation):
        return deny(_("Vous n'êtes pas membre de cette structure."))
    if organisation.kind != OrganisationKind.ASSOCIATION:
        return deny(
            _(
                "L'abondement des campagnes de financement participatif est réservé aux associations."
            )
        )
    return allow()


def can_view_campaign(user: Any, campaign: Campaign) -> Verdict:
    """The whole campaign, pledges and payers' names included."""
    if not user.is_authenticated:
        return deny(_("Connectez-vous pour voir cette campagne."))
    if is_member(user, campaign.organisation_id):
        return allow(_("Vous êtes membre de l'association."))
    if campaign.status != CampaignStatus.DRAFT and is_match_staff(user, campaign.call):
        return allow(_("Vous suivez l'abondement pour le financeur."))
    return deny(_("Cette campagne ne vous est pas accessible."))


def can_edit_campaign(user: Any, campaign: Campaign) -> Verdict:
    if not is_member(user, campaign.organisation_id):
        return deny(_("Seuls les membres de l'association modifient la campagne."))
    if campaign.status != CampaignStatus.DRAFT:
        return deny(_("Une campagne lancée ne se modifie plus."))
    return allow()


def can_record_pledges(user: Any, campaign: Campaign) -> Verdict:
    """Import or enter pledges: the association's members, until the campaign is closed."""
    if not is_member(user, campaign.organisation_id):
        return deny(_("Seuls les membres de l'association enregistrent les contributions."))
    if campaign.status not in PLEDGES_OPEN:
        return deny(_("La campagne est clôturée : ses contributions ne changent plus."))
    return allow()


def can_manage_match_funding(user: Any, call: Call) -> Verdict:
    """Rules, pool, the campaigns of the call, closing by hand: the funder's officers and
    finance staff."""
    if is_match_staff(user, call):
        return allow()
    return deny(
        _("L'abondement est réservé aux chargé·es de mission et services financiers du financeur.")
    )
