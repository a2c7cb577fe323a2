"""Who may see or do what with an award's payments. Views and services both call these."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.applications.permissions import is_member
from pepiniere.calls.models import Call
from pepiniere.calls.permissions import is_call_staff
from pepiniere.lib.permissions import Verdict, allow, deny
from pepiniere.programmes.models import Funder


def can_see_payments(user: Any, *, organisation_id: int, call: Call) -> Verdict:
    """An award's schedule and requests: the beneficiary's members and the funder's officers and
    finance staff."""
    if not user.is_authenticated:
        return deny(_("Connectez-vous."))
    if is_member(user, organisation_id):
        return allow()
    if is_call_staff(user, call, Role.OFFICER) or is_call_staff(user, call, Role.FINANCE):
        return allow()
    return deny(_("Les versements de cette aide ne vous sont pas accessibles."))


def can_request(user: Any, *, organisation_id: int) -> Verdict:
    if is_member(user, organisation_id):
        return allow()
    return deny(_("Seuls les membres de la structure bénéficiaire demandent un versement."))


def can_check(user: Any, call: Call) -> Verdict:
    if is_call_staff(user, call, Role.OFFICER):
        return allow()
    return deny(
        _("Seul·es les chargé·es de mission du financeur vérifient les demandes de versement.")
    )


def can_authorise(user: Any, call: Call) -> Verdict:
    if is_call_staff(user, call, Role.FINANCE):
        return allow()
    return deny(_("Seuls les services financiers du financeur autorisent les versements."))


def can_manage_recoveries(user: Any, call: Call) -> Verdict:
    """Issue, record and write off recoveries: finance; an officer may raise one by terminating."""
    return can_authorise(user, call)


def is_finance_of(user: Any, funder: Funder | int) -> bool:
    if not user.is_authenticated:
        return False
    if user.has_role(Role.ADMIN):
        return True
    funder_id = funder if isinstance(funder, int) else funder.pk
    return funder_id in user.funder_ids(Role.FINANCE)


def can_run_payments(user: Any, funder: Funder) -> Verdict:
    """Create payment runs, download their files, confirm them paid: the funder's finance staff."""
    if is_finance_of(user, funder):
        return allow()
    return deny(_("Seuls les services financiers de ce financeur gèrent ses lots de paiement."))
