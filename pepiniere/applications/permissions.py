"""Who may see or do what on an application. Every view goes through these functions."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.applications.models import Application, Status
from pepiniere.calls.models import Call, CallPhase
from pepiniere.calls.permissions import is_call_staff
from pepiniere.lib.extension import ExtensionPoint
from pepiniere.lib.permissions import Verdict, allow, deny
from pepiniere.organisations.models import Organisation


def _known_memberships(user: Any) -> set[int]:
    """The organisations this user object is known to belong to (one user object per request)."""
    known: set[int] = user.__dict__.setdefault("_member_of", set())
    return known


def is_member(user: Any, organisation: Organisation | int) -> bool:
    """Whether the user belongs to the organisation. A yes is remembered on the user object, so
    that a view and the service it calls ask the database once; a no is always asked again, so a
    membership granted during the request counts at once."""
    if not user.is_authenticated:
        return False
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    if organisation_id in _known_memberships(user):
        return True
    if user.memberships.filter(organisation_id=organisation_id).exists():
        note_membership(user, organisation_id)
        return True
    return False


def note_membership(user: Any, organisation_id: int) -> None:
    """Record a membership already read (by ``is_member`` or in a caller's query, e.g. an
    ``Exists`` annotation), so that the permission checks of this request do not ask again."""
    _known_memberships(user).add(organisation_id)


def can_open_backoffice(user: Any) -> Verdict:
    """The back-office (« Instruction »): officers, jury members and administrators. Finance staff
    work from their own home (the budget ledgers) and the awards pages of their funder's calls."""
    if not user.is_authenticated:
        return deny(_("Connectez-vous."))
    if user.has_role(Role.OFFICER) or user.has_role(Role.JURY) or user.has_role(Role.ADMIN):
        return allow()
    return deny(_("Cet espace est réservé aux équipes des financeurs."))


def can_start_application(
    user: Any, call: Call, organisation: Organisation, *, now: datetime.datetime | None = None
) -> Verdict:
    if not user.is_authenticated:
        return deny(_("Connectez-vous pour candidater."))
    if not is_member(user, organisation):
        return deny(_("Vous n'êtes pas membre de cette structure."))
    if not call.is_published:
        return deny(_("Cet appel n'est pas publié."))
    if call.phase(now) != CallPhase.OPEN:
        return deny(_("Cet appel n'est pas ouvert aux candidatures."))
    return allow()


def can_view_application(user: Any, application: Application) -> Verdict:
    if not user.is_authenticated:
        return deny(_("Connectez-vous pour voir ce dossier."))
    if is_member(user, application.organisation_id):
        return allow(_("Vous êtes membre de la structure candidate."))
    if is_call_staff(user, application.call, Role.OFFICER) or is_call_staff(
        user, application.call, Role.JURY
    ):
        if application.status == Status.DRAFT:
            return deny(_("Un brouillon n'est visible que de la structure candidate."))
        return allow(_("Vous suivez cet appel pour le financeur."))
    return deny(_("Ce dossier ne vous est pas accessible."))


def can_read_file(user: Any, application: Application) -> Verdict:
    """The whole file: every answer (bank details included), attachments, versions, receipt,
    contact. The applicant organisation's members and the officers of the call's funder; the jury
    decides from the ranking, the summary and the amounts, never from the file (README, « Who
    sees what »)."""
    if not user.is_authenticated:
        return deny(_("Connectez-vous pour voir ce dossier."))
    if is_member(user, application.organisation_id):
        return allow(_("Vous êtes membre de la structure candidate."))
    if is_call_staff(user, application.call, Role.OFFICER):
        if application.status == Status.DRAFT:
            return deny(_("Un brouillon n'est visible que de la structure candidate."))
        return allow(_("Vous instruisez cet appel pour le financeur."))
    return deny(_("Le dossier complet est réservé au porteur et aux chargé·es de mission."))


def can_read_internal_notes(user: Any, call: Call) -> Verdict:
    """Read and write the internal notes on the call's applications: its funder's officers."""
    if is_call_staff(user, call, Role.OFFICER):
        return allow()
    return deny(_("Les notes internes sont réservées aux chargé·es de mission du financeur."))


def can_export_applications(user: Any) -> Verdict:
    """The back-office exports (every answer, SIRETs, IBANs): officers, for their funders' calls."""
    if user.is_authenticated and (user.has_role(Role.OFFICER) or user.has_role(Role.ADMIN)):
        return allow()
    return deny(_("Les exports de dossiers sont réservés aux chargé·es de mission."))


def can_edit_application(user: Any, application: Application) -> Verdict:
    if not is_member(user, application.organisation_id):
        return deny(_("Seuls les membres de la structure candidate peuvent modifier ce dossier."))
    if not application.is_editable_by_applicant:
        return deny(
            _("Ce dossier est « %(status)s » : il ne peut plus être modifié.")
            % {"status": application.get_status_display()}
        )
    return allow()


def can_withdraw_application(user: Any, application: Application) -> Verdict:
    if not is_member(user, application.organisation_id):
        return deny(_("Seuls les membres de la structure candidate peuvent retirer ce dossier."))
    from pepiniere.applications.workflow import TRANSITIONS

    if application.status not in TRANSITIONS["withdraw"].sources:
        return deny(_("Un dossier ne peut plus être retiré une fois la décision du jury prise."))
    return allow()


def can_screen_application(user: Any, application: Application) -> Verdict:
    if not user.is_authenticated:
        return deny(_("Connectez-vous."))
    if not is_call_staff(user, application.call, Role.OFFICER):
        return deny(_("Seul·es les chargé·es de mission du financeur instruisent ce dossier."))
    if application.status == Status.DRAFT:
        return deny(_("Un brouillon n'est visible que de la structure candidate."))
    return allow()


# Later stages let the people they bring in read an application (the experts it is assigned to:
# reviews/ registers at ready()). Each reader answers allow (with why) or deny.
application_readers: ExtensionPoint[Callable[[Any, Application], Verdict]] = ExtensionPoint(
    "application readers"
)


def can_read_attachment(user: Any, application: Application) -> Verdict:
    """Those who may read the whole file, and those a later stage lets read it (the experts it
    is assigned to, free of conflict)."""
    verdict = can_read_file(user, application)
    if verdict or not user.is_authenticated:
        return verdict
    for reader in application_readers:
        granted = reader(user, application)
        if granted:
            return granted
    return deny(_("Ce document ne vous est pas accessible."))
