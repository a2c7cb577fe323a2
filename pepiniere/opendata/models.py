"""Open data: each funder's publication policy and the lines its officers withhold.

What is published is computed from live data (signed agreements, see export.py); these models
only hold the funder's choice to publish agreements under 23 000 € and the withheld lines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicationPolicy(models.Model):
    """A funder's choice for the agreements under the 23 000 € threshold of décret n° 2017-779
    (publishing them is optional); without a row, only agreements of 23 000 € or more."""

    funder = models.OneToOneField(
        "programmes.Funder",
        on_delete=models.CASCADE,
        related_name="publication_policy",
        verbose_name=_("financeur"),
    )
    publish_below_threshold = models.BooleanField(
        _("publier aussi les conventions de moins de 23 000 €"), default=False
    )

    class Meta:
        verbose_name = _("politique de publication")
        verbose_name_plural = _("politiques de publication")

    def __str__(self) -> str:
        return str(self.funder)


class Withholding(models.Model):
    """One funder's line of one award kept out of its open data, with the legal exception given
    by the officer (article L. 311-5 and L. 311-6 of the code des relations entre le public et
    l'administration). Restoring the line deletes the row; both are audited."""

    award = models.ForeignKey(
        "grants.Award",
        on_delete=models.CASCADE,
        related_name="open_data_withholdings",
        verbose_name=_("aide attribuée"),
    )
    funder = models.ForeignKey(
        "programmes.Funder",
        on_delete=models.CASCADE,
        related_name="open_data_withholdings",
        verbose_name=_("financeur"),
    )
    reason = models.TextField(_("motif (exception légale)"))
    withheld_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("retirée par"),
    )
    withheld_at = models.DateTimeField(verbose_name=_("retirée le"))

    class Meta:
        verbose_name = _("ligne retirée des données ouvertes")
        verbose_name_plural = _("lignes retirées des données ouvertes")
        constraints = [
            models.UniqueConstraint(fields=["award", "funder"], name="one_withholding_per_line")
        ]

    def __str__(self) -> str:
        return f"{self.funder} — {self.award}"
