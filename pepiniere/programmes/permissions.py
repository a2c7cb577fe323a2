"""Who may see and manage labels: a label is a funder's instrument (« dispositif »), managed by
its officers; a label of a body that is not a funder of the platform, by the administrators."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.lib.permissions import Verdict, allow, deny
from pepiniere.programmes.models import Funder, Label


def can_view_labels(user: Any) -> Verdict:
    """The labels' management page: administrators and officers (a call may require any label)."""
    if not user.is_authenticated:
        return deny(_("Connectez-vous."))
    if user.has_role(Role.ADMIN) or user.funder_ids(Role.OFFICER):
        return allow()
    return deny(
        _("Seul·es les chargé·es de mission et les administrateur·rices gèrent les labels.")
    )


def can_create_label(user: Any, funder: Funder | None) -> Verdict:
    if not user.is_authenticated:
        return deny(_("Connectez-vous."))
    if user.has_role(Role.ADMIN):
        return allow()
    if funder is None:
        return deny(
            _("Seul·es les administrateur·rices créent un label décerné par un autre organisme.")
        )
    if funder.pk in user.funder_ids(Role.OFFICER):
        return allow()
    return deny(
        _("Seul·es les chargé·es de mission de « %(funder)s » créent ses labels.")
        % {"funder": funder.name}
    )


def can_manage_label(user: Any, label: Label) -> Verdict:
    """Grant and end its holdings."""
    if not user.is_authenticated:
        return deny(_("Connectez-vous."))
    if user.has_role(Role.ADMIN):
        return allow()
    if label.awarding_funder_id is not None and label.awarding_funder_id in user.funder_ids(
        Role.OFFICER
    ):
        return allow()
    return deny(
        _("Seul·es les chargé·es de mission de « %(body)s » attribuent ce label.")
        % {"body": label.awarded_by}
    )
