"""The accelerator (DESIGN.md, "Accelerator, labels, match-funded crowdfunding"): a programme run by a
funder with a partner organisation (the cluster), whose intake goes through an ordinary call; the
jury's selection forms a yearly cohort; each selected start-up has a stay (six months, renewable
once) with mentors, mentoring sessions and milestones.

Statuses change only through pepiniere.accelerator.services (one function per transition)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, clamped to the month's last day (31 August + 6 → 28/29
    February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    next_month = datetime.date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last_day))


class AcceleratorProgramme(models.Model):
    funder = models.ForeignKey(
        "programmes.Funder",
        on_delete=models.PROTECT,
        related_name="accelerator_programmes",
        verbose_name=_("financeur"),
    )
    partner = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accelerator_partnerships",
        verbose_name=_("structure partenaire"),
        help_text=_("Le pôle ou cluster qui anime l'accélérateur avec le financeur."),
    )
    call = models.ForeignKey(
        "calls.Call",
        on_delete=models.PROTECT,
        related_name="accelerator_programmes",
        verbose_name=_("appel à candidatures"),
        help_text=_(
            "L'appel ordinaire par lequel les start-ups candidatent ; le jury les retient."
        ),
    )
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    yearly_capacity = models.PositiveSmallIntegerField(
        _("start-ups par an"),
        default=6,
        help_text=_("Nombre maximal de séjours qui commencent dans une même année civile."),
    )
    max_concurrent = models.PositiveSmallIntegerField(
        _("start-ups à la fois"),
        default=4,
        help_text=_("Nombre maximal de séjours en cours au même moment."),
    )
    stay_months = models.PositiveSmallIntegerField(
        _("durée d'un séjour (mois)"),
        default=6,
        help_text=_("Un renouvellement, au plus, prolonge le séjour de la même durée."),
    )
    mentors_per_startup = models.PositiveSmallIntegerField(_("mentors par start-up"), default=1)

    class Meta:
        verbose_name = _("programme d'accélération")
        verbose_name_plural = _("programmes d'accélération")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(yearly_capacity__gte=1)
                & models.Q(max_concurrent__gte=1)
                & models.Q(stay_months__gte=1)
                & models.Q(mentors_per_startup__gte=1),
                name="accelerator_programme_positive_figures",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Cohort(models.Model):
    programme = models.ForeignKey(
        AcceleratorProgramme,
        on_delete=models.PROTECT,
        related_name="cohorts",
        verbose_name=_("programme d'accélération"),
    )
    year = models.PositiveSmallIntegerField(_("année"))
    formed_at = models.DateTimeField(_("constituée le"))
    formed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("constituée par"),
    )

    class Meta:
        verbose_name = _("cohorte")
        verbose_name_plural = _("cohortes")
        ordering = ["programme", "year"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "year"], name="one_cohort_per_year")
        ]

    def __str__(self) -> str:
        return _("Cohorte %(year)s — %(programme)s") % {
            "year": self.year,
            "programme": self.programme.name,
        }


class StayStatus(models.TextChoices):
    ACTIVE = "active", _("en cours")
    RENEWED = "renewed", _("renouvelé")
    GRADUATED = "graduated", _("terminé avec succès")
    LEFT = "left", _("sorti avant la fin")


# States in which the stay occupies a place (a seat at a time).
OPEN_STATUSES = (StayStatus.ACTIVE, StayStatus.RENEWED)


class Stay(models.Model):
    """A start-up's stay in the accelerator. Its place runs from ``start_date`` to its planned end
    (moved by the renewal) while open, to ``ended_on`` once graduated or left."""

    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="stays", verbose_name=_("cohorte")
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="accelerator_stays",
        verbose_name=_("start-up"),
    )
    application = models.OneToOneField(
        "applications.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accelerator_stay",
        verbose_name=_("dossier retenu"),
    )
    sectors = models.ManyToManyField(
        "calls.Sector", blank=True, related_name="accelerator_stays", verbose_name=_("filières")
    )
    start_date = models.DateField(_("début"))
    planned_end = models.DateField(_("fin prévue"))
    renewed = models.BooleanField(_("renouvelé"), default=False)
    status = models.CharField(
        _("statut"), max_length=12, choices=StayStatus.choices, default=StayStatus.ACTIVE
    )
    ended_on = models.DateField(_("terminé le"), null=True, blank=True)
    leave_reason = models.TextField(_("motif de sortie"), blank=True)

    class Meta:
        verbose_name = _("séjour d'accélération")
        verbose_name_plural = _("séjours d'accélération")
        ordering = ["start_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "organisation"], name="one_stay_per_cohort_and_startup"
            ),
            models.CheckConstraint(
                condition=models.Q(planned_end__gt=models.F("start_date")),
                name="stay_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return _("Séjour de %(organisation)s (%(cohort)s)") % {
            "organisation": self.organisation.name,
            "cohort": self.cohort.year,
        }

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def occupied_until(self) -> datetime.date:
        """The end of the place it takes (exclusive)."""
        return self.ended_on if self.ended_on is not None else self.planned_end


class Mentor(models.Model):
    """A person of a programme's mentor pool (a User; no role of their own)."""

    programme = models.ForeignKey(
        AcceleratorProgramme,
        on_delete=models.PROTECT,
        related_name="mentors",
        verbose_name=_("programme d'accélération"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="mentor_profiles",
        verbose_name=_("personne"),
    )
    sectors = models.ManyToManyField(
        "calls.Sector", blank=True, related_name="mentors", verbose_name=_("filières")
    )
    expertise = models.TextField(_("expertise"), blank=True)
    languages = models.CharField(
        _("langues"), max_length=100, blank=True, help_text=_("Par exemple : français, anglais.")
    )
    capacity = models.PositiveSmallIntegerField(
        _("start-ups à la fois"),
        default=2,
        help_text=_("Nombre maximal de start-ups suivies en même temps."),
    )
    active = models.BooleanField(_("disponible"), default=True)

    # Set by matching.pool: the open stays the mentor already follows.
    load: int

    class Meta:
        verbose_name = _("mentor")
        verbose_name_plural = _("mentors")
        ordering = ["programme", "user__full_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "user"], name="one_mentor_per_programme")
        ]

    def __str__(self) -> str:
        return str(self.user)


class Mentoring(models.Model):
    """A mentor confirmed for a stay."""

    stay = models.ForeignKey(
        Stay, on_delete=models.CASCADE, related_name="mentorings", verbose_name=_("séjour")
    )
    mentor = models.ForeignKey(
        Mentor, on_delete=models.PROTECT, related_name="mentorings", verbose_name=_("mentor")
    )
    affinity = models.FloatField(_("affinité"), default=0.0)
    assigned_at = models.DateTimeField(_("confirmé le"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmé par"),
    )

    class Meta:
        verbose_name = _("mentorat")
        verbose_name_plural = _("mentorats")
        ordering = ["stay", "mentor"]
        constraints = [
            models.UniqueConstraint(fields=["stay", "mentor"], name="one_mentoring_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.mentor} → {self.stay.organisation.name}"


class MatchingProposal(models.Model):
    """The engine's proposal of mentors for a cohort, that the officer adjusts and confirms.
    ``pairs`` holds ``[stay id, mentor id, affinity]``; ``problems`` the reasons no proposal
    exists (in French)."""

    cohort = models.ForeignKey(
        Cohort, on_delete=models.CASCADE, related_name="proposals", verbose_name=_("cohorte")
    )
    created_at = models.DateTimeField(_("proposée le"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposée par"),
    )
    pairs = models.JSONField(_("paires proposées"), default=list, blank=True)
    problems = models.JSONField(_("problèmes"), default=list, blank=True)
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("proposition de mentors")
        verbose_name_plural = _("propositions de mentors")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return _("Proposition de mentors — %(cohort)s") % {"cohort": self.cohort}


class MentoringSession(models.Model):
    stay = models.ForeignKey(
        Stay, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("séjour")
    )
    mentor = models.ForeignKey(
        Mentor,
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("mentor"),
    )
    held_on = models.DateField(_("date"))
    topic = models.CharField(_("sujet"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("saisie par"),
    )

    class Meta:
        verbose_name = _("séance de mentorat")
        verbose_name_plural = _("séances de mentorat")
        ordering = ["held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.topic} ({self.held_on:%d/%m/%Y})"


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", _("prévu")
    REACHED = "reached", _("atteint")
    MISSED = "missed", _("manqué")


def evidence_path(instance: Milestone, filename: str) -> str:
    return f"accelerator/{instance.stay_id}/{filename}"


class Milestone(models.Model):
    stay = models.ForeignKey(
        Stay, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("séjour")
    )
    title = models.CharField(_("intitulé"), max_length=200)
    due_date = models.DateField(_("échéance"))
    status = models.CharField(
        _("statut"), max_length=10, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED
    )
    evidence = models.TextField(_("preuve"), blank=True)
    evidence_file = models.FileField(
        _("pièce justificative"), upload_to=evidence_path, max_length=200, blank=True
    )
    decided_on = models.DateField(_("constaté le"), null=True, blank=True)

    class Meta:
        verbose_name = _("jalon d'accélération")
        verbose_name_plural = _("jalons d'accélération")
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.title
