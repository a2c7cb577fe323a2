"""Who may see and run selection scenarios."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.calls.models import Call
from pepiniere.calls.permissions import is_call_staff
from pepiniere.lib.permissions import Verdict, allow, deny


def can_run_scenarios(user: Any, call: Call) -> Verdict:
    """Create, run, delete scenarios and send one to the jury: officers of the call's funder."""
    if is_call_staff(user, call, Role.OFFICER):
        return allow()
    return deny(
        _("Seul·es les chargé·es de mission du financeur préparent les scénarios de sélection.")
    )


def can_view_scenarios(user: Any, call: Call) -> Verdict:
    """Read them: the officers and the jury (who decide from the one sent to them)."""
    if is_call_staff(user, call, Role.OFFICER) or is_call_staff(user, call, Role.JURY):
        return allow()
    return deny(_("Les scénarios de sélection sont réservés aux chargé·es de mission et au jury."))
