from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A machine client's token. Only its hash is stored; the key is shown once, at creation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("compte"),
    )
    name = models.CharField(_("nom"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, verbose_name=_("empreinte de la clé"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))
    last_used_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("dernière utilisation le")
    )
    revoked = models.BooleanField(default=False, verbose_name=_("révoqué"))

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @classmethod
    def issue(cls, *, user: object, name: str) -> tuple[ApiToken, str]:
        key = "pep_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, key_hash=hash_key(key)), key
