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


class Publication(models.Model):
    """One publication of a funder's open data: both files frozen as published at that moment.
    The public page serves the latest; a new one is made only when the content changed."""

    funder = models.ForeignKey(
        "programmes.Funder",
        on_delete=models.CASCADE,
        related_name="open_data_publications",
        verbose_name=_("financeur"),
    )
    published_at = models.DateTimeField(_("publiée le"), db_index=True)
    scdl = models.TextField(_("fichier SCDL subventions (CSV)"))
    giving = models.TextField(_("paquet 360Giving (JSON)"))
    lines = models.PositiveIntegerField(_("lignes publiées"))

    class Meta:
        verbose_name = _("publication de données ouvertes")
        verbose_name_plural = _("publications de données ouvertes")
        ordering = ["funder", "-published_at", "-id"]
        get_latest_by = "published_at"

    def __str__(self) -> str:
        return f"{self.funder} — {self.published_at:%Y-%m-%d %H:%M}"
