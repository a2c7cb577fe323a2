from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LegalForm(models.Model):
    """INSEE catégorie juridique (niveau III), e.g. 5710 SAS, 9220 association déclarée."""

    code = models.CharField(_("code"), max_length=4, primary_key=True)
    label = models.CharField(_("libellé"), max_length=200)

    class Meta:
        verbose_name = _("forme juridique")
        verbose_name_plural = _("formes juridiques")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.label}"


class SizeBand(models.Model):
    """INSEE tranche d'effectifs salariés (NN, 00, 01, … 53)."""

    code = models.CharField(_("code"), max_length=2, primary_key=True)
    label = models.CharField(_("libellé"), max_length=200)
    min_employees = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("effectif minimal")
    )
    max_employees = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("effectif maximal")
    )
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("tranche d'effectifs")
        verbose_name_plural = _("tranches d'effectifs")
        ordering = ["position"]

    def __str__(self) -> str:
        return self.label


class OrganisationKind(models.TextChoices):
    STARTUP = "startup", _("start-up")
    SME = "sme", _("PME")
    ASSOCIATION = "association", _("association")
    OTHER = "other", _("autre")


class Organisation(models.Model):
    """An applicant structure: a start-up, an SME or an association."""

    name = models.CharField(_("raison sociale"), max_length=200)
    kind = models.CharField(_("type de structure"), max_length=20, choices=OrganisationKind.choices)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, db_index=True)
    siret = models.CharField(_("SIRET du siège"), max_length=14, blank=True)
    rna = models.CharField(_("numéro RNA"), max_length=10, blank=True)
    legal_form = models.ForeignKey(
        LegalForm,
        verbose_name=_("forme juridique"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    naf_code = models.CharField(_("code NAF/APE"), max_length=6, blank=True)
    street_address = models.CharField(_("adresse (numéro et voie)"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    commune_code = models.CharField(_("code commune INSEE"), max_length=5, blank=True)
    commune_name = models.CharField(_("commune"), max_length=100, blank=True)
    departement = models.ForeignKey(
        "territories.Departement",
        verbose_name=_("département"),
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    creation_date = models.DateField(_("date de création"), null=True, blank=True)
    size_band = models.ForeignKey(
        SizeBand,
        verbose_name=_("tranche d'effectifs"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    website = models.URLField(_("site web"), blank=True)
    # The parties of an agreement (convention) name who represents the structure; the member who
    # signs declares it again at signature (pepiniere.agreements).
    representative_name = models.CharField(
        _("représentant·e légal·e (prénom et nom)"), max_length=200, blank=True
    )
    representative_title = models.CharField(
        _("qualité du représentant·e légal·e"),
        max_length=200,
        blank=True,
        help_text=_("Par exemple « Président », « Gérante », « Présidente de l'association »."),
    )
    # False for a structure known only from a funder's published file (a historical grants
    # import, pepiniere.opendata): nobody from it registered it; the first person who registers
    # its SIREN becomes its owner (services.create_organisation) and it becomes verified.
    verified = models.BooleanField(
        _("enregistrée par ses membres"),
        default=True,
        help_text=_("Décoché : structure connue seulement par un import de subventions."),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        related_name="organisations",
        verbose_name=_("membres"),
    )

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]
        # One organisation per legal entity: a second claim becomes a JoinRequest (services).
        constraints = [
            models.UniqueConstraint(
                fields=["siren"], condition=~models.Q(siren=""), name="unique_organisation_siren"
            ),
            models.UniqueConstraint(
                fields=["rna"], condition=~models.Q(rna=""), name="unique_organisation_rna"
            ),
        ]
        # Lists sorted by name (the portfolio): the database walks this index and stops at the
        # end of the page instead of sorting every organisation.
        indexes = [models.Index(fields=["name", "id"], name="organisation_name_id")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The SIREN is the first nine digits of the SIRET: derived, never typed twice.
        if self.siret:
            self.siren = self.siret[:9]
        super().save(*args, **kwargs)

    @property
    def postal_address(self) -> str:
        """« 12 rue X, 33000 Bordeaux », from what is known (blank when nothing is)."""
        town = " ".join(p for p in (self.postal_code, self.commune_name) if p)
        return ", ".join(p for p in (self.street_address, town) if p)

    @property
    def identifier(self) -> str:
        return self.siret or self.siren or self.rna

    def age_in_years(self, on: datetime.date) -> float | None:
        if self.creation_date is None:
            return None
        return (on - self.creation_date).days / 365.25


class MemberRole(models.TextChoices):
    OWNER = "owner", _("responsable")
    MEMBER = "member", _("membre")


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("compte"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("structure"),
    )
    role = models.CharField(
        _("rôle"), max_length=10, choices=MemberRole.choices, default=MemberRole.MEMBER
    )
    joined_at = models.DateTimeField(auto_now_add=True, verbose_name=_("membre depuis le"))

    class Meta:
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class JoinRequestStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    ACCEPTED = "accepted", _("acceptée")
    REFUSED = "refused", _("refusée")


class JoinRequest(models.Model):
    """A second claim of an organisation's SIREN or RNA: the claimant asks to join, and becomes a
    member only once a member (or an officer of a funder it applied to) accepts."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="join_requests",
        verbose_name=_("structure"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="join_requests",
        verbose_name=_("compte"),
    )
    identifier = models.CharField(_("identifiant indiqué"), max_length=14)
    status = models.CharField(
        _("statut"),
        max_length=10,
        choices=JoinRequestStatus.choices,
        default=JoinRequestStatus.PENDING,
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("demandée le"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("décidé par"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("décidé le"))

    class Meta:
        verbose_name = _("demande pour rejoindre une structure")
        verbose_name_plural = _("demandes pour rejoindre une structure")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"],
                condition=models.Q(status="pending"),
                name="one_pending_join_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.organisation}"


class MemberInvitation(models.Model):
    """An invitation to join an organisation, sent to an address whether or not it has an account
    (so that adding a member never tells whether an address is registered)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("structure"),
    )
    email = models.EmailField(_("adresse électronique"))
    token = models.CharField(max_length=64, unique=True, verbose_name=_("jeton"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invité·e par"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("envoyée le"))
    expires_at = models.DateTimeField(_("expire le"))
    accepted_at = models.DateTimeField(_("acceptée le"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("acceptée par"),
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    def is_open(self, now: datetime.datetime) -> bool:
        return self.accepted_at is None and now < self.expires_at


class BankAccountStatus(models.TextChoices):
    PENDING = "pending", _("en attente de validation")
    VALIDATED = "validated", _("validées")
    REJECTED = "rejected", _("refusées")
    REPLACED = "replaced", _("remplacées")


def rib_path(instance: BankAccount, filename: str) -> str:
    # The stored name never reuses the uploaded name (no path tricks, no collisions).
    return f"bank/{instance.organisation_id}/{instance.token}"


class BankAccount(models.Model):
    """Bank details (coordonnées bancaires) an organisation gives to be paid, with the bank's
    identity document (RIB). A change is paid only once an officer of a funder that supports the
    organisation validated it (never the person who submitted it): until then payments are held,
    the classic fraud route being a forged change of bank details."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="bank_accounts",
        verbose_name=_("structure"),
    )
    holder = models.CharField(_("titulaire du compte"), max_length=140)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bank_name = models.CharField(_("banque"), max_length=200, blank=True)
    token = models.CharField(max_length=32, unique=True, verbose_name=_("jeton"))
    rib = models.FileField(upload_to=rib_path, max_length=200, verbose_name=_("RIB"))
    rib_name = models.CharField(_("nom du fichier du RIB"), max_length=200)
    rib_content_type = models.CharField(_("type du fichier du RIB"), max_length=100)
    rib_size = models.PositiveIntegerField(_("taille du RIB (octets)"))
    rib_sha256 = models.CharField(_("empreinte SHA-256 du RIB"), max_length=64)
    status = models.CharField(
        _("statut"),
        max_length=10,
        choices=BankAccountStatus.choices,
        default=BankAccountStatus.PENDING,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("transmises par"),
    )
    submitted_at = models.DateTimeField(_("transmises le"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("décidé par"),
    )
    decided_at = models.DateTimeField(_("décidé le"), null=True, blank=True)
    reason = models.TextField(_("motif"), blank=True)

    class Meta:
        verbose_name = _("coordonnées bancaires")
        verbose_name_plural = _("coordonnées bancaires")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # At most one change waiting and one account in force per organisation.
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(status="pending"),
                name="one_pending_bank_account",
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(status="validated"),
                name="one_validated_bank_account",
            ),
            # Four-eyes, in the database too: who submitted never decides.
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | ~models.Q(decided_by=models.F("submitted_by")),
                name="bank_account_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.masked_iban}"

    @property
    def masked_iban(self) -> str:
        from pepiniere.organisations.identifiers import masked_iban

        return masked_iban(self.iban)

    @property
    def grouped_iban(self) -> str:
        from pepiniere.organisations.identifiers import grouped_iban

        return grouped_iban(self.iban)
