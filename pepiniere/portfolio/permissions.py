"""Who may see and act on the KPI follow-up: an organisation's members on its own reports, the
officers of a funder on the organisations that funder supported (finance staff read them)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.applications.permissions import is_member
from pepiniere.grants.models import AwardShare
from pepiniere.lib.permissions import Verdict, allow, deny
from pepiniere.portfolio.models import KpiCampaign, KpiReport, ReportStatus


def staff_funder_ids(user: Any, *roles: str) -> set[int] | None:
    """The funders the user works for in one of the roles; None for an administrator (all)."""
    if not user.is_authenticated:
        return set()
    if user.has_role(Role.ADMIN):
        return None
    ids: set[int] = set()
    for role in roles or (Role.OFFICER,):
        ids |= user.funder_ids(role)
    return ids


def supported_by(organisation_id: int, funder_ids: set[int] | None) -> bool:
    """Whether one of the funders (any, for None) took part in an award to the organisation."""
    shares = AwardShare.objects.filter(award__application__organisation_id=organisation_id)
    if funder_ids is not None:
        shares = shares.filter(Q(funder_id__in=funder_ids))
    return shares.exists()


def _report_funder_staff(user: Any, report: KpiReport, *roles: str) -> bool:
    ids = staff_funder_ids(user, *roles)
    if ids is None:
        return True
    if not ids:
        return False
    if report.campaign is not None and report.campaign.funder_id in ids:
        return True
    return supported_by(report.organisation_id, ids)


def can_see_report(user: Any, report: KpiReport) -> Verdict:
    """The organisation's members; the officers and finance staff of a funder that supported it."""
    if is_member(user, report.organisation_id):
        return allow()
    if _report_funder_staff(user, report, Role.OFFICER, Role.FINANCE):
        return allow()
    return deny(_("Ce rapport d'indicateurs ne vous est pas accessible."))


def can_fill_report(user: Any, report: KpiReport) -> Verdict:
    """Enter and submit the figures: the organisation's members, while the report is open."""
    if not is_member(user, report.organisation_id):
        return deny(_("Seuls les membres de la structure renseignent ses indicateurs."))
    if not report.is_editable_by_organisation:
        return deny(
            _("Ce rapport est « %(s)s » : il n'est plus modifiable.")
            % {"s": report.get_status_display()}
        )
    return allow()


def is_report_officer(user: Any, report: KpiReport) -> bool:
    return _report_funder_staff(user, report, Role.OFFICER)


def can_review_report(user: Any, report: KpiReport) -> Verdict:
    """Validate or return a submitted report: the officers of a funder that supported the
    organisation."""
    if not is_report_officer(user, report):
        return deny(_("Seul·es les chargé·es de mission du financeur valident les indicateurs."))
    if report.status != ReportStatus.SUBMITTED:
        return deny(
            _("Seul un rapport transmis se valide ou se renvoie ; celui-ci est « %(s)s ».")
            % {"s": report.get_status_display()}
        )
    return allow()


def can_correct_report(user: Any, report: KpiReport) -> Verdict:
    """Correct figures (a baseline, a validated report) with a reason: the funder's officers."""
    if not is_report_officer(user, report):
        return deny(_("Seul·es les chargé·es de mission du financeur corrigent les indicateurs."))
    return allow()


def can_manage_campaigns(user: Any, funder_id: int) -> Verdict:
    """Launch and follow KPI campaigns of a funder: its officers."""
    ids = staff_funder_ids(user, Role.OFFICER)
    if ids is None or funder_id in ids:
        return allow()
    return deny(_("Seul·es les chargé·es de mission du financeur lancent les campagnes."))


def can_see_campaign(user: Any, campaign: KpiCampaign) -> Verdict:
    ids = staff_funder_ids(user, Role.OFFICER, Role.FINANCE)
    if ids is None or campaign.funder_id in ids:
        return allow()
    return deny(_("Cette campagne ne vous est pas accessible."))
