"""Agreements (conventions): one per award, in versions (1 = the initial agreement, 2… = the
amendments, avenants), each with its instalment schedule, its PDF and its signatures.

The status only changes through the workflows of pepiniere.agreements.services and, for the two
signatures, pepiniere.agreements.signature_services (DESIGN.md "Lifecycles"):

    draft ──send──▶ sent ──sign (beneficiary)──▶ signed_beneficiary ──sign (funder)──▶ signed
      ▲                                                                            │
      └──────────── amend (a new version, the old one stays readable) ◀────────────┘
    signed ──close──▶ closed          any state ──terminate (reason)──▶ terminated

The agreement's status is the state of its latest version; ``current_version`` is the latest
fully signed one (the one payments follow while an amendment is being signed)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from pepiniere.lib.money import MoneyField

HUNDRED = Decimal("100")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    SENT = "sent", _("envoyée pour signature")
    SIGNED_BENEFICIARY = "signed_beneficiary", _("signée par le bénéficiaire")
    SIGNED = "signed", _("signée")
    CLOSED = "closed", _("soldée")
    TERMINATED = "terminated", _("résiliée")


class Trigger(models.TextChoices):
    """What makes an instalment payable."""

    SIGNATURE = "signature", _("à la signature")
    INTERIM_REPORT = "interim_report", _("sur rapport intermédiaire")
    FINAL_REPORT = "final_report", _("sur rapport final et état récapitulatif des dépenses")


class Agreement(models.Model):
    award = models.OneToOneField(
        "grants.Award",
        on_delete=models.PROTECT,
        related_name="agreement",
        verbose_name=_("aide attribuée"),
    )
    reference = models.CharField(_("référence"), max_length=60, unique=True)
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=AgreementStatus.choices,
        default=AgreementStatus.DRAFT,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("créée par"),
    )
    created_at = models.DateTimeField(verbose_name=_("créée le"))
    closed_at = models.DateTimeField(_("soldée le"), null=True, blank=True)
    terminated_at = models.DateTimeField(_("résiliée le"), null=True, blank=True)
    termination_reason = models.TextField(_("motif de la résiliation"), blank=True)

    class Meta:
        verbose_name = _("convention")
        verbose_name_plural = _("conventions")
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="terminated") | Q(terminated_at__isnull=False),
                name="agreement_terminated_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def current_version(self) -> AgreementVersion | None:
        """The latest fully signed version (None before the first full signature)."""
        signed = [v for v in self._versions() if v.signed_at is not None]
        return signed[-1] if signed else None

    @property
    def latest_version(self) -> AgreementVersion | None:
        versions = self._versions()
        return versions[-1] if versions else None

    def _versions(self) -> list[AgreementVersion]:
        # Ordered by number (Meta.ordering); reads a prefetch_related("versions") when there is one.
        return list(self.versions.all())


class AgreementVersion(models.Model):
    """One version of the agreement: number 1 is the initial agreement, 2… the amendments. Its
    text is frozen when it is sent (``body_html`` and the PDF whose SHA-256 the signatures name);
    once fully signed, ``sealed_pdf`` is that PDF with the signature page, sealed (PAdES)."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="versions", verbose_name=_("convention")
    )
    number = models.PositiveSmallIntegerField(_("numéro de version"))
    amount = MoneyField(_("montant de l'aide"))
    aid_rate = models.DecimalField(
        _("taux d'aide (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(HUNDRED)],
    )
    eligible_budget = MoneyField(_("budget des dépenses éligibles"))
    start_date = models.DateField(_("début du projet"))
    end_date = models.DateField(_("fin du projet"))
    purpose = models.TextField(
        _("objet de l'avenant"),
        blank=True,
        help_text=_("Pour un avenant : ce qu'il change et pourquoi."),
    )
    body_html = models.TextField(_("texte de la convention (HTML)"), blank=True)
    pdf = models.FileField(_("PDF à signer"), upload_to="agreements/", max_length=200, blank=True)
    sha256 = models.CharField(_("empreinte SHA-256 du PDF à signer"), max_length=64, blank=True)
    sealed_pdf = models.FileField(
        _("PDF signé et scellé"), upload_to="agreements/", max_length=200, blank=True
    )
    sealed_sha256 = models.CharField(
        _("empreinte SHA-256 du PDF scellé"), max_length=64, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("préparée par"),
    )
    created_at = models.DateTimeField(verbose_name=_("préparée le"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("envoyée par"),
    )
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signée par les deux parties le"), null=True, blank=True)

    class Meta:
        verbose_name = _("version de la convention")
        verbose_name_plural = _("versions des conventions")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "number"], name="unique_agreement_version_number"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="agreement_amount_positive"),
            models.CheckConstraint(
                condition=Q(aid_rate__gt=0, aid_rate__lte=100), name="agreement_aid_rate_percent"
            ),
            models.CheckConstraint(
                condition=Q(eligible_budget__gte=F("amount")),
                name="agreement_budget_covers_amount",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="agreement_period_order"
            ),
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | ~Q(sha256=""),
                name="agreement_sent_version_has_hash",
            ),
        ]

    def __str__(self) -> str:
        if self.number == 1:
            return f"{self.agreement} — {_('convention initiale')}"
        return f"{self.agreement} — {_('avenant n° %(n)s') % {'n': self.number - 1}}"

    @property
    def is_amendment(self) -> bool:
        return self.number > 1

    @property
    def label(self) -> str:
        if self.number == 1:
            return str(_("Convention initiale"))
        return str(_("Avenant n° %(n)s") % {"n": self.number - 1})


