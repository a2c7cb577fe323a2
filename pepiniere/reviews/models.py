from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewerProfile(models.Model):
    """An expert's profile: what they know, how much they can take, when."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reviewer_profile",
        verbose_name=_("compte de l'expert·e"),
    )
    sectors = models.ManyToManyField("calls.Sector", verbose_name=_("filières"), blank=True)
    keywords = models.CharField(_("mots-clés"), max_length=300, blank=True)
    expertise = models.TextField(
        _("expertise"),
        blank=True,
        help_text=_(
            "Quelques phrases sur vos domaines : elles servent à vous proposer des dossiers."
        ),
    )
    languages = models.CharField(_("langues"), max_length=50, default="fr")
    max_load = models.PositiveSmallIntegerField(_("dossiers au plus par appel"), default=12)
    available_from = models.DateField(_("disponible du"), null=True, blank=True)
    available_until = models.DateField(_("disponible jusqu'au"), null=True, blank=True)
    # SIRENs of employers and organisations the expert is related to (conflicts are detected from them).
    related_sirens = models.CharField(
        _("SIREN des employeurs et structures liées"), max_length=500, blank=True
    )

    class Meta:
        verbose_name = _("profil d'expert·e")
        verbose_name_plural = _("profils d'expert·es")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def siren_set(self) -> set[str]:
        return {
            s for s in self.related_sirens.replace(",", " ").split() if s.isdigit() and len(s) == 9
        }


class Invitation(models.Model):
    call = models.ForeignKey(
        "calls.Call",
        on_delete=models.CASCADE,
        related_name="reviewer_invitations",
        verbose_name=_("appel à projets"),
    )
    email = models.EmailField(verbose_name=_("adresse électronique"))
    token = models.CharField(max_length=40, unique=True, verbose_name=_("jeton"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("invité·e par"),
    )
    invited_at = models.DateTimeField(verbose_name=_("invité·e le"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("acceptée par"),
    )
    accepted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acceptée le"))

    class Meta:
        verbose_name = _("invitation d'expert·e")
        verbose_name_plural = _("invitations d'expert·es")
        constraints = [
            models.UniqueConstraint(fields=["call", "email"], name="unique_invitation_per_call")
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.call}"


class CallReviewer(models.Model):
    """An expert in a call's pool, with an optional per-call load."""

    call = models.ForeignKey(
        "calls.Call",
        on_delete=models.CASCADE,
        related_name="pool",
        verbose_name=_("appel à projets"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="call_pools",
        verbose_name=_("expert·e"),
    )
    max_load = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("charge maximale")
    )

    class Meta:
        verbose_name = _("expert·e de l'appel")
        verbose_name_plural = _("expert·es de l'appel")
        constraints = [
            models.UniqueConstraint(fields=["call", "reviewer"], name="unique_pool_member")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} @ {self.call}"


class ConflictSource(models.TextChoices):
    MEMBERSHIP = "membership", _("membre de la structure")
    SIREN = "siren", _("SIREN déclaré (employeur ou relation)")
    DECLARED = "declared", _("déclaré par l'expert·e")


