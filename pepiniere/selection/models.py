"""Selection scenarios: a rule and constraints over a call's ranking, run by the engine, kept with
their result so that officers can compare them and send one to the jury."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pepiniere.lib.money import MoneyField


class Rule(models.TextChoices):
    RANKED = "ranked", _("ordre du classement (exact)")
    MAX_SCORE = "max-score", _("note totale maximale (exact)")
    GREEDY = "greedy", _("glouton : chaque dossier qui tient encore")
    GREEDY_STOP = "greedy-stop", _("glouton, arrêt au premier dossier qui ne tient pas")


class Scenario(models.Model):
    """One way of drawing the line: `rule` × `constraints` within `budget`.

    `constraints` is a list of {tag, value, kind, amount} (see pepiniere.selection.constraints);
    `result` is what the engine returned (funded cents per application, reserve, reason codes and
    parameters, unmet minimums, objective) plus the inputs it saw (scores, requests, tags), so that
    a scenario reads the same later even if the ranking moves; `ranking_digest` tells whether it
    has moved since."""

    call = models.ForeignKey(
        "calls.Call",
        on_delete=models.CASCADE,
        related_name="scenarios",
        verbose_name=_("appel à projets"),
    )
    name = models.CharField(_("nom du scénario"), max_length=120)
    rule = models.CharField(_("règle"), max_length=20, choices=Rule.choices, default=Rule.RANKED)
    budget = MoneyField(_("enveloppe du scénario"))
    constraints = models.JSONField(_("contraintes"), default=list, blank=True)
    project_cap = MoneyField(_("plafond par projet"), null=True, blank=True)
    allow_partial = models.BooleanField(_("financement partiel autorisé"), default=False)
    partial_min_percent = models.PositiveSmallIntegerField(
        _("part minimale de la demande en cas de financement partiel (%)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    result = models.JSONField(default=dict, blank=True, editable=False, verbose_name=_("résultat"))
    ranking_digest = models.CharField(
        max_length=64, blank=True, editable=False, verbose_name=_("empreinte du classement")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("créé par"),
    )
    created_at = models.DateTimeField(verbose_name=_("créé le"))
    ran_at = models.DateTimeField(null=True, blank=True, verbose_name=_("calculé le"))
    sent_to_jury_at = models.DateTimeField(_("transmis au jury le"), null=True, blank=True)
    sent_to_jury_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("envoyé au jury par"),
    )

    class Meta:
        verbose_name = _("scénario de sélection")
        verbose_name_plural = _("scénarios de sélection")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["call"],
                condition=models.Q(sent_to_jury_at__isnull=False),
                name="one_scenario_sent_to_jury_per_call",
            ),
            models.UniqueConstraint(fields=["call", "name"], name="unique_scenario_name_per_call"),
            models.CheckConstraint(
                condition=models.Q(budget__gte=0), name="scenario_budget_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(project_cap__isnull=True) | models.Q(project_cap__gt=0),
                name="scenario_project_cap_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(partial_min_percent__gte=1, partial_min_percent__lte=100),
                name="scenario_partial_min_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_sent_to_jury(self) -> bool:
        return self.sent_to_jury_at is not None

    @property
    def funded(self) -> dict[int, int]:
        """{application id: funded cents}, in rank order."""
        return {int(k): int(v) for k, v in self.result.get("funded", {}).items()}

    @property
    def reserve(self) -> list[int]:
        return [int(i) for i in self.result.get("reserve", [])]

    @property
    def total_cents(self) -> int:
        return int(self.result.get("total_cents", 0))

    @property
    def objective(self) -> float:
        return float(self.result.get("objective", 0.0))

    def proposal_info(self) -> dict[int, dict[str, Any]]:
        """What the engine saw for each application: rank, score, request, tags, thresholds."""
        return {int(p["id"]): p for p in self.result.get("proposals", [])}