class ScheduleStep(models.Model):
    """One instalment of a version's schedule: a share of the amount and what makes it payable."""

    version = models.ForeignKey(
        AgreementVersion,
        on_delete=models.CASCADE,
        related_name="schedule",
        verbose_name=_("version de la convention"),
    )
    position = models.PositiveSmallIntegerField(_("rang"))
    percent = models.DecimalField(_("part de l'aide (%)"), max_digits=5, decimal_places=2)
    trigger = models.CharField(_("déclencheur"), max_length=20, choices=Trigger.choices)
    label = models.CharField(_("libellé"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tranche de l'échéancier")
        verbose_name_plural = _("échéancier")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "position"], name="unique_schedule_step_position"
            ),
            models.CheckConstraint(
                condition=Q(percent__gt=0, percent__lte=100), name="schedule_step_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.percent} % {self.get_trigger_display()}"


class CallScheduleStep(models.Model):
    """The call's default schedule, copied into each agreement's first version (officers edit it;
    without any, 50 % at signature, 30 % on an interim report, 20 % on the final report)."""

    call = models.ForeignKey(
        "calls.Call",
        on_delete=models.CASCADE,
        related_name="schedule_steps",
        verbose_name=_("appel à projets"),
    )
    position = models.PositiveSmallIntegerField(_("rang"))
    percent = models.DecimalField(_("part de l'aide (%)"), max_digits=5, decimal_places=2)
    trigger = models.CharField(_("déclencheur"), max_length=20, choices=Trigger.choices)
    label = models.CharField(_("libellé"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tranche de l'échéancier de l'appel")
        verbose_name_plural = _("échéanciers des appels")
        ordering = ["call", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "position"], name="unique_call_schedule_step_position"
            ),
            models.CheckConstraint(
                condition=Q(percent__gt=0, percent__lte=100), name="call_schedule_step_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.call} — {self.position}. {self.percent} %"


class SignatureSide(models.TextChoices):
    BENEFICIARY = "beneficiary", _("bénéficiaire")
    FUNDER = "funder", _("financeur")


class Signature(models.Model):
    """Who signed a version, when, how, from where, and the SHA-256 of the exact PDF they saw."""

    version = models.ForeignKey(
        AgreementVersion,
        on_delete=models.CASCADE,
        related_name="signatures",
        verbose_name=_("version de la convention"),
    )
    side = models.CharField(_("partie"), max_length=12, choices=SignatureSide.choices)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("compte signataire"),
    )
    signer_name = models.CharField(_("nom déclaré du signataire"), max_length=200)
    signer_title = models.CharField(_("qualité déclarée du signataire"), max_length=200)
    signed_at = models.DateTimeField(verbose_name=_("signée le"))
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=300, blank=True)
    sha256 = models.CharField(_("empreinte SHA-256 du PDF signé"), max_length=64)
    consent = models.TextField(_("texte du consentement"))
    method = models.CharField(
        _("procédé de signature"),
        max_length=100,
        help_text=_("« platform » : signature électronique simple dans la plateforme."),
    )
    evidence = models.JSONField(_("éléments de preuve du prestataire"), default=dict, blank=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["version", "signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["version", "side"], name="one_signature_per_side"),
        ]

    def __str__(self) -> str:
        return f"{self.version} — {self.get_side_display()} : {self.signer_name}"


class AgreementTemplate(models.Model):
    """The officers' wording of the call's agreement: a Django template (sandboxed, see
    pepiniere/agreements/templating.py) rendered with the award's fields. Without one, the
    default (pepiniere/agreements/templates/agreements/default_template.html) is used."""

    call = models.OneToOneField(
        "calls.Call",
        on_delete=models.CASCADE,
        related_name="agreement_template",
        verbose_name=_("appel à projets"),
    )
    body = models.TextField(_("texte de la convention (HTML)"))
    funder_address = models.CharField(
        _("adresse du financeur"),
        max_length=300,
        blank=True,
        help_text=_("Imprimée dans les parties."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("modifié par"),
    )
    updated_at = models.DateTimeField(verbose_name=_("modifié le"))

    class Meta:
        verbose_name = _("modèle de convention")
        verbose_name_plural = _("modèles de convention")

    def __str__(self) -> str:
        return str(self.call)
