from __future__ import annotations

from django.db import transaction

from pepiniere.accounts.models import Role, RoleGrant, User
from pepiniere.audit.services import record


@transaction.atomic
def register_applicant(*, email: str, full_name: str, password: str, language: str = "fr") -> User:
    user = User.objects.create_user(
        email=email, password=password, full_name=full_name, language=language
    )
    RoleGrant.objects.create(user=user, role=Role.APPLICANT)
    record(actor=user, obj=user, action="sign_up")
    return user
