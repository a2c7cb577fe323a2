from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.calls.models import Call
from pepiniere.lib.permissions import Verdict, allow, deny


def funder_ids_of_call(call: Call) -> set[int]:
    ids = {call.funder_id}
    ids.update(f.pk for f in call.co_funders.all())
    return ids


def is_call_staff(user: Any, call: Call, role: str = Role.OFFICER) -> bool:
    """An officer (or jury / finance member) of the call's funder or one of its co-funders."""
    if not user.is_authenticated:
        return False
    if user.has_role(Role.ADMIN):
        return True
    return bool(user.funder_ids(role) & funder_ids_of_call(call))


def can_view_call(user: Any, call: Call) -> Verdict:
    if call.is_published:
        return allow()
    if is_call_staff(user, call):
        return allow(_("Vous gérez cet appel."))
    return deny(_("Cet appel n'est pas publié."))


def can_manage_call(user: Any, call: Call) -> Verdict:
    if not user.is_authenticated:
        return deny(_("Connectez-vous."))
    if is_call_staff(user, call):
        return allow()
    return deny(_("Seul·es les chargé·es de mission du financeur de cet appel peuvent le gérer."))
