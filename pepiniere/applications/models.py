from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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

    call = models.ForeignKey("calls.Call", on_delete=models.PROTECT, related_name="applications")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="applications"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications_created"
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    number = models.PositiveIntegerField(null=True, blank=True, editable=False)
    reference = models.CharField(_("référence"), max_length=40, unique=True, null=True, blank=True)
    title = models.CharField(_("titre du projet"), max_length=200, blank=True)
    summary = models.TextField(_("résumé du projet"), blank=True)
    requested_amount = MoneyField(_("montant demandé"), null=True, blank=True)
    project_budget = MoneyField(_("budget total du projet"), null=True, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    # Incremented by every draft save: lets the browser know its copy is the latest.
    draft_revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("déposé le"), null=True, blank=True, db_index=True)
    decision_reason = models.TextField(_("motif de la décision"), blank=True)
    # Accent-folded copy of reference, title, summary and organisation, for staff search.
    search_text = models.TextField(default="", blank=True, editable=False)

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
        return self.reference or self.title or f"Dossier #{self.pk}"

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

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField()
    requested_amount = MoneyField(null=True)
    project_budget = MoneyField(null=True)
    answers = models.JSONField(default=dict)
    attachments = models.JSONField(default=list)
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    draft_revision = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("version déposée")
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
        Application, on_delete=models.CASCADE, related_name="attachment_set"
    )
    field_key = models.SlugField(max_length=50)
    token = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # Kept (not deleted) once part of a submitted version, so that old versions stay readable.
    removed_from_draft = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("pièce justificative")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class InformationRequest(models.Model):
    """An officer's request for more information; the applicant answers by resubmitting."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="information_requests"
    )
    message = models.TextField(_("message"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("demande de compléments")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.application} — {self.requested_at:%Y-%m-%d}"


class InternalNote(models.Model):
    """A note by funder staff on an application: never shown to the applicant."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="internal_notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("note interne")
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
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    filters = models.JSONField(default=dict)
    format = models.CharField(max_length=5, choices=ExportFormat.choices)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.format})"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0
