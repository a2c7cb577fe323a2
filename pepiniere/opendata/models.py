"""Open data: each funder's publication policy and the lines its officers withhold.

What is published is computed from live data (signed agreements, see export.py); these models
only hold the funder's choice to publish agreements under 23 000 € and the withheld lines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pepiniere.lib.money import MoneyField


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


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", _("aperçu, en attente de confirmation")
    IMPORTED = "imported", _("importé")
    CANCELLED = "cancelled", _("annulé")
    REFUSED = "refused", _("refusé")


class ImportOutcome(models.TextChoices):
    """What became of one record of an imported file (the report's `resultat` column)."""

    IMPORTED = "imported", _("importée")
    FLAGGED = "flagged", _("importée avec une alerte")
    REJECTED = "rejected", _("refusée")
    DUPLICATE = "duplicate", _("doublon, déjà importée")


def import_path(batch: ImportBatch, filename: str) -> str:
    return f"opendata/imports/{timezone.now():%Y/%m}/{filename}"


class ImportBatch(models.Model):
    """One file of historical grants (SCDL or 360Giving) uploaded by an officer or given to
    `pepiniere import_grants`: the file itself is kept (the preview and the confirmed import
    read the same bytes), with its report and the counts per outcome."""

    funder = models.ForeignKey(
        "programmes.Funder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grant_imports",
        verbose_name=_("financeur qui importe"),
    )
    file = models.FileField(_("fichier"), upload_to=import_path, max_length=200)
    file_name = models.CharField(_("nom du fichier"), max_length=200)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    format = models.CharField(_("format"), max_length=10, blank=True)
    encoding = models.CharField(_("encodage"), max_length=20, blank=True)
    delimiter = models.CharField(_("séparateur"), max_length=2, blank=True)
    status = models.CharField(
        _("état"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEW
    )
    refusal = models.TextField(_("motif du refus du fichier"), blank=True)
    report = models.FileField(_("rapport (CSV)"), upload_to=import_path, max_length=200, blank=True)
    records = models.PositiveIntegerField(_("enregistrements"), default=0)
    imported = models.PositiveIntegerField(_("importées"), default=0)
    flagged = models.PositiveIntegerField(_("importées avec une alerte"), default=0)
    rejected = models.PositiveIntegerField(_("refusées"), default=0)
    duplicate = models.PositiveIntegerField(_("doublons"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("déposé par"),
    )
    uploaded_at = models.DateTimeField(_("déposé le"))
    confirmed_at = models.DateTimeField(_("importé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("import de subventions historiques")
        verbose_name_plural = _("imports de subventions historiques")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.uploaded_at:%Y-%m-%d %H:%M})"

    def counts(self) -> dict[str, int]:
        return {outcome: getattr(self, outcome) for outcome in ImportOutcome.values}


class ImportedGrant(models.Model):
    """One grant read from a funder's published file, as written there (names cleaned,
    identifiers normalised), with the problems noted (`flags`) and the raw record. The
    beneficiary is matched to an organisation by SIREN (one is created, unverified, when none
    exists); de minimis aid is also written to the organisation's ledger (`aid_record`)."""

    batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, related_name="grants", verbose_name=_("import")
    )
    record_number = models.PositiveIntegerField(_("n° d'enregistrement dans le fichier"))
    fingerprint = models.CharField(_("empreinte"), max_length=64, unique=True)
    funder = models.ForeignKey(
        "programmes.Funder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="imported_grants",
        verbose_name=_("financeur sur la plateforme"),
    )
    funder_name = models.CharField(_("nom de l'attribuant"), max_length=255, blank=True)
    funder_siret = models.CharField(_("identifiant de l'attribuant"), max_length=20, blank=True)
    beneficiary_name = models.CharField(_("nom du bénéficiaire"), max_length=255, blank=True)
    beneficiary_siret = models.CharField(_("SIRET du bénéficiaire"), max_length=14, blank=True)
    beneficiary_siren = models.CharField(
        _("SIREN du bénéficiaire"), max_length=9, blank=True, db_index=True
    )
    beneficiary_rna = models.CharField(_("RNA du bénéficiaire"), max_length=10, blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="imported_grants",
        verbose_name=_("structure"),
    )
    amount = MoneyField(_("montant total"))
    share = models.DecimalField(
        _("part du bénéficiaire"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    agreement_date = models.DateField(_("date de la convention"))
    reference = models.CharField(_("référence de la décision"), max_length=255, blank=True)
    object = models.TextField(_("objet"), blank=True)
    nature = models.CharField(_("nature"), max_length=100, blank=True)
    payment_terms = models.CharField(_("conditions de versement"), max_length=255, blank=True)
    payment_dates = models.CharField(_("date ou période de versement"), max_length=100, blank=True)
    rae_id = models.CharField(_("identifiant RAE"), max_length=20, blank=True)
    eu_notified = models.BooleanField(
        _("notificationUE : aide de minimis notifiée à la Commission européenne"),
        null=True,
        blank=True,
    )
    aid_scheme = models.CharField(_("dispositif d'aide"), max_length=255, blank=True)
    de_minimis = models.BooleanField(_("aide de minimis"), default=False)
    aid_record = models.OneToOneField(
        "grants.AidRecord",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imported_grant",
        verbose_name=_("ligne du registre de minimis"),
    )
    flags = models.JSONField(_("alertes"), default=list, blank=True)
    raw = models.JSONField(_("enregistrement tel que lu"), default=dict)

    class Meta:
        verbose_name = _("subvention importée")
        verbose_name_plural = _("subventions importées")
        ordering = ["batch", "record_number"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="imported_grant_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.funder_name} → {self.beneficiary_name} ({self.agreement_date})"
