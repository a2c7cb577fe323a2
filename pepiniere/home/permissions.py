"""Who may read a funder's ledgers and money movements."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.lib.permissions import Verdict, allow, deny

FINANCE_ROLES = (Role.FINANCE, Role.OFFICER)


def finance_funders(user: Any) -> set[int]:
    """The funders whose ledgers this person reads: those they are finance staff or officer of
    (one query). An administrator without such a role reads none: ledgers are the funder's."""
    if not user.is_authenticated:
        return set()
    return set(
        user.role_grants.filter(role__in=FINANCE_ROLES, funder__isnull=False).values_list(
            "funder_id", flat=True
        )
    )


def can_see_finance(user: Any, funder_ids: set[int]) -> Verdict:
    """The ledgers, the money movements and their exports: the funder's finance staff and
    officers (``funder_ids`` is :func:`finance_funders` of the person)."""
    if funder_ids:
        return allow()
    return deny(
        _(
            "Le suivi budgétaire est réservé aux services financiers et aux chargé·es de mission "
            "d'un financeur."
        )
    )
