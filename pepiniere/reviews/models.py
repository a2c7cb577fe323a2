from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewerProfile(models.Model):
    """An expert's profile: what they know, how much they can take, when."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile"
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

    def __str__(self) -> str:
        return str(self.user)

    @property
    def siren_set(self) -> set[str]:
        return {
            s for s in self.related_sirens.replace(",", " ").split() if s.isdigit() and len(s) == 9
        }


class Invitation(models.Model):
    call = models.ForeignKey(
        "calls.Call", on_delete=models.CASCADE, related_name="reviewer_invitations"
    )
    email = models.EmailField()
    token = models.CharField(max_length=40, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation d'expert·e")
        constraints = [
            models.UniqueConstraint(fields=["call", "email"], name="unique_invitation_per_call")
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.call}"


class CallReviewer(models.Model):
    """An expert in a call's pool, with an optional per-call load."""

    call = models.ForeignKey("calls.Call", on_delete=models.CASCADE, related_name="pool")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="call_pools"
    )
    max_load = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("expert·e de l'appel")
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
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflicts"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="conflicts"
    )
    source = models.CharField(max_length=20, choices=ConflictSource.choices)
    note = models.TextField(_("précisions"), blank=True)
    declared_at = models.DateTimeField()

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
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bids"
    )
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="bids"
    )
    level = models.CharField(max_length=10, choices=BidLevel.choices)

    class Meta:
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
        "applications.Application", on_delete=models.CASCADE, related_name="assignments"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    status = models.CharField(
        max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED
    )
    affinity = models.FloatField(default=0)
    assigned_at = models.DateTimeField()
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("affectation")
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
    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="review")
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    overall_comment = models.TextField(_("avis général"), blank=True)
    recommendation = models.CharField(
        _("recommandation"), max_length=15, choices=Recommendation.choices, blank=True
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("évaluation")

    def __str__(self) -> str:
        return f"Évaluation {self.assignment}"


class CriterionScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey("calls.Criterion", on_delete=models.CASCADE, related_name="+")
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
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
        Assignment, on_delete=models.CASCADE, related_name="conflict_requests"
    )
    note = models.TextField(_("nature du conflit"))
    requested_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ConflictRequestStatus.choices, default=ConflictRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
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

    call = models.ForeignKey("calls.Call", on_delete=models.CASCADE, related_name="assignment_runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    pairs = models.JSONField(default=list)  # [[application_id, reviewer_id, affinity], ...]
    problems = models.JSONField(default=list)  # plain-language reasons when infeasible
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.call})"


class JurySession(models.Model):
    call = models.ForeignKey("calls.Call", on_delete=models.CASCADE, related_name="jury_sessions")
    held_on = models.DateField(_("date de la séance"))
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("membres présents"), related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    minutes = models.TextField(_("relevé de décisions"), blank=True)

    class Meta:
        verbose_name = _("séance du jury")
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return f"Jury {self.call} {self.held_on}"


class JuryDecision(models.Model):
    session = models.ForeignKey(JurySession, on_delete=models.CASCADE, related_name="decisions")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="jury_decisions"
    )
    rank = models.PositiveIntegerField()
    proposed = models.CharField(max_length=10)
    decision = models.CharField(max_length=10)
    justification = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
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
        "calls.Call", on_delete=models.CASCADE, related_name="ranking_snapshot"
    )
    fingerprint = models.CharField(max_length=64)
    payload = models.JSONField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("classement calculé")

    def __str__(self) -> str:
        return f"Classement {self.call} ({self.computed_at:%Y-%m-%d %H:%M})"