class Conflict(models.Model):
    """A conflict of interest between an expert and an organisation (so all its applications)."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="conflicts",
        verbose_name=_("expert·e"),
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="conflicts",
        verbose_name=_("structure"),
    )
    source = models.CharField(
        max_length=20, choices=ConflictSource.choices, verbose_name=_("origine")
    )
    note = models.TextField(_("précisions"), blank=True)
    declared_at = models.DateTimeField(verbose_name=_("déclaré le"))

    class Meta:
        verbose_name = _("conflit d'intérêts")
        verbose_name_plural = _("conflits d'intérêts")
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "organisation"], name="unique_conflict")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} ⟂ {self.organisation}"


class BidLevel(models.TextChoices):
    WANT = "want", _("je souhaite")
    CAN = "can", _("je peux")
    CANNOT = "cannot", _("je ne peux pas")


class Bid(models.Model):
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="bids",
        verbose_name=_("expert·e"),
    )
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.CASCADE,
        related_name="bids",
        verbose_name=_("dossier de candidature"),
    )
    level = models.CharField(
        max_length=10, choices=BidLevel.choices, verbose_name=_("niveau d'intérêt")
    )

    class Meta:
        verbose_name = _("préférence d'expert·e")
        verbose_name_plural = _("préférences d'expert·es")
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "application"], name="unique_bid")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.level} {self.application}"


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", _("à évaluer")
    SUBMITTED = "submitted", _("évalué")
    WITHDRAWN = "withdrawn", _("retiré (conflit)")
    # A conflict declared after the review was submitted (or once reviews were closed), accepted
    # by an officer: the review stays on record but never counts.
    CONFLICTED = "conflicted", _("écarté (conflit d'intérêts)")


ACTIVE_ASSIGNMENT_STATES = (AssignmentStatus.ASSIGNED, AssignmentStatus.SUBMITTED)


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def active(self) -> AssignmentQuerySet:
        """Assignments still in force: neither withdrawn nor set aside for a conflict."""
        return self.filter(status__in=ACTIVE_ASSIGNMENT_STATES)


class Assignment(models.Model):
    """One expert asked to review one application."""

    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("dossier de candidature"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("expert·e"),
    )
    status = models.CharField(
        max_length=10,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.ASSIGNED,
        verbose_name=_("statut"),
    )
    affinity = models.FloatField(default=0, verbose_name=_("affinité"))
    assigned_at = models.DateTimeField(verbose_name=_("affecté le"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("affecté par"),
    )

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("affectation")
        verbose_name_plural = _("affectations")
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="unique_assignment"),
        ]
        indexes = [models.Index(fields=["reviewer", "status"])]

    def __str__(self) -> str:
        return f"{self.reviewer} → {self.application}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_ASSIGNMENT_STATES


class Recommendation(models.TextChoices):
    FUND = "fund", _("à financer")
    FUND_IF = "fund_if", _("à financer sous conditions")
    DO_NOT_FUND = "do_not_fund", _("à ne pas financer")


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    SUBMITTED = "submitted", _("remise")


class ReviewQuerySet(models.QuerySet["Review"]):
    def counted(self) -> ReviewQuerySet:
        """The reviews that count (ranking, progress, letters, API): submitted, on an assignment
        still submitted (not withdrawn, not set aside for a conflict), by an expert with no known
        conflict with the applicant organisation. Every reader of reviews goes through this."""
        conflicts = Conflict.objects.filter(
            reviewer_id=models.OuterRef("assignment__reviewer_id"),
            organisation_id=models.OuterRef("assignment__application__organisation_id"),
        )
        return self.filter(
            status=ReviewStatus.SUBMITTED, assignment__status=AssignmentStatus.SUBMITTED
        ).exclude(models.Exists(conflicts))


class Review(models.Model):
    assignment = models.OneToOneField(
        Assignment, on_delete=models.CASCADE, related_name="review", verbose_name=_("affectation")
    )
    status = models.CharField(
        max_length=10,
        choices=ReviewStatus.choices,
        default=ReviewStatus.DRAFT,
        verbose_name=_("statut"),
    )
    overall_comment = models.TextField(_("avis général"), blank=True)
    recommendation = models.CharField(
        _("recommandation"), max_length=15, choices=Recommendation.choices, blank=True
    )
    submitted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("remise le"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("modifiée le"))

    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("évaluation")
        verbose_name_plural = _("évaluations")

    def __str__(self) -> str:
        return f"Évaluation {self.assignment}"


class CriterionScore(models.Model):
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="scores", verbose_name=_("évaluation")
    )
    criterion = models.ForeignKey(
        "calls.Criterion", on_delete=models.CASCADE, related_name="+", verbose_name=_("critère")
    )
    score = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, verbose_name=_("note")
    )
    comment = models.TextField(blank=True, verbose_name=_("commentaire"))

    class Meta:
        verbose_name = _("note par critère")
        verbose_name_plural = _("notes par critère")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "criterion"], name="unique_score_per_criterion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score}"


class ConflictRequestStatus(models.TextChoices):
    PENDING = "pending", _("en attente de la décision du chargé de mission")
    ACCEPTED = "accepted", _("accepté : l'évaluation ne compte plus")
    REFUSED = "refused", _("refusé")


class ConflictRequest(models.Model):
    """A conflict of interest declared by an expert after submitting the review, or once reviews
    are closed: an officer decides, because it would take a counted review out of the ranking."""

    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.CASCADE,
        related_name="conflict_requests",
        verbose_name=_("affectation"),
    )
    note = models.TextField(_("nature du conflit"))
    requested_at = models.DateTimeField(verbose_name=_("demandé le"))
    status = models.CharField(
        max_length=10,
        choices=ConflictRequestStatus.choices,
        default=ConflictRequestStatus.PENDING,
        verbose_name=_("statut"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("décidé par"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("décidé le"))
    decision_reason = models.TextField(_("motif de la décision"), blank=True)

    class Meta:
        verbose_name = _("conflit d'intérêts signalé après remise")
        verbose_name_plural = _("conflits d'intérêts signalés après remise")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # One open request per assignment at a time.
            models.UniqueConstraint(
                fields=["assignment"],
                condition=models.Q(status="pending"),
                name="one_pending_conflict_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment} ({self.status})"


class AssignmentRun(models.Model):
    """A proposal computed by the engine, kept until an officer confirms it."""

    call = models.ForeignKey(
        "calls.Call",
        on_delete=models.CASCADE,
        related_name="assignment_runs",
        verbose_name=_("appel à projets"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("créé par"),
    )
    created_at = models.DateTimeField(verbose_name=_("calculée le"))
    pairs = models.JSONField(
        default=list, verbose_name=_("paires proposées")
    )  # [[application_id, reviewer_id, affinity], ...]
    problems = models.JSONField(
        default=list, verbose_name=_("problèmes")
    )  # plain-language reasons when infeasible
    confirmed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("confirmé le"))

    class Meta:
        verbose_name = _("proposition d'affectation")
        verbose_name_plural = _("propositions d'affectation")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.call})"


class JurySession(models.Model):
    call = models.ForeignKey(
        "calls.Call",
        on_delete=models.CASCADE,
        related_name="jury_sessions",
        verbose_name=_("appel à projets"),
    )
    held_on = models.DateField(_("date de la séance"))
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("membres présents"), related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("close le"))
    minutes = models.TextField(_("relevé de décisions"), blank=True)

    class Meta:
        verbose_name = _("séance du jury")
        verbose_name_plural = _("séances du jury")
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return f"Jury {self.call} {self.held_on}"


class JuryDecision(models.Model):
    session = models.ForeignKey(
        JurySession,
        on_delete=models.CASCADE,
        related_name="decisions",
        verbose_name=_("séance du jury"),
    )
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.CASCADE,
        related_name="jury_decisions",
        verbose_name=_("dossier de candidature"),
    )
    rank = models.PositiveIntegerField(verbose_name=_("rang"))
    proposed = models.CharField(max_length=10, verbose_name=_("décision proposée"))
    decision = models.CharField(max_length=10, verbose_name=_("décision"))
    justification = models.TextField(blank=True, verbose_name=_("justification"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("décidée par"),
    )
    decided_at = models.DateTimeField(verbose_name=_("décidée le"))

    class Meta:
        verbose_name = _("décision du jury")
        verbose_name_plural = _("décisions du jury")
        constraints = [
            models.UniqueConstraint(fields=["session", "application"], name="unique_jury_decision")
        ]

    def __str__(self) -> str:
        return f"{self.application}: {self.decision}"


class RankingSnapshot(models.Model):
    """The call's ranking as last computed (rows, calibration, reviewer bias: reviews/ranking.py),
    with the fingerprint of what it was computed from. Every page reads it; it is computed again
    only when the fingerprint no longer matches (a review counted or not, a score, a criterion,
    the set of ranked applications changed)."""

    call = models.OneToOneField(
        "calls.Call",
        on_delete=models.CASCADE,
        related_name="ranking_snapshot",
        verbose_name=_("appel à projets"),
    )
    fingerprint = models.CharField(max_length=64, verbose_name=_("empreinte des évaluations"))
    payload = models.JSONField(verbose_name=_("classement calculé"))
    computed_at = models.DateTimeField(verbose_name=_("calculé le"))

    class Meta:
        verbose_name = _("classement calculé")
        verbose_name_plural = _("classements calculés")

    def __str__(self) -> str:
        return f"Classement {self.call} ({self.computed_at:%Y-%m-%d %H:%M})"
