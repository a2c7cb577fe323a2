"""Instalments, payment requests with their statement of expenses, payment runs and orders,
recoveries. The lifecycles are in workflow.py; the services (services.py and the modules it gathers)
are the only code that changes a status.

Money never leaves twice, and the database says so on its own:
- an instalment is in at most one payment order that is not cancelled (partial unique index);
- the sum paid on an award never exceeds it: every confirmed payment adds to
  ``GrantAccount.paid`` by ``F("paid") + amount`` under the row lock, and a CHECK keeps
  ``paid <= ceiling`` (the amount of the agreement in force);
- the person who authorises an instalment is not the person who checked it (CHECK)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from pepiniere.agreements.models import Trigger
from pepiniere.lib.money import MoneyField


class InstalmentStatus(models.TextChoices):
    PLANNED = "planned", _("prévue")
    REQUESTED = "requested", _("demandée")
    CHECKED = "checked", _("vérifiée")
    AUTHORISED = "authorised", _("autorisée")
    ORDERED = "ordered", _("mise en paiement")
    PAID = "paid", _("versée")
    CANCELLED = "cancelled", _("annulée")


class GrantAccount(models.Model):
    """The payment account of one award: how much the agreement in force allows (`ceiling`) and
    how much has been paid and recovered. Confirming a payment locks this row and adds to `paid`;
    the CHECK refuses any total above the ceiling, whatever the code does."""

    award = models.OneToOneField(
        "grants.Award",
        on_delete=models.PROTECT,
        related_name="payment_account",
        verbose_name=_("aide attribuée"),
    )
    ceiling = MoneyField(_("montant de la convention en vigueur"))
    paid = MoneyField(_("versé"), default=Decimal("0"))
    recovered = MoneyField(_("reversé"), default=Decimal("0"))
    released = MoneyField(_("engagement libéré"), default=Decimal("0"))
    closed_at = models.DateTimeField(_("soldée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("compte de versement d'une aide")
        verbose_name_plural = _("comptes de versement des aides")
        constraints = [
            models.CheckConstraint(
                condition=Q(paid__gte=0, paid__lte=F("ceiling")),
                name="grant_paid_within_agreement",
            ),
            models.CheckConstraint(
                condition=Q(recovered__gte=0, recovered__lte=F("paid")),
                name="grant_recovered_within_paid",
            ),
            models.CheckConstraint(condition=Q(ceiling__gte=0), name="grant_ceiling_positive"),
        ]

    def __str__(self) -> str:
        return str(self.award)

    @property
    def net_paid(self) -> Decimal:
        return self.paid - self.recovered


class Instalment(models.Model):
    """One step of an award's schedule (tranche): planned at signature from the agreement
    version's schedule, requested by the beneficiary, checked by an officer, authorised by
    finance, put in a payment run, confirmed paid."""

    award = models.ForeignKey(
        "grants.Award",
        on_delete=models.PROTECT,
        related_name="instalments",
        verbose_name=_("aide attribuée"),
    )
    version = models.ForeignKey(
        "agreements.AgreementVersion",
        on_delete=models.PROTECT,
        related_name="instalments",
        verbose_name=_("version de la convention"),
    )
    position = models.PositiveSmallIntegerField(_("rang"))
    label = models.CharField(_("libellé"), max_length=200)
    percent = models.DecimalField(_("pourcentage"), max_digits=5, decimal_places=2)
    trigger = models.CharField(_("déclencheur"), max_length=20, choices=Trigger.choices)
    planned_amount = MoneyField(_("montant prévu à l'échéancier"))
    amount = MoneyField(
        _("montant"),
        help_text=_("Le solde est recalculé à la vérification de l'état des dépenses."),
    )
    status = models.CharField(
        _("statut"),
        max_length=12,
        choices=InstalmentStatus.choices,
        default=InstalmentStatus.PLANNED,
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("vérifiée par"),
    )
    checked_at = models.DateTimeField(_("vérifiée le"), null=True, blank=True)
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("autorisée par"),
    )
    authorised_at = models.DateTimeField(_("autorisée le"), null=True, blank=True)
    paid_at = models.DateTimeField(_("versée le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    note = models.CharField(_("observation"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("tranche de versement")
        verbose_name_plural = _("tranches de versement")
        ordering = ["award", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="instalment_amount_positive"),
            # Four-eyes, kept by the database too: never authorised by the person who checked.
            models.CheckConstraint(
                condition=Q(authorised_by__isnull=True)
                | Q(checked_by__isnull=True)
                | ~Q(authorised_by=F("checked_by")),
                name="instalment_four_eyes",
            ),
            models.UniqueConstraint(
                fields=["award", "position"],
                condition=~Q(status="cancelled"),
                name="one_live_instalment_per_position",
            ),
        ]
        indexes = [models.Index(fields=["status", "award"])]

    def __str__(self) -> str:
        return self.name_of(application=str(self.award.application), label=self.label)

    @staticmethod
    def name_of(*, application: str, label: str) -> str:
        return f"{application} — {label}"

    @property
    def is_final(self) -> bool:
        return self.trigger == Trigger.FINAL_REPORT

    @property
    def needs_report(self) -> bool:
        return self.trigger != Trigger.SIGNATURE


class PaymentRequest(models.Model):
    """The beneficiary's request for one instalment, with its report and statement of expenses.
    A returned request stays (returned_at, reason) and the next one is a new row."""

    instalment = models.ForeignKey(
        Instalment,
        on_delete=models.CASCADE,
        related_name="requests",
        verbose_name=_("tranche"),
    )
    report = models.TextField(_("rapport d'exécution"), blank=True)
    report_file = models.FileField(
        _("rapport (fichier)"), upload_to="payments/reports/%Y/", blank=True
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("demandée par"),
    )
    submitted_at = models.DateTimeField(_("demandée le"))
    returned_at = models.DateTimeField(_("renvoyée le"), null=True, blank=True)
    return_reason = models.TextField(_("motif du renvoi"), blank=True)

    class Meta:
        verbose_name = _("demande de versement")
        verbose_name_plural = _("demandes de versement")
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return str(self.instalment)


class ExpenseLine(models.Model):
    """One line of a statement of expenses (état récapitulatif des dépenses), as the beneficiary
    declared it and as the officer accepted (in full or in part) or refused it."""

    request = models.ForeignKey(
        PaymentRequest,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=_("demande de versement"),
    )
    position = models.PositiveSmallIntegerField(_("rang"))
    category = models.CharField(_("catégorie de dépense"), max_length=100)
    supplier = models.CharField(_("fournisseur"), max_length=200)
    invoice_reference = models.CharField(_("référence de la facture"), max_length=100)
    invoice_date = models.DateField(_("date de la facture"))
    amount_excl_vat = MoneyField(_("montant HT"))
    amount_incl_vat = MoneyField(_("montant TTC"))
    accepted = models.BooleanField(_("retenue"), null=True, blank=True)
    accepted_amount = MoneyField(_("montant retenu"), null=True, blank=True)
    refusal_reason = models.CharField(_("motif du refus"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("ligne de l'état des dépenses")
        verbose_name_plural = _("lignes de l'état des dépenses")
        ordering = ["request", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_excl_vat__gte=0, amount_incl_vat__gte=F("amount_excl_vat")),
                name="expense_amounts_consistent",
            ),
            models.CheckConstraint(
                condition=Q(accepted_amount__isnull=True)
                | Q(accepted_amount__gte=0, accepted_amount__lte=F("amount_excl_vat")),
                name="expense_accepted_within_declared",
            ),
            models.CheckConstraint(
                condition=~Q(accepted=False) | ~Q(refusal_reason=""),
                name="expense_refusal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} {self.invoice_reference}"


class FinancialReportLine(models.Model):
    """For associations, one line of the final financial report (compte rendu financier de
    subvention, CERFA n° 15059): a line of the action's budget as planned and as spent, with a
    comment on the gap."""

    request = models.ForeignKey(
        PaymentRequest,
        on_delete=models.CASCADE,
        related_name="report_lines",
        verbose_name=_("demande de versement"),
    )
    position = models.PositiveSmallIntegerField(_("rang"))
    heading = models.CharField(_("poste du budget"), max_length=150)
    planned = MoneyField(_("prévu"))
    spent = MoneyField(_("réalisé"))
    comment = models.CharField(_("explication de l'écart"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("ligne du compte rendu financier")
        verbose_name_plural = _("lignes du compte rendu financier")
        ordering = ["request", "position"]

    def __str__(self) -> str:
        return self.heading


class FinancialYearEnd(models.Model):
    """When an organisation's financial year ends, when it is not 31 December (the final report
    of an association is due within six months of the end of the financial year)."""

    organisation = models.OneToOneField(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="financial_year_end",
        verbose_name=_("structure"),
    )
    month = models.PositiveSmallIntegerField(_("mois de clôture"))
    day = models.PositiveSmallIntegerField(_("jour de clôture"))

    class Meta:
        verbose_name = _("clôture de l'exercice comptable")
        verbose_name_plural = _("clôtures des exercices comptables")
        constraints = [
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12, day__gte=1, day__lte=31),
                name="financial_year_end_is_a_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.day}/{self.month}"

    def end_of_year(self, year: int) -> datetime.date:
        """The end of the financial year that ends in `year` (29 February → 28 in other years)."""
        day = self.day
        while True:
            try:
                return datetime.date(year, self.month, day)
            except ValueError:
                day -= 1


class ReportReminder(models.Model):
    """A reminder of a financial report due date, queued once per instalment and kind."""

    instalment = models.ForeignKey(
        Instalment,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("tranche"),
    )
    due_on = models.DateField(_("date limite"))
    sent_at = models.DateTimeField(_("relance envoyée le"))
    recipients = models.JSONField(_("destinataires"), default=list)

    class Meta:
        verbose_name = _("relance de compte rendu")
        verbose_name_plural = _("relances de compte rendu")
        constraints = [
            models.UniqueConstraint(
                fields=["instalment", "due_on"], name="one_reminder_per_due_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instalment} — {self.due_on}"


class RunStatus(models.TextChoices):
    CREATED = "created", _("à payer")
    PARTLY_PAID = "partly_paid", _("payée en partie")
    PAID = "paid", _("payée")


class PaymentRun(models.Model):
    """A batch of payment orders sent to the public accountant (and, for payers that pay by bank,
    to the bank as a SEPA credit transfer file)."""

    funder = models.ForeignKey(
        "programmes.Funder",
        on_delete=models.PROTECT,
        related_name="payment_runs",
        verbose_name=_("financeur"),
    )
    reference = models.CharField(_("référence"), max_length=35, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("créée par"),
    )
    created_at = models.DateTimeField(_("créée le"))
    execution_date = models.DateField(_("date d'exécution demandée"))
    status = models.CharField(
        _("statut"), max_length=12, choices=RunStatus.choices, default=RunStatus.CREATED
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("paiement confirmé par"),
    )
    confirmed_at = models.DateTimeField(_("paiement confirmé le"), null=True, blank=True)
    exported_at = models.DateTimeField(_("dernier export le"), null=True, blank=True)

    class Meta:
        verbose_name = _("lot de paiement")
        verbose_name_plural = _("lots de paiement")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference


class OrderStatus(models.TextChoices):
    ORDERED = "ordered", _("à payer")
    PAID = "paid", _("payé")
    CANCELLED = "cancelled", _("annulé")


class PaymentOrder(models.Model):
    """One instalment in one payment run (one line of the mandatement file)."""

    run = models.ForeignKey(
        PaymentRun,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("lot de paiement"),
    )
    instalment = models.ForeignKey(
        Instalment,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("tranche"),
    )
    amount = MoneyField(_("montant"))
    # The payee as known when the order was made: a later change of bank details (validated or
    # not) never changes an order already sent, and --run ID writes the same file again.
    beneficiary_name = models.CharField(_("bénéficiaire"), max_length=200)
    beneficiary_siret = models.CharField(_("SIRET du bénéficiaire"), max_length=14, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.ORDERED
    )
    paid_at = models.DateTimeField(_("payé le"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmé par"),
    )

    class Meta:
        verbose_name = _("ordre de paiement")
        verbose_name_plural = _("ordres de paiement")
        ordering = ["run", "id"]
        constraints = [
            # Money never leaves twice: an instalment is in at most one live order.
            models.UniqueConstraint(
                fields=["instalment"],
                condition=~Q(status="cancelled"),
                name="one_live_order_per_instalment",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="order_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.end_to_end_id

    @property
    def end_to_end_id(self) -> str:
        return self.end_to_end_id_of(run_id=self.run_id, instalment_id=self.instalment_id)

    @staticmethod
    def end_to_end_id_of(*, run_id: int, instalment_id: int) -> str:
        return f"PEP-R{run_id:06d}-I{instalment_id:06d}"


class RecoveryStatus(models.TextChoices):
    RAISED = "raised", _("à émettre")
    ISSUED = "issued", _("titre émis")
    RECOVERED = "recovered", _("reversée")
    WRITTEN_OFF = "written_off", _("admise en non-valeur")


class Recovery(models.Model):
    """Money a beneficiary must pay back (ordre de reversement, then titre de recette): raised
    when the final instalment comes out negative or when a grant is terminated."""

    award = models.ForeignKey(
        "grants.Award",
        on_delete=models.PROTECT,
        related_name="recoveries",
        verbose_name=_("aide attribuée"),
    )
    amount = MoneyField(_("montant"))
    reason = models.TextField(_("motif"))
    status = models.CharField(
        _("statut"),
        max_length=12,
        choices=RecoveryStatus.choices,
        default=RecoveryStatus.RAISED,
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("émise par"),
    )
    raised_at = models.DateTimeField(_("constatée le"))
    title_reference = models.CharField(
        _("référence du titre de recette"), max_length=50, blank=True
    )
    issued_at = models.DateTimeField(_("titre émis le"), null=True, blank=True)
    settled_at = models.DateTimeField(_("soldée le"), null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("soldée par"),
    )
    settlement_note = models.TextField(_("observation"), blank=True)

    class Meta:
        verbose_name = _("reversement")
        verbose_name_plural = _("reversements")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.award.application} — {self.amount} €"


def state_label(code: str) -> str | None:
    """The French name of an instalment's, a recovery's or a run's state in the audit trail."""
    for choices in (InstalmentStatus, RecoveryStatus, RunStatus):
        if code in choices.values:
            return str(choices(code).label)
    return None
