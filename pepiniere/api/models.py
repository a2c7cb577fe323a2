from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A token lives 90 days unless its owner chooses otherwise, one year at most: long enough for a
# yearly reporting script, short enough that a forgotten key stops working on its own.
DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 365
# The characters of a key shown in lists, so that its owner recognises it (never the whole key).
PREFIX_LENGTH = 12


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def default_expiry(today: datetime.date | None = None) -> datetime.date:
    return (today or timezone.localdate()) + datetime.timedelta(days=DEFAULT_LIFETIME_DAYS)


class TokenScope(models.TextChoices):
    READ = "read", _("lecture seule")
    READ_WRITE = "read_write", _("lecture et écriture")


class TokenStatus(models.TextChoices):
    ACTIVE = "active", _("actif")
    EXPIRED = "expired", _("expiré")
    REVOKED = "revoked", _("révoqué")


class ApiToken(models.Model):
    """A machine client's token. Only its hash is stored; the key is shown once, at creation.
    It works through its expiry date (Paris time) included, until it is revoked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("compte"),
    )
    name = models.CharField(_("nom"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, verbose_name=_("empreinte de la clé"))
    prefix = models.CharField(_("début de la clé"), max_length=PREFIX_LENGTH, blank=True)
    scope = models.CharField(
        _("droits"), max_length=10, choices=TokenScope.choices, default=TokenScope.READ
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))
    expires_on = models.DateField(_("expire le"), default=default_expiry)
    last_used_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("dernière utilisation le")
    )
    revoked = models.BooleanField(default=False, verbose_name=_("révoqué"))
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    def status(self, today: datetime.date | None = None) -> str:
        if self.revoked:
            return TokenStatus.REVOKED
        if self.expires_on < (today or timezone.localdate()):
            return TokenStatus.EXPIRED
        return TokenStatus.ACTIVE

    def status_label(self) -> str:
        return str(TokenStatus(self.status()).label)

    @property
    def may_write(self) -> bool:
        return self.scope == TokenScope.READ_WRITE

    @classmethod
    def issue(cls, *, user: Any, name: str, **fields: Any) -> tuple[ApiToken, str]:
        """A new token and its key (not audited: see api.services.create_token for people)."""
        key = new_key()
        token = cls.objects.create(
            user=user, name=name, key_hash=hash_key(key), prefix=key[:PREFIX_LENGTH], **fields
        )
        return token, key


def new_key() -> str:
    return "pep_" + secrets.token_urlsafe(32)
