"""The impact pages' figures, computed by a task and read by the pages (about a second to a
minute of aggregate queries and estimates at a large funder's scale, a few milliseconds read).

One row per thing a page shows: the indicators of a scope for a year and a breakdown, or the
counterfactual evaluation of a scope, for one audience (officers see every cell; the public page
gets only aggregates, masked under statistical secrecy before they are stored) and one language
(labels are translated when computed). ``data_version`` is the version of the data it was
computed from (impact.freshness.data_version): when the data has moved on, the page still shows
the row, says so, and a refresh is queued."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Audience(models.TextChoices):
    OFFICER = "officer", _("chargé·es de mission")
    PUBLIC = "public", _("public")


class Part(models.TextChoices):
    INDICATORS = "indicators", _("indicateurs européens")
    EVALUATION = "evaluation", _("emplois attribuables à l'aide")


class ImpactSnapshot(models.Model):
    # impact.freshness.scope_key: programme, call, funders ("*": every funder), award years.
    scope = models.CharField(_("périmètre"), max_length=300)
    programme = models.ForeignKey(
        "programmes.Programme",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("programme"),
    )
    call = models.ForeignKey(
        "calls.Call",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("appel à projets"),
    )
    funders = models.CharField(_("financeurs"), max_length=200)  # "1,2"; "*": every funder
    audience = models.CharField(_("lecteurs"), max_length=10, choices=Audience.choices)
    part = models.CharField(_("partie de la page"), max_length=12, choices=Part.choices)
    year = models.PositiveSmallIntegerField(_("année"), default=0)  # 0: the evaluation
    dimension = models.CharField(_("détail par"), max_length=20, blank=True)
    language = models.CharField(_("langue"), max_length=8)
    payload = models.JSONField(_("chiffres"))
    computed_at = models.DateTimeField(_("calculé le"))
    seconds = models.FloatField(_("durée du calcul (s)"), default=0.0)
    data_version = models.CharField(_("version des données"), max_length=200)
    # The data version a refresh was last queued for (one task per change, not one per view).
    refresh_queued_for = models.CharField(
        _("mise à jour demandée pour la version"), max_length=200, blank=True
    )

    class Meta:
        verbose_name = _("chiffres d'impact précalculés")
        verbose_name_plural = _("chiffres d'impact précalculés")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "audience", "part", "year", "dimension", "language"],
                name="one_impact_snapshot_per_page_part",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_part_display()} — {self.scope} {self.year or ''} {self.dimension}"
