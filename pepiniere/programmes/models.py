from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from pepiniere.lib.money import MoneyField


class FunderKind(models.TextChoices):
    REGION = "region", _("Région")
    STATE = "state", _("État")
    BPI = "bpifrance", _("Bpifrance")
    EU = "eu", _("Union européenne (FEDER)")
    METROPOLIS = "metropolis", _("Métropole, collectivité")
    CLUSTER = "cluster", _("Pôle, cluster")
    OTHER = "other", _("Autre")


class Funder(models.Model):
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant court"), unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=FunderKind.choices)
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        help_text=_("Obligatoire pour produire les fichiers de paiement (mandatement, SEPA)."),
    )
    website = models.URLField(_("site web"), blank=True)
    # The account payments leave from (SEPA debtor); the mandatement file needs only the SIRET.
    iban = models.CharField(_("IBAN du compte payeur"), max_length=34, blank=True)
    bic = models.CharField(_("BIC du compte payeur"), max_length=11, blank=True)

    class Meta:
        verbose_name = _("financeur")
        verbose_name_plural = _("financeurs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """IBAN and BIC checked and written as banks exchange them (capitals, no spaces); the BIC
        derived from the IBAN when schwifty's bank registry knows the bank."""
        from django.core.exceptions import ValidationError

        from pepiniere.organisations.identifiers import (
            bank_of_iban,
            clean_bic,
            clean_iban,
            clean_siret,
        )

        errors: dict[str, list[str]] = {}
        if self.siret:
            try:
                self.siret = clean_siret(self.siret)
            except ValidationError as error:
                errors["siret"] = error.messages
        if self.iban:
            try:
                self.iban = clean_iban(self.iban)
            except ValidationError as error:
                errors["iban"] = error.messages
            else:
                derived, _bank = bank_of_iban(self.iban)
                self.bic = derived or self.bic
        if self.bic:
            try:
                self.bic = clean_bic(self.bic)
            except ValidationError as error:
                errors["bic"] = error.messages
        if errors:
            raise ValidationError(errors)


class Programme(models.Model):
    """A roadmap (feuille de route) over a period, split into priority axes with budgets."""

    funder = models.ForeignKey(
        Funder, verbose_name=_("financeur"), on_delete=models.PROTECT, related_name="programmes"
    )
    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("identifiant court"), unique=True)
    description = models.TextField(_("description"), blank=True)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-start_date", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="programme_period_order",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def budget(self) -> Decimal:
        return sum((axis.budget for axis in self.axes.all()), Decimal("0"))


class Axis(models.Model):
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="axes"
    )
    code = models.SlugField(_("code"))
    title = models.CharField(_("intitulé"), max_length=200)
    budget = MoneyField(_("budget"))
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("axe prioritaire")
        verbose_name_plural = _("axes prioritaires")
        ordering = ["programme", "position"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="unique_axis_code"),
            models.CheckConstraint(condition=models.Q(budget__gte=0), name="axis_budget_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class LabelKind(models.TextChoices):
    TERRITORY = "territory", _("territoire")
    ORGANISATION = "organisation", _("structure")


class Label(models.Model):
    """A label (a « dispositif » of a funder, or of a body that is not one): the French Tech label
    of metropolises, a start-up label. Held over dates by territories or by organisations."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant court"), unique=True)
    kind = models.CharField(_("détenu par"), max_length=20, choices=LabelKind.choices)
    awarding_funder = models.ForeignKey(
        Funder,
        verbose_name=_("financeur qui le décerne"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="labels",
    )
    awarding_body = models.CharField(
        _("organisme qui le décerne (s'il n'est pas un financeur)"), max_length=200, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))

    class Meta:
        verbose_name = _("label")
        verbose_name_plural = _("labels")
        ordering = ["name"]
        constraints = [
            # Awarded by a funder of the platform or by a body named in words, never both.
            models.CheckConstraint(
                condition=(models.Q(awarding_funder__isnull=False) & models.Q(awarding_body=""))
                | (models.Q(awarding_funder__isnull=True) & ~models.Q(awarding_body="")),
                name="label_one_awarding_body",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def awarded_by(self) -> str:
        return self.awarding_funder.name if self.awarding_funder else self.awarding_body


class LabelHolding(models.Model):
    """A label held from a date (to a date, inclusive) by one organisation or by one territory: a
    département and/or a list of communes (a metropolis: its communes' INSEE codes)."""

    label = models.ForeignKey(
        Label, verbose_name=_("label"), on_delete=models.PROTECT, related_name="holdings"
    )
    # Copied from the label when the holding is granted (services.grant_label): the check
    # constraint below reads it, since a constraint cannot read the label's row.
    holder_kind = models.CharField(_("type de titulaire"), max_length=20, choices=LabelKind.choices)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("structure"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="label_holdings",
    )
    territory_name = models.CharField(
        _("nom du territoire"),
        max_length=200,
        blank=True,
        help_text=_("Par exemple « Bordeaux Métropole »."),
    )
    departement = models.ForeignKey(
        "territories.Departement",
        verbose_name=_("département"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    communes = models.JSONField(_("communes (codes INSEE)"), default=list, blank=True)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(
        _("fin"), null=True, blank=True, help_text=_("Dernier jour où le label est détenu.")
    )
    decision_reference = models.CharField(_("référence de la décision"), max_length=200, blank=True)
    end_reason = models.CharField(_("motif de fin"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))

    class Meta:
        verbose_name = _("détention d'un label")
        verbose_name_plural = _("détentions de labels")
        ordering = ["label", "start_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(holder_kind="organisation")
                    & models.Q(organisation__isnull=False)
                    & models.Q(departement__isnull=True)
                    & models.Q(territory_name="")
                )
                | (
                    models.Q(holder_kind="territory")
                    & models.Q(organisation__isnull=True)
                    & ~models.Q(territory_name="")
                ),
                name="label_holding_one_kind_of_holder",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="label_holding_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} — {self.holder_name}"

    @property
    def holder_name(self) -> str:
        if self.organisation_id is not None and self.organisation is not None:
            return self.organisation.name
        return self.territory_name

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    def covers(self, *, commune_code: str, departement_id: str | None) -> bool:
        """Whether a place (an organisation's commune and département) is in the territory."""
        if self.departement_id is not None and self.departement_id == departement_id:
            return True
        return bool(commune_code) and commune_code in (self.communes or [])
