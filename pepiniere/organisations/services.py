from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from pepiniere.accounts.models import User
from pepiniere.audit.services import record
from pepiniere.organisations.models import MemberRole, Membership, Organisation


class OrganisationError(Exception):
    pass


@transaction.atomic
def create_organisation(*, actor: Any, data: dict[str, Any]) -> Organisation:
    organisation = Organisation(**data)
    organisation.save()
    Membership.objects.create(user=actor, organisation=organisation, role=MemberRole.OWNER)
    record(actor=actor, obj=organisation, action="create")
    return organisation


@transaction.atomic
def update_organisation(
    *, organisation: Organisation, actor: Any, data: dict[str, Any]
) -> Organisation:
    for name, value in data.items():
        setattr(organisation, name, value)
    organisation.save()
    record(actor=actor, obj=organisation, action="update")
    return organisation


@transaction.atomic
def add_member(*, organisation: Organisation, actor: Any, email: str) -> Membership:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise OrganisationError(
            _(
                "Aucun compte n'existe avec l'adresse %(email)s : demandez à cette personne de créer son compte."
            )
            % {"email": email}
        )
    membership, created = Membership.objects.get_or_create(user=user, organisation=organisation)
    if not created:
        raise OrganisationError(_("%(email)s est déjà membre de la structure.") % {"email": email})
    record(actor=actor, obj=organisation, action="add_member", reason=user.email)
    return membership
