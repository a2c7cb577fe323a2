from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.lib.permissions import Verdict, allow, deny
from pepiniere.organisations.models import MemberRole, Membership, Organisation


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
