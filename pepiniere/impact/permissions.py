"""Who reads the impact pages: the dashboard is for the officers, finance staff and
administrators of a funder, on that funder's programmes and calls; a programme's public page is
for anyone (it shows aggregates only, under statistical secrecy)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.calls.models import Call
from pepiniere.lib.permissions import Verdict, allow, deny
from pepiniere.portfolio.permissions import staff_funder_ids
from pepiniere.programmes.models import Programme

DASHBOARD_ROLES = (Role.OFFICER, Role.FINANCE)


def dashboard_funder_ids(user: Any) -> set[int] | None:
    """The funders whose impact this person reads; None: every funder (an administrator)."""
    return staff_funder_ids(user, *DASHBOARD_ROLES)


def can_view_dashboard(user: Any) -> Verdict:
    ids = dashboard_funder_ids(user)
    if ids is None or ids:
        return allow()
    return deny(
        _(
            "Le tableau de bord d'impact est réservé aux chargé·es de mission, aux services "
            "financiers des financeurs et aux administrateurs."
        )
    )


def can_view_programme(funder_ids: set[int] | None, programme: Programme) -> Verdict:
    if funder_ids is None or programme.funder_id in funder_ids:
        return allow()
    return deny(_("Ce programme n'est pas celui de votre financeur."))


def can_view_call(funder_ids: set[int] | None, call: Call) -> Verdict:
    if funder_ids is None or call.funder_id in funder_ids:
        return allow()
    if any(f.pk in funder_ids for f in call.co_funders.all()):
        return allow()
    return deny(_("Cet appel à projets n'est pas celui de votre financeur."))
