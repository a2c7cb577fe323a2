from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One row per state change: who, when, on what, from which state to which, and why."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("auteur"),
    )
    at = models.DateTimeField(_("date"), db_index=True)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("type d'objet")
    )
    object_id = models.PositiveBigIntegerField(verbose_name=_("identifiant de l'objet"))
    object_repr = models.CharField(max_length=200, verbose_name=_("objet"))
    action = models.CharField(_("action"), max_length=50)
    from_state = models.CharField(_("état de départ"), max_length=30, blank=True)
    to_state = models.CharField(_("état d'arrivée"), max_length=30, blank=True)
    reason = models.TextField(_("motif"), blank=True)
    # Whether the entry may be shown to the applicant (internal staff actions are not).
    public = models.BooleanField(default=True, verbose_name=_("visible du porteur"))

    class Meta:
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal d'audit")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"
