from __future__ import annotations

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
