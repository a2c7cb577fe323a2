"""Who may award, see budgets, send letters, declare aid and read decisions."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Application
from pepiniere.applications.permissions import is_member
from pepiniere.calls.models import Call
from pepiniere.calls.permissions import is_call_staff
from pepiniere.lib.permissions import Verdict, allow, deny
from pepiniere.organisations.models import Organisation


def can_award(user: Any, call: Call) -> Verdict:
    """Award the selected applications, set co-funding: officers and finance staff of the funder."""
    if is_call_staff(user, call, Role.OFFICER) or is_call_staff(user, call, Role.FINANCE):
        return allow()
    return deny(
        _(
            "Seul·es les chargé·es de mission et les services financiers du financeur attribuent les aides."
        )
    )


def can_see_grants(user: Any, call: Call) -> Verdict:
    """The awards and budget page: officers, finance staff and the jury of the funder."""
    if can_award(user, call) or is_call_staff(user, call, Role.JURY):
        return allow()
    return deny(_("Les aides et les budgets de cet appel sont réservés aux équipes du financeur."))


def can_set_policy(user: Any, call: Call) -> Verdict:
    """Letters and de minimis settings, sending letters: the officers."""
    if is_call_staff(user, call, Role.OFFICER):
        return allow()
    return deny(
        _("Seul·es les chargé·es de mission du financeur règlent et envoient les courriers.")
    )


def can_declare_aid(user: Any, organisation: Organisation) -> Verdict:
    """Declare aid received and linked undertakings: the organisation's members."""
    if is_member(user, organisation):
        return allow()
    return deny(_("Seuls les membres de la structure déclarent ses aides."))


def can_read_decision(user: Any, application: Application) -> Verdict:
    """A decision letter: the applicant organisation's members and the funder's staff."""
    if not user.is_authenticated:
        return deny(_("Connectez-vous."))
    if is_member(user, application.organisation_id):
        return allow()
    if can_see_grants(user, application.call):
        return allow()
    return deny(_("Ce courrier ne vous est pas accessible."))


def can_confirm_link(user: Any, link: Any, *, call: Call | None = None) -> Verdict:
    """Confirm or contest a declared link to an organisation on the platform: that organisation's
    members, or an officer of a call the declaring or the linked organisation applied to (the call
    the officer acts from)."""
    if link.linked_organisation_id is None:
        return deny(_("Cette entreprise liée n'est pas inscrite sur la plateforme."))
    if is_member(user, link.linked_organisation_id):
        return allow()
    if (
        call is not None
        and is_call_staff(user, call, Role.OFFICER)
        and Application.objects.filter(
            call=call, organisation_id__in=[link.organisation_id, link.linked_organisation_id]
        ).exists()
    ):
        return allow()
    return deny(
        _(
            "Seuls les membres de l'entreprise liée ou un·e chargé·e de mission du financeur "
            "confirment ce lien."
        )
    )
