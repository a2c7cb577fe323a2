"""Who may see or do what with an agreement. Every view and service goes through these."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.accounts.models import Role
from pepiniere.agreements.models import Agreement, AgreementStatus, AgreementVersion
from pepiniere.applications.permissions import is_member
from pepiniere.calls.models import Call
from pepiniere.calls.permissions import is_call_staff
from pepiniere.lib.permissions import Verdict, allow, deny


def is_agreement_staff(user: Any, call: Call) -> bool:
    """The funder's officers and finance staff follow the call's agreements (not its jury, not
    its experts)."""
    return is_call_staff(user, call, Role.OFFICER) or is_call_staff(user, call, Role.FINANCE)


def can_see_call_agreements(user: Any, call: Call) -> Verdict:
    if not user.is_authenticated:
        return deny(_("Connectez-vous."))
    if is_agreement_staff(user, call):
        return allow()
    return deny(
        _("Les conventions de cet appel sont réservées aux chargé·es de mission et aux financiers.")
    )


def can_manage_agreements(user: Any, call: Call) -> Verdict:
    """Prepare, send, amend, terminate; the call's template and schedule: the officers."""
    if is_call_staff(user, call, Role.OFFICER):
        return allow()
    return deny(
        _("Seul·es les chargé·es de mission du financeur préparent et modifient les conventions.")
    )


def can_see_agreement(user: Any, agreement: Agreement) -> bool:
    """Staff of the funder, or a member of the beneficiary once the agreement was sent."""
    call = agreement.award.application.call
    if is_agreement_staff(user, call):
        return True
    return beneficiary_sees(user, agreement)


def beneficiary_sees(user: Any, agreement: Agreement) -> bool:
    if not user.is_authenticated:
        return False
    if not is_member(user, agreement.award.application.organisation_id):
        return False
    return any(v.sent_at is not None for v in agreement.versions.all())


def can_sign_for_beneficiary(user: Any, version: AgreementVersion) -> Verdict:
    agreement = version.agreement
    if not is_member(user, agreement.award.application.organisation_id):
        return deny(_("Seul le représentant légal de la structure bénéficiaire signe pour elle."))
    if agreement.status != AgreementStatus.SENT or version.sent_at is None:
        return deny(
            _("Cette convention n'attend pas votre signature (elle est « %(s)s »).")
            % {"s": agreement.get_status_display()}
        )
    return allow()


def can_sign_for_funder(user: Any, version: AgreementVersion) -> Verdict:
    agreement = version.agreement
    application = agreement.award.application
    if not is_agreement_staff(user, application.call):
        return deny(
            _("Seul·es les chargé·es de mission et les financiers du financeur signent pour lui.")
        )
    if is_member(user, application.organisation_id):
        return deny(
            _(
                "Vous êtes membre de la structure bénéficiaire : vous ne signez pas pour le financeur."
            )
        )
    if agreement.status != AgreementStatus.SIGNED_BENEFICIARY:
        return deny(
            _("La convention doit d'abord être signée par le bénéficiaire (elle est « %(s)s »).")
            % {"s": agreement.get_status_display()}
        )
    return allow()
