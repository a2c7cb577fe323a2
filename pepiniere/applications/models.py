from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pepiniere.lib.dates import long_date
from pepiniere.lib.money import MoneyField


class Status(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    SUBMITTED = "submitted", _("déposé")
    INCOMPLETE = "incomplete", _("à compléter")
    ELIGIBLE = "eligible", _("recevable")
    INELIGIBLE = "ineligible", _("irrecevable")
    IN_REVIEW = "in_review", _("en expertise")
    REVIEWED = "reviewed", _("expertisé")
    SELECTED = "selected", _("retenu")
    RESERVE = "reserve", _("liste complémentaire")
    REJECTED = "rejected", _("non retenu")
    AWARDED = "awarded", _("aide attribuée")
    CONTRACTED = "contracted", _("conventionné")
    CLOSED = "closed", _("soldé")
    TERMINATED = "terminated", _("résilié")
    WITHDRAWN = "withdrawn", _("retiré")


class ApplicationQuerySet(models.QuerySet["Application"]):
    def current(self) -> ApplicationQuerySet:
        """The applications an organisation is still pursuing: a withdrawn one lets it start anew."""
        return self.exclude(status=Status.WITHDRAWN)


class Application(models.Model):
    """A dossier de candidature: one organisation's application to one call.

    `answers` holds the live draft (saved as the applicant types); every submission freezes a copy
    in ApplicationVersion. The status only changes through pepiniere.applications.services."""

    call = models.ForeignKey(
        "calls.Call",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("appel à projets"),
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("structure"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="applications_created",
        verbose_name=_("créé par"),
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    number = models.PositiveIntegerField(
        null=True, blank=True, editable=False, verbose_name=_("numéro")
    )
    reference = models.CharField(_("référence"), max_length=40, unique=True, null=True, blank=True)
    title = models.CharField(_("titre du projet"), max_length=200, blank=True)
    summary = models.TextField(_("résumé du projet"), blank=True)
    requested_amount = MoneyField(_("montant demandé"), null=True, blank=True)
    project_budget = MoneyField(_("budget total du projet"), null=True, blank=True)
    answers = models.JSONField(default=dict, blank=True, verbose_name=_("réponses"))
    # Incremented by every draft save: lets the browser know its copy is the latest.
    draft_revision = models.PositiveIntegerField(default=0, verbose_name=_("révision du brouillon"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("modifié le"))
    submitted_at = models.DateTimeField(_("déposé le"), null=True, blank=True, db_index=True)
    decision_reason = models.TextField(_("motif de la décision"), blank=True)
    # Accent-folded copy of reference, title, summary and organisation, for staff search.
    search_text = models.TextField(
        default="", blank=True, editable=False, verbose_name=_("texte de recherche")
    )

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("dossier de candidature")
        verbose_name_plural = _("dossiers de candidature")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "number"], name="unique_application_number_per_call"
            ),
            models.CheckConstraint(
                condition=models.Q(requested_amount__isnull=True)
                | models.Q(requested_amount__gte=0),
                name="application_requested_positive",
            ),
        ]
        indexes = [models.Index(fields=["call", "status"])]

    def __str__(self) -> str:
        return self.name_of(reference=self.reference, title=self.title, pk=self.pk)

    @staticmethod
    def name_of(*, reference: str | None, title: str, pk: int | None) -> str:
        """How an application is named, from its columns (for reads that fetch no instance)."""
        return reference or title or f"Dossier #{pk}"

    @property
    def is_editable_by_applicant(self) -> bool:
        return self.status in {Status.DRAFT, Status.INCOMPLETE}

    def build_search_text(self) -> str:
        from pepiniere.calls.models import fold

        organisation = self.organisation
        parts = [
            self.reference or "",
            self.title,
            self.summary,
            organisation.name,
            organisation.siret,
            organisation.rna,
        ]
        return fold(" ".join(p for p in parts if p))


class ApplicationVersion(models.Model):
    """The answers as they were at one submission, frozen."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="versions",
        verbose_name=_("dossier de candidature"),
    )
    number = models.PositiveSmallIntegerField(verbose_name=_("numéro"))
    title = models.CharField(max_length=200, verbose_name=_("titre du projet"))
    summary = models.TextField(verbose_name=_("résumé du projet"))
    requested_amount = MoneyField(null=True, verbose_name=_("montant demandé"))
    project_budget = MoneyField(null=True, verbose_name=_("budget total du projet"))
    answers = models.JSONField(default=dict, verbose_name=_("réponses"))
    attachments = models.JSONField(default=list, verbose_name=_("pièces justificatives"))
    submitted_at = models.DateTimeField(verbose_name=_("déposée le"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("déposée par"),
    )
    draft_revision = models.PositiveIntegerField(verbose_name=_("révision du brouillon"))

    class Meta:
        verbose_name = _("version déposée")
        verbose_name_plural = _("versions déposées")
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="unique_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.application} v{self.number}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never reuses the uploaded name (no path tricks, no collisions).
    return f"attachments/{instance.application.call_id}/{instance.application_id}/{instance.token}"


class Attachment(models.Model):
    """A pièce justificative, stored privately and streamed only to people allowed to see it."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="attachment_set",
        verbose_name=_("dossier de candidature"),
    )
    field_key = models.SlugField(max_length=50, verbose_name=_("question"))
    token = models.CharField(max_length=32, unique=True, verbose_name=_("jeton"))
    file = models.FileField(upload_to=attachment_path, max_length=200, verbose_name=_("fichier"))
    original_name = models.CharField(max_length=200, verbose_name=_("nom du fichier"))
    content_type = models.CharField(max_length=100, verbose_name=_("type de fichier"))
    size = models.PositiveIntegerField(verbose_name=_("taille (octets)"))
    sha256 = models.CharField(max_length=64, verbose_name=_("empreinte SHA-256"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("jointe par"),
    )
    uploaded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("jointe le"))
    # Kept (not deleted) once part of a submitted version, so that old versions stay readable.
    removed_from_draft = models.BooleanField(default=False, verbose_name=_("retirée du brouillon"))

    class Meta:
        verbose_name = _("pièce justificative")
        verbose_name_plural = _("pièces justificatives")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class InformationRequest(models.Model):
    """An officer's request for more information; the applicant answers by resubmitting."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="information_requests",
        verbose_name=_("dossier de candidature"),
    )
    message = models.TextField(_("message"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("demandée par"),
    )
    requested_at = models.DateTimeField(verbose_name=_("demandée le"))
    answered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("répondue le"))

    class Meta:
        verbose_name = _("demande de compléments")
        verbose_name_plural = _("demandes de compléments")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.application} — {long_date(self.requested_at)}"


class InternalNote(models.Model):
    """A note by funder staff on an application: never shown to the applicant."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="internal_notes",
        verbose_name=_("dossier de candidature"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("auteur"),
    )
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("écrite le"))

    class Meta:
        verbose_name = _("note interne")
        verbose_name_plural = _("notes internes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.application} — {self.author}"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    RUNNING = "running", _("en cours")
    DONE = "done", _("prêt")
    FAILED = "failed", _("échec")


class Export(models.Model):
    """A list export built in the background; the file is private to the person who asked."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    filters = models.JSONField(default=dict, verbose_name=_("filtres"))
    format = models.CharField(max_length=5, choices=ExportFormat.choices, verbose_name=_("format"))
    # CSV only: a decimal point and ISO dates instead of the French comma and dd/mm/yyyy.
    decimal_point = models.BooleanField(_("point décimal (CSV)"), default=False)
    status = models.CharField(
        max_length=10,
        choices=ExportStatus.choices,
        default=ExportStatus.PENDING,
        verbose_name=_("statut"),
    )
    total = models.PositiveIntegerField(default=0, verbose_name=_("lignes à écrire"))
    done = models.PositiveIntegerField(default=0, verbose_name=_("lignes écrites"))
    file = models.FileField(upload_to="exports/", blank=True, verbose_name=_("fichier"))
    error = models.TextField(blank=True, verbose_name=_("erreur"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("demandé le"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("terminé le"))

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.format})"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0
