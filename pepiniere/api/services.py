"""API tokens: made, named, scoped, dated and revoked by their owner on « Mon compte »."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pepiniere.accounts.models import User
from pepiniere.api.models import (
    MAX_LIFETIME_DAYS,
    PREFIX_LENGTH,
    ApiToken,
    TokenScope,
    hash_key,
    new_key,
)
from pepiniere.audit.services import record
from pepiniere.lib.dates import long_date

# More live tokens than this on one account is a sign of keys made and forgotten.
MAX_ACTIVE_TOKENS = 20


class TokenError(ValueError):
    """A token that cannot be made as asked; ``field`` names the form field at fault."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def latest_expiry(today: datetime.date | None = None) -> datetime.date:
    return (today or timezone.localdate()) + datetime.timedelta(days=MAX_LIFETIME_DAYS)


def active_tokens(user: Any) -> int:
    return ApiToken.objects.filter(
        user=user, revoked=False, expires_on__gte=timezone.localdate()
    ).count()


@transaction.atomic
def create_token(
    *, user: Any, name: str, scope: str, expires_on: datetime.date, actor: Any = None
) -> tuple[ApiToken, str]:
    """A new token of ``user`` and its key, which is never stored (only its SHA-256). Valid
    through ``expires_on`` (Paris time), from tomorrow to one year ahead. Audited."""
    name = name.strip()
    today = timezone.localdate()
    if not name:
        raise TokenError(
            _("Donnez un nom au jeton (par exemple le script qui l'utilise)."), field="name"
        )
    if len(name) > 100:
        raise TokenError(_("Le nom tient en 100 caractères au plus."), field="name")
    if scope not in TokenScope.values:
        raise TokenError(_("Choisissez les droits du jeton."), field="scope")
    if expires_on <= today:
        raise TokenError(_("La date d'expiration doit être après aujourd'hui."), field="expires_on")
    if expires_on > latest_expiry(today):
        raise TokenError(
            _("Un jeton vaut un an au plus : choisissez une date jusqu'au %(date)s.")
            % {"date": long_date(latest_expiry(today))},
            field="expires_on",
        )
    # One account's tokens are counted under a lock on the account, so that two forms sent
    # together cannot pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if active_tokens(user) >= MAX_ACTIVE_TOKENS:
        raise TokenError(
            _("Vous avez déjà %(n)d jetons actifs : révoquez ceux qui ne servent plus.")
            % {"n": MAX_ACTIVE_TOKENS}
        )
    key = new_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=hash_key(key),
        prefix=key[:PREFIX_LENGTH],
        scope=scope,
        expires_on=expires_on,
    )
    record(
        actor=actor or user,
        obj=token,
        action="create_api_token",
        to_state="active",
        reason=_("%(name)s, %(scope)s, jusqu'au %(date)s")
        % {
            "name": name,
            "scope": TokenScope(scope).label,
            "date": long_date(expires_on),
        },
    )
    return token, key


@transaction.atomic
def revoke_token(*, token: ApiToken, actor: Any) -> ApiToken:
    """Revoke a token at once (its next request gets 401). Revoking a revoked token does
    nothing (a double click, a retried request)."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked:
        return locked
    from_state = locked.status()
    locked.revoked = True
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked", "revoked_at"])
    record(
        actor=actor,
        obj=locked,
        action="revoke_api_token",
        from_state=from_state,
        to_state="revoked",
        reason=locked.name,
    )
    return locked
