"""Awards, the budget ledger, the de minimis ledger and decision letters."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from pepiniere.lib.dates import long_date
from pepiniere.lib.money import MoneyField, format_eur


class CallPolicy(models.Model):
    """What a call's awards and letters do, set by its officers (kept apart from Call on purpose:
    it belongs to the award stage)."""

    call = models.OneToOneField(
        "calls.Call",
        on_delete=models.CASCADE,
        related_name="grant_policy",
        verbose_name=_("appel à projets"),
    )
    letters_show_scores = models.BooleanField(
        _("les courriers de décision indiquent les notes par critère"), default=False
    )
    letters_show_comments = models.BooleanField(
        _("les courriers de décision citent les avis des expert·es (anonymes)"), default=False
    )
    de_minimis = models.BooleanField(
        _("aides accordées au titre du règlement de minimis (UE) 2023/2831"), default=True
    )
    signatory = models.CharField(_("signataire des courriers"), max_length=200, blank=True)
    signatory_title = models.CharField(
        _("qualité du signataire"),
        max_length=200,
        blank=True,
        help_text=_("Par exemple « Le Président du Conseil régional »."),
    )
    letter_place = models.CharField(
        _("lieu d'émission des courriers"), max_length=100, blank=True, help_text=_("Ex. Bordeaux")
    )
    letter_contact = models.CharField(
        _("affaire suivie par"),
        max_length=200,
        blank=True,
        help_text=_("Nom et coordonnées de la personne à contacter, imprimés dans les références."),
    )

    class Meta:
        verbose_name = _("règles d'attribution de l'appel")
        verbose_name_plural = _("règles d'attribution des appels")

    def __str__(self) -> str:
        return str(self.call)


class BudgetScope(models.TextChoices):
    CALL = "call", _("appel à projets")
    AXIS = "axis", _("axe prioritaire")
    PROGRAMME = "programme", _("programme")
    FUNDER = "funder", _("apport du financeur à l'appel")


class BudgetLine(models.Model):
    """Envelope, committed and paid amounts of one budget (a call, an axis, a programme, or one
    funder's contribution to a call).

    `committed` only moves by ``F("committed") + amount`` inside the award transaction: the UPDATE
    takes the row lock, so concurrent awards queue on it, and the CHECK constraint makes the
    database refuse any commitment beyond the envelope, whatever the application code does."""

    scope = models.CharField(_("périmètre"), max_length=10, choices=BudgetScope.choices)
    call = models.ForeignKey(
        "calls.Call",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="budget_lines",
        verbose_name=_("appel à projets"),
    )
    axis = models.ForeignKey(
        "programmes.Axis",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="budget_lines",
        verbose_name=_("axe"),
    )
    programme = models.ForeignKey(
        "programmes.Programme",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="budget_lines",
        verbose_name=_("programme"),
    )
    funder = models.ForeignKey(
        "programmes.Funder",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="budget_lines",
        verbose_name=_("financeur"),
    )
    envelope = MoneyField(_("enveloppe"))
    committed = MoneyField(_("engagé"), default=Decimal("0"))
    paid = MoneyField(_("versé"), default=Decimal("0"))

    class Meta:
        verbose_name = _("ligne budgétaire")
        verbose_name_plural = _("lignes budgétaires")
        constraints = [
            models.CheckConstraint(
                condition=Q(committed__lte=F("envelope")), name="budget_committed_within_envelope"
            ),
            models.CheckConstraint(condition=Q(committed__gte=0), name="budget_committed_positive"),
            models.CheckConstraint(condition=Q(envelope__gte=0), name="budget_envelope_positive"),
            models.CheckConstraint(
                condition=Q(paid__gte=0, paid__lte=F("committed")),
                name="budget_paid_within_committed",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        scope="call",
                        call__isnull=False,
                        axis__isnull=True,
                        programme__isnull=True,
                        funder__isnull=True,
                    )
                    | Q(
                        scope="axis",
                        axis__isnull=False,
                        call__isnull=True,
                        programme__isnull=True,
                        funder__isnull=True,
                    )
                    | Q(
                        scope="programme",
                        programme__isnull=False,
                        call__isnull=True,
                        axis__isnull=True,
                        funder__isnull=True,
                    )
                    | Q(
                        scope="funder",
                        funder__isnull=False,
                        call__isnull=False,
                        axis__isnull=True,
                        programme__isnull=True,
                    )
                ),
                name="budget_line_scope_shape",
            ),
            models.UniqueConstraint(
                fields=["call"], condition=Q(scope="call"), name="one_budget_line_per_call"
            ),
            models.UniqueConstraint(
                fields=["axis"], condition=Q(scope="axis"), name="one_budget_line_per_axis"
            ),
            models.UniqueConstraint(
                fields=["programme"],
                condition=Q(scope="programme"),
                name="one_budget_line_per_programme",
            ),
            models.UniqueConstraint(
                fields=["funder", "call"],
                condition=Q(scope="funder"),
                name="one_budget_line_per_funder_call",
            ),
        ]

    def __str__(self) -> str:
        target = self.call or self.axis or self.programme
        if self.scope == BudgetScope.FUNDER:
            return f"{self.funder} — {self.call}"
        return f"{self.get_scope_display()} {target}"

    @property
    def remaining(self) -> Decimal:
        return self.envelope - self.committed


class Award(models.Model):
    """The right to the aid (attribution): amount, decision reference and date, co-funding shares.
    Its date is the de minimis grant date."""

    application = models.OneToOneField(
        "applications.Application",
        on_delete=models.PROTECT,
        related_name="award",
        verbose_name=_("dossier de candidature"),
    )
    amount = MoneyField(_("montant attribué"))
    decision_reference = models.CharField(_("référence de la décision"), max_length=100)
    decision_date = models.DateField(_("date de la décision"))
    scenario = models.ForeignKey(
        "selection.Scenario",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="awards",
        verbose_name=_("scénario"),
    )
    de_minimis = models.BooleanField(_("aide de minimis"), default=True)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("attribué par"),
    )
    awarded_at = models.DateTimeField(verbose_name=_("attribué le"))

    class Meta:
        verbose_name = _("aide attribuée")
        verbose_name_plural = _("aides attribuées")
        ordering = ["-decision_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="award_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.application} — {self.amount} €"


class AwardShare(models.Model):
    """One funder's part of an award; the parts add up exactly to the award (checked by the service)."""

    award = models.ForeignKey(
        Award, on_delete=models.CASCADE, related_name="shares", verbose_name=_("aide attribuée")
    )
    funder = models.ForeignKey(
        "programmes.Funder",
        on_delete=models.PROTECT,
        related_name="award_shares",
        verbose_name=_("financeur"),
    )
    amount = MoneyField(_("montant"))

    class Meta:
        verbose_name = _("part de cofinancement")
        verbose_name_plural = _("parts de cofinancement")
        ordering = ["award", "-amount", "funder__name"]
        constraints = [
            models.UniqueConstraint(fields=["award", "funder"], name="unique_share_per_funder"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="award_share_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.funder}: {self.amount} €"


class LinkRelation(models.TextChoices):
    """The four links of Regulation (EU) 2023/2831, art. 2(2), that make one "single undertaking"."""

    VOTING = "voting", _("détient la majorité des droits de vote de l'autre (ou l'inverse)")
    BOARD = "board", _("peut nommer ou révoquer la majorité de ses dirigeants (ou l'inverse)")
    CONTRACT = "contract", _("exerce une influence dominante par contrat ou statuts (ou l'inverse)")
    AGREEMENT = (
        "agreement",
        _("contrôle seule la majorité des droits de vote par accord (ou l'inverse)"),
    )


class LinkStatus(models.TextChoices):
    """A declaration is one-sided: it speaks for the declarant only. When the linked undertaking is
    itself on the platform, the link joins the two ledgers only once that organisation (one of its
    members) or an officer confirms it."""

    DECLARED = "declared", _("déclaré, non confirmé")
    CONFIRMED = "confirmed", _("confirmé")
    REFUSED = "refused", _("contesté par l'entreprise liée")


class LinkedUndertaking(models.Model):
    """An undertaking the organisation declares as linked to it: together they are one single
    undertaking, whose de minimis aid is counted together (for an undertaking on the platform,
    only once the link is confirmed)."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="linked_undertakings",
        verbose_name=_("structure"),
    )
    name = models.CharField(_("raison sociale"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    linked_organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="declared_as_linked",
        help_text=_("Renseigné quand l'entreprise liée est aussi inscrite sur la plateforme."),
        verbose_name=_("structure liée"),
    )
    relation = models.CharField(_("lien"), max_length=10, choices=LinkRelation.choices)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("déclaré par"),
    )
    declared_at = models.DateTimeField(verbose_name=_("déclaré le"))
    status = models.CharField(
        _("statut du lien"), max_length=10, choices=LinkStatus.choices, default=LinkStatus.DECLARED
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmé par"),
    )
    confirmed_at = models.DateTimeField(_("confirmé ou contesté le"), null=True, blank=True)

    class Meta:
        verbose_name = _("entreprise liée")
        verbose_name_plural = _("entreprises liées")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="unique_linked_undertaking"
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed")
                | Q(linked_organisation__isnull=False, confirmed_at__isnull=False),
                name="linked_undertaking_confirmed_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ↔ {self.name}"

    @property
    def is_confirmed(self) -> bool:
        return self.status == LinkStatus.CONFIRMED and self.linked_organisation_id is not None

    @property
    def awaits_confirmation(self) -> bool:
        return self.status == LinkStatus.DECLARED and self.linked_organisation_id is not None


class AidSource(models.TextChoices):
    AWARD = "award", _("aide attribuée sur la plateforme")
    DECLARED = "declared", _("déclarée par la structure")
    IMPORTED = "imported", _("importée")


class AidRecord(models.Model):
    """One de minimis aid granted to the organisation (or, `beneficiary_name` set, to one of its
    linked undertakings), counted at `granted_on`, the date the right to the aid was granted."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="aid_records",
        verbose_name=_("structure"),
    )
    beneficiary_name = models.CharField(
        _("bénéficiaire (si entreprise liée)"), max_length=200, blank=True
    )
    source = models.CharField(_("origine"), max_length=10, choices=AidSource.choices)
    award = models.OneToOneField(
        Award,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="aid_record",
        verbose_name=_("aide attribuée sur la plateforme"),
    )
    funder_name = models.CharField(_("financeur"), max_length=200)
    amount = MoneyField(_("montant (équivalent-subvention brut)"))
    granted_on = models.DateField(_("date d'octroi"))
    reference = models.CharField(_("référence"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("enregistré par"),
    )
    recorded_at = models.DateTimeField(verbose_name=_("enregistré le"))

    class Meta:
        verbose_name = _("aide de minimis")
        verbose_name_plural = _("registre des aides de minimis")
        ordering = ["granted_on", "id"]
        indexes = [models.Index(fields=["organisation", "granted_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="aid_record_amount_positive"),
            models.CheckConstraint(
                condition=Q(source="award", award__isnull=False)
                | (~Q(source="award") & Q(award__isnull=True)),
                name="aid_record_award_iff_source_award",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.organisation} — {self.funder_name} {format_eur(self.amount)}"
            f" ({long_date(self.granted_on)})"
        )


class Outcome(models.TextChoices):
    AWARDED = "awarded", _("aide attribuée")
    SELECTED = "selected", _("retenu")
    RESERVE = "reserve", _("liste complémentaire")
    REJECTED = "rejected", _("non retenu")


class LetterTemplate(models.Model):
    """The officers' own wording of one kind of decision letter for one call: a Django template
    (autoescaped, rendered from this text with a restricted context, see letter_templates.py) for
    the subject line and the body. Without one, the default of the kind is used."""

    call = models.ForeignKey(
        "calls.Call",
        on_delete=models.CASCADE,
        related_name="letter_templates",
        verbose_name=_("appel à projets"),
    )
    outcome = models.CharField(_("décision"), max_length=10, choices=Outcome.choices)
    subject = models.CharField(_("objet"), max_length=300)
    body = models.TextField(_("corps du courrier (HTML)"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("modifié par"),
    )
    updated_at = models.DateTimeField(verbose_name=_("modifié le"))

    class Meta:
        verbose_name = _("modèle de courrier")
        verbose_name_plural = _("modèles de courrier")
        constraints = [
            models.UniqueConstraint(fields=["call", "outcome"], name="one_letter_template_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.call} — {self.get_outcome_display()}"


class DecisionLetter(models.Model):
    """A decision letter as sent: its content is frozen (reason, amount, and, as the call's policy
    said at the time, scores and comments); the PDF is rendered from it on demand."""

    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.CASCADE,
        related_name="decision_letters",
        verbose_name=_("dossier de candidature"),
    )
    outcome = models.CharField(_("décision"), max_length=10, choices=Outcome.choices)
    reason = models.TextField(_("motif"))
    amount = MoneyField(_("montant"), null=True, blank=True)
    decision_reference = models.CharField(
        max_length=100, blank=True, verbose_name=_("référence de la décision")
    )
    decision_date = models.DateField(null=True, blank=True, verbose_name=_("date de la décision"))
    scores = models.JSONField(
        default=list, blank=True, verbose_name=_("notes")
    )  # [{"criterion", "mean", "max"}]
    comments = models.JSONField(
        default=list, blank=True, verbose_name=_("avis des expert·es")
    )  # [text], anonymous
    signatory = models.CharField(max_length=200, blank=True, verbose_name=_("signataire"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("envoyé par"),
    )
    sent_at = models.DateTimeField(verbose_name=_("envoyé le"))
    recipients = models.JSONField(default=list, blank=True, verbose_name=_("destinataires"))
    emailed_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("envoyé par courriel le")
    )
    # The letter as rendered from the call's template when it was sent (frozen: editing the
    # template later changes the next letters only). Blank for letters sent before templates.
    subject = models.CharField(_("objet"), max_length=300, blank=True)
    body_html = models.TextField(blank=True, verbose_name=_("courrier (HTML)"))
    layout = models.JSONField(
        default=dict, blank=True, verbose_name=_("mise en page")
    )  # place, contact, signatory title

    class Meta:
        verbose_name = _("courrier de décision")
        verbose_name_plural = _("courriers de décision")
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "outcome"], name="one_letter_per_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} — {self.get_outcome_display()}"
