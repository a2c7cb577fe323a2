"""Match-funded crowdfunding: an association's campaign on a crowdfunding platform, its pledges,
and the rules by which the region tops it up (DESIGN.md, "Accelerator, labels, match-funded
crowdfunding").

The match-funding of a programme is one of its calls (a « call » whose applications are the
campaigns): the call's envelope is the pool, so the budget ledger's CHECK constraint (committed
never above the envelope) is what guarantees, in the database, that the pool is never overspent.
A campaign launched becomes an application to that call; when it closes, the rule selects or
refuses it and the top-up is an ordinary award (pepiniere.crowdfunding.services)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from pepiniere.lib.money import MoneyField


class ProjectType(models.TextChoices):
    STANDARD = "standard", _("projet standard")
    FLAGSHIP = "flagship", _("projet phare")
    THIRD_PLACE = "third_place", _("tiers-lieu")


class MatchRule(models.Model):
    """How the region tops up the campaigns of one project type on one match-funding call."""

    call = models.ForeignKey(
        "calls.Call",
        on_delete=models.PROTECT,
        related_name="match_rules",
        verbose_name=_("appel d'abondement"),
    )
    project_type = models.CharField(_("type de projet"), max_length=20, choices=ProjectType.choices)
    ratio_region = models.PositiveSmallIntegerField(
        _("euros de la Région"), default=1, help_text=_("Pour « 3 € pour 1 € », indiquez 3.")
    )
    ratio_raised = models.PositiveSmallIntegerField(
        _("pour euros collectés"), default=1, help_text=_("Pour « 1 € pour 3 € », indiquez 3.")
    )
    cap = MoneyField(_("plafond par projet"))
    investment_only = models.BooleanField(
        _("dépenses d'investissement seulement"),
        default=True,
        help_text=_("L'abondement ne dépasse jamais les dépenses d'investissement déclarées."),
    )
    threshold_percent = models.PositiveSmallIntegerField(
        _("seuil de réussite (% de l'objectif)"),
        default=100,
        help_text=_("Tout ou rien : rien n'est versé en dessous de ce pourcentage de l'objectif."),
    )
    decision_reference = models.CharField(
        _("référence de la délibération"),
        max_length=100,
        help_text=_("La décision qui adopte la règle, citée sur chaque aide attribuée."),
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("chargé·e de mission responsable"),
        help_text=_("La clôture automatique des campagnes décide en son nom."),
    )

    class Meta:
        verbose_name = _("règle d'abondement")
        verbose_name_plural = _("règles d'abondement")
        ordering = ["call", "project_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "project_type"], name="one_match_rule_per_call_and_type"
            ),
            models.CheckConstraint(
                condition=Q(ratio_region__gte=1, ratio_raised__gte=1), name="match_ratio_positive"
            ),
            models.CheckConstraint(condition=Q(cap__gte=0), name="match_cap_positive"),
            models.CheckConstraint(
                condition=Q(threshold_percent__gte=1, threshold_percent__lte=100),
                name="match_threshold_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_project_type_display()} — {self.ratio_label}"

    @property
    def ratio(self) -> tuple[int, int]:
        return (self.ratio_region, self.ratio_raised)

    @property
    def ratio_label(self) -> str:
        return _("%(region)s € pour %(raised)s €") % {
            "region": self.ratio_region,
            "raised": self.ratio_raised,
        }


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    LIVE = "live", _("en cours")
    ENDED = "ended", _("terminée")
    TOPPED_UP = "topped_up", _("abondée")
    REFUSED = "refused", _("non abondée")


class Campaign(models.Model):
    """An association's crowdfunding campaign. The status only changes through
    pepiniere.crowdfunding.services (workflow.py lists the transitions)."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("association"),
    )
    call = models.ForeignKey(
        "calls.Call",
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("appel d'abondement"),
    )
    project_type = models.CharField(_("type de projet"), max_length=20, choices=ProjectType.choices)
    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("présentation"), blank=True)
    target = MoneyField(_("objectif de collecte"))
    starts_at = models.DateTimeField(_("début de la collecte"))
    ends_at = models.DateTimeField(_("fin de la collecte"), db_index=True)
    platform_name = models.CharField(_("plateforme"), max_length=100)
    platform_url = models.URLField(_("adresse de la campagne sur la plateforme"), max_length=300)
    investment_expenses = MoneyField(_("dépenses d'investissement prévues"), default=Decimal("0"))
    status = models.CharField(
        _("statut"),
        max_length=12,
        choices=CampaignStatus.choices,
        default=CampaignStatus.DRAFT,
        db_index=True,
    )
    application = models.OneToOneField(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaign",
        verbose_name=_("dossier de candidature"),
    )
    top_up = MoneyField(_("abondement"), null=True, blank=True)
    outcome_code = models.CharField(_("motif (code)"), max_length=30, blank=True)
    outcome = models.TextField(_("décision"), blank=True)
    closed_at = models.DateTimeField(_("clôturée le"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("créée par"),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("campagne de financement participatif")
        verbose_name_plural = _("campagnes de financement participatif")
        ordering = ["ends_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(target__gt=0), name="campaign_target_positive"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="campaign_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(investment_expenses__gte=0), name="campaign_investment_positive"
            ),
            models.CheckConstraint(
                condition=Q(top_up__isnull=True) | Q(top_up__gt=0), name="campaign_top_up_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PledgeStatus(models.TextChoices):
    COUNTED = "counted", _("comptée")
    REFUNDED = "refunded", _("remboursée")
    FAILED = "failed", _("échouée")


class PledgeSource(models.TextChoices):
    IMPORTED = "imported", _("importée")
    MANUAL = "manual", _("saisie")


class Pledge(models.Model):
    """One contribution to a campaign. The payer's name is private: only the association and the
    funder's officers read it, never the public page."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="pledges", verbose_name=_("campagne")
    )
    amount = MoneyField(_("montant"))
    pledged_at = models.DateTimeField(_("date"))
    payer_name = models.CharField(_("nom du contributeur"), max_length=200, blank=True)
    reference = models.CharField(_("référence sur la plateforme"), max_length=100)
    status = models.CharField(
        _("statut"), max_length=10, choices=PledgeStatus.choices, default=PledgeStatus.COUNTED
    )
    source = models.CharField(_("origine"), max_length=10, choices=PledgeSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("enregistrée par"),
    )
    recorded_at = models.DateTimeField(_("enregistrée le"))

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["pledged_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "reference"], name="one_pledge_per_platform_reference"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="pledge_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.reference


def import_path(instance: PledgeImport, filename: str) -> str:
    return f"crowdfunding/{instance.campaign_id}/{instance.token}.csv"


class PledgeImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("à confirmer")
    CONFIRMED = "confirmed", _("importé")
    CANCELLED = "cancelled", _("abandonné")


class PledgeImport(models.Model):
    """A platform export uploaded for a campaign: kept privately between the preview of its
    report and its confirmation (pepiniere.crowdfunding.pledge_import reads it)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="imports", verbose_name=_("campagne")
    )
    token = models.CharField(_("jeton"), max_length=32, unique=True)
    file = models.FileField(_("fichier"), upload_to=import_path, max_length=200)
    original_name = models.CharField(_("nom du fichier"), max_length=200)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    status = models.CharField(
        _("statut"),
        max_length=10,
        choices=PledgeImportStatus.choices,
        default=PledgeImportStatus.PREVIEWED,
    )
    lines = models.PositiveIntegerField(_("lignes"), default=0)
    imported = models.PositiveIntegerField(_("importées"), default=0)
    excluded = models.PositiveIntegerField(_("exclues"), default=0)
    rejected = models.PositiveIntegerField(_("refusées"), default=0)
    duplicates = models.PositiveIntegerField(_("doublons"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("déposé par"),
    )
    uploaded_at = models.DateTimeField(_("déposé le"))
    confirmed_at = models.DateTimeField(_("confirmé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("import de contributions")
        verbose_name_plural = _("imports de contributions")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name
