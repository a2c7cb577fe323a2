"""KPI follow-up of supported organisations: campaigns, reports, their corrections and reminders.

A report's status only changes through pepiniere.portfolio.services (one function per transition
of DESIGN.md's KPI lifecycle: due ──save──▶ draft ──submit──▶ submitted ──validate──▶ validated,
submitted ──return (reason)──▶ draft)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pepiniere.lib.money import MoneyField


class PeriodKind(models.TextChoices):
    YEAR = "year", _("année")
    SEMESTER = "semester", _("semestre")


class CampaignStatus(models.TextChoices):
    LAUNCHED = "launched", _("lancée")
    CLOSED = "closed", _("close")


class QuestionKind(models.TextChoices):
    TEXT = "text", _("texte")
    NUMBER = "number", _("nombre")
    YES_NO = "yes_no", _("oui / non")


def default_days_before() -> list[int]:
    return [14, 3]


def default_days_after() -> list[int]:
    return [7, 30]


# Field factories: the campaign, report, correction, reminder and import share these shapes (a
# status, who acted and when, a semester, a JSON document); a migration sees the same fields.
SEMESTERS = [(1, _("1er semestre")), (2, _("2d semestre"))]


def _status(choices: Any, default: str, **options: Any) -> Any:
    return models.CharField(_("statut"), max_length=10, choices=choices, default=default, **options)


def _actor(verbose: Any, *, optional: bool = False) -> Any:
    """Who did it: never deleted while a record names them (PROTECT); an optional actor (who
    submitted, who validated) is forgotten with the account instead (SET_NULL)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=optional,
        blank=optional,
        on_delete=models.SET_NULL if optional else models.PROTECT,
        related_name="+",
        verbose_name=verbose,
    )


def _moment(verbose: Any, *, optional: bool = False) -> Any:
    return models.DateTimeField(verbose, null=optional, blank=optional)


def _semester() -> Any:
    return models.PositiveSmallIntegerField(_("semestre"), null=True, blank=True, choices=SEMESTERS)


def _document(verbose: Any, default: Any) -> Any:
    return models.JSONField(verbose, default=default, blank=True)


def _of_campaign(related_name: str, on_delete: Any = models.CASCADE, **options: Any) -> Any:
    return models.ForeignKey(
        "portfolio.KpiCampaign",
        on_delete=on_delete,
        related_name=related_name,
        verbose_name=_("campagne"),
        **options,
    )


class KpiCampaign(models.Model):
    """One call for figures: every organisation supported by a programme (or a call) reports its
    KPIs for one period (a year, or a semester) by a due date."""

    funder = models.ForeignKey(
        "programmes.Funder",
        on_delete=models.PROTECT,
        related_name="kpi_campaigns",
        verbose_name=_("financeur"),
    )
    programme = models.ForeignKey(
        "programmes.Programme",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kpi_campaigns",
        verbose_name=_("programme"),
    )
    call = models.ForeignKey(
        "calls.Call",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kpi_campaigns",
        verbose_name=_("appel à projets"),
    )
    title = models.CharField(_("intitulé"), max_length=200)
    period_kind = models.CharField(
        _("période"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.YEAR
    )
    period_year = models.PositiveSmallIntegerField(_("année"))
    period_semester = _semester()
    due_date = models.DateField(_("date limite de réponse"))
    # Days before / after the due date on which the organisations that have not submitted yet
    # are reminded (each step once: KpiReminder).
    reminder_days_before = _document(_("relances avant l'échéance (jours)"), default_days_before)
    reminder_days_after = _document(_("relances après l'échéance (jours)"), default_days_after)
    # [{"key": "q1", "label": "…", "kind": "text" | "number" | "yes_no"}]
    extra_questions = _document(_("questions complémentaires"), list)
    status = _status(CampaignStatus.choices, CampaignStatus.LAUNCHED)
    launched_by = _actor(_("lancée par"))
    launched_at = _moment(_("lancée le"))
    closed_at = _moment(_("close le"), optional=True)

    class Meta:
        verbose_name = _("campagne d'indicateurs")
        verbose_name_plural = _("campagnes d'indicateurs")
        ordering = ["-period_year", "-due_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(programme__isnull=False) & Q(call__isnull=True))
                | (Q(programme__isnull=True) & Q(call__isnull=False)),
                name="kpi_campaign_programme_xor_call",
            ),
            models.CheckConstraint(
                condition=(Q(period_kind="year") & Q(period_semester__isnull=True))
                | (Q(period_kind="semester") & Q(period_semester__in=[1, 2])),
                name="kpi_campaign_period_shape",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="kpi_campaign_closed_shape",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ReportStatus(models.TextChoices):
    DUE = "due", _("attendu")
    DRAFT = "draft", _("brouillon")
    SUBMITTED = "submitted", _("transmis")
    VALIDATED = "validated", _("validé")


class ReportSource(models.TextChoices):
    CAMPAIGN = "campaign", _("campagne")
    BASELINE = "baseline", _("situation de référence demandée à l'attribution")
    IMPORT = "import", _("import en masse")
    CORRECTION = "correction", _("corrigé par le service instructeur")


# The standard KPI set of DESIGN.md, in the order of the form: (field name, kind).
KPI_FIELDS = (
    "headcount",
    "fte",
    "research_fte",
    "fte_created",
    "fte_maintained",
    "revenue",
    "equity_raised",
    "loans_raised",
    "sites",
    "export_share",
)


def _fte(verbose: Any) -> Any:
    return models.DecimalField(
        verbose,
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )


class KpiReport(models.Model):
    """One organisation's figures for one period. The baseline (is_baseline) is the year before
    the award, asked when the award is made; a report of a campaign has that campaign; an
    imported report has none."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="kpi_reports",
        verbose_name=_("structure"),
    )
    campaign = _of_campaign("reports", models.PROTECT, null=True, blank=True)
    # The award whose baseline this is (baselines only).
    award = models.ForeignKey(
        "grants.Award",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kpi_baselines",
        verbose_name=_("aide attribuée"),
    )
    period_year = models.PositiveSmallIntegerField(_("année"))
    period_semester = _semester()
    is_baseline = models.BooleanField(_("situation de référence"), default=False)
    status = _status(ReportStatus.choices, ReportStatus.DUE, db_index=True)
    source = models.CharField(
        _("origine"), max_length=10, choices=ReportSource.choices, default=ReportSource.CAMPAIGN
    )
    due_date = models.DateField(_("date limite"), null=True, blank=True)
    returned_reason = models.TextField(_("motif du renvoi"), blank=True)

    headcount = models.PositiveIntegerField(
        _("effectif salarié en fin de période"), null=True, blank=True
    )
    fte = _fte(_("équivalents temps plein annuels (ETP)"))
    research_fte = _fte(_("dont ETP de recherche"))
    fte_created = _fte(_("ETP créés depuis la situation de référence"))
    fte_maintained = _fte(_("ETP maintenus depuis la situation de référence"))
    revenue = MoneyField(_("chiffre d'affaires"), null=True, blank=True)
    equity_raised = MoneyField(_("fonds levés en capital"), null=True, blank=True)
    loans_raised = MoneyField(_("fonds levés en prêts"), null=True, blank=True)
    sites = models.PositiveIntegerField(_("nombre d'établissements"), null=True, blank=True)
    export_share = models.DecimalField(
        _("part du chiffre d'affaires à l'export (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    extra_answers = _document(_("réponses complémentaires"), dict)
    # What the organisation typed, as typed ({field: text}, extra answers under "extra-<key>"):
    # the form shows it back, a value that does not parse yet is never lost.
    draft_values = _document(_("saisie en cours"), dict)
    # Codes of the consistency warnings the submitter confirmed (checks.py).
    warnings_confirmed = _document(_("alertes confirmées"), list)
    # Incremented by every draft save: lets the browser know its copy is the latest.
    draft_revision = models.PositiveIntegerField(_("révision du brouillon"), default=0)

    created_at = _moment(_("créé le"))
    updated_at = _moment(_("modifié le"))
    submitted_by = _actor(_("transmis par"), optional=True)
    submitted_at = _moment(_("transmis le"), optional=True)
    validated_by = _actor(_("validé par"), optional=True)
    validated_at = _moment(_("validé le"), optional=True)

    class Meta:
        verbose_name = _("rapport d'indicateurs")
        verbose_name_plural = _("rapports d'indicateurs")
        ordering = ["period_year", "period_semester", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "period_year", "is_baseline"],
                condition=Q(period_semester__isnull=True),
                name="one_kpi_report_per_year",
            ),
            models.UniqueConstraint(
                fields=["organisation", "period_year", "period_semester", "is_baseline"],
                condition=Q(period_semester__isnull=False),
                name="one_kpi_report_per_semester",
            ),
            models.CheckConstraint(
                condition=Q(period_semester__isnull=True) | Q(period_semester__in=[1, 2]),
                name="kpi_report_semester_value",
            ),
            models.CheckConstraint(
                condition=~Q(is_baseline=True) | Q(period_semester__isnull=True),
                name="kpi_baseline_is_a_year",
            ),
            models.CheckConstraint(
                condition=Q(export_share__isnull=True)
                | Q(export_share__gte=0, export_share__lte=100),
                name="kpi_export_share_percent",
            ),
            models.CheckConstraint(
                condition=~Q(status="validated") | Q(validated_at__isnull=False),
                name="kpi_validated_shape",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["organisation", "is_baseline", "period_year"]),
            models.Index(fields=["period_year", "is_baseline", "status"]),
            # The impact figures' data version reads the last change (one index seek).
            models.Index(fields=["updated_at"], name="kpi_report_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.period_label}"

    @property
    def period_label(self) -> str:
        label = str(self.period_year)
        if self.period_semester:
            label = f"{self.get_period_semester_display()} {label}"
        if self.is_baseline:
            label = f"{label} ({_('situation de référence')})"
        return label

    @property
    def is_editable_by_organisation(self) -> bool:
        return self.status in {ReportStatus.DUE, ReportStatus.DRAFT}


class KpiCorrection(models.Model):
    """One figure an officer corrected on a report (a baseline, a validated report): the old value
    is kept, with who, when and why."""

    report = models.ForeignKey(
        KpiReport,
        on_delete=models.CASCADE,
        related_name="corrections",
        verbose_name=_("rapport d'indicateurs"),
    )
    field = models.CharField(_("indicateur"), max_length=40)
    old_value = models.CharField(_("ancienne valeur"), max_length=40, blank=True)
    new_value = models.CharField(_("nouvelle valeur"), max_length=40, blank=True)
    reason = models.TextField(_("motif"))
    corrected_by = _actor(_("corrigé par"))
    corrected_at = _moment(_("corrigé le"))

    class Meta:
        verbose_name = _("correction d'indicateur")
        verbose_name_plural = _("corrections d'indicateurs")
        ordering = ["report", "corrected_at", "id"]

    def __str__(self) -> str:
        return f"{self.report} — {self.field_label}"

    @property
    def field_label(self) -> str:
        return str(getattr(KpiReport._meta.get_field(self.field), "verbose_name", self.field))


class KpiReminder(models.Model):
    """One reminder step of a campaign, sent once (``send_kpi_reminders`` is idempotent)."""

    campaign = _of_campaign("reminders")
    # "before-14", "after-7": the side of the due date and the number of days.
    step = models.CharField(_("étape"), max_length=20)
    sent_at = _moment(_("envoyée le"))
    report_count = models.PositiveIntegerField(_("rapports relancés"), default=0)

    class Meta:
        verbose_name = _("relance de campagne")
        verbose_name_plural = _("relances de campagne")
        ordering = ["campaign", "sent_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "step"], name="one_kpi_reminder_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.campaign} — {self.step}"


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", _("aperçu")
    CONFIRMED = "confirmed", _("importé")
    CANCELLED = "cancelled", _("abandonné")


class KpiImport(models.Model):
    """A filled XLSX template uploaded for a campaign: parsed into a line-by-line preview, then
    confirmed (all accepted lines in one transaction) or cancelled."""

    campaign = _of_campaign("imports")
    file_name = models.CharField(_("nom du fichier"), max_length=200)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    # [{"line": 2, "report": id, "siren": "…", "name": "…", "outcome": "accepted" | "warned" |
    #   "refused", "messages": ["…"], "values": {field: "…"}}]
    lines = _document(_("lignes"), list)
    status = _status(ImportStatus.choices, ImportStatus.PREVIEW)
    uploaded_by = _actor(_("déposé par"))
    uploaded_at = _moment(_("déposé le"))
    confirmed_at = _moment(_("importé le"), optional=True)

    class Meta:
        verbose_name = _("import d'indicateurs")
        verbose_name_plural = _("imports d'indicateurs")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign} — {self.file_name}"


class SupportSummary(models.Model):
    """What one funder gave one organisation, all its awards together: how many, how much, the
    first and the last decision. The portfolio list sorts, pages and counts on these rows (an
    index per sort) instead of adding up the awards on every page view. A row with no funder
    sums every award (the administrators' portfolio).

    Derived data, written only by pepiniere.portfolio.summaries: when an award is made or its
    amount amended (the grants hooks), and rebuilt in bulk (migration, demo, benchmark)."""

    funder = models.ForeignKey(
        "programmes.Funder",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("financeur"),
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="support_summaries",
        verbose_name=_("structure"),
    )
    awards = models.PositiveIntegerField(_("aides attribuées"))
    total = MoneyField(_("montant attribué"))
    first_award = models.DateField(_("première aide"))
    last_award = models.DateField(_("dernière aide"))

    class Meta:
        verbose_name = _("soutien d'un financeur à une structure")
        verbose_name_plural = _("soutiens des financeurs aux structures")
        constraints = [
            models.UniqueConstraint(
                fields=["funder", "organisation"],
                condition=Q(funder__isnull=False),
                name="one_support_summary_per_funder",
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(funder__isnull=True),
                name="one_support_summary_for_all_funders",
            ),
        ]
        # The list's sorts within one funder (either direction walks the same index).
        indexes = [
            models.Index(fields=["funder", "total"], name="support_summary_total"),
            models.Index(fields=["funder", "first_award"], name="support_summary_first"),
            models.Index(fields=["funder", "last_award"], name="support_summary_last"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} ← {self.funder_id}: {self.total} €"


class SupportedAward(models.Model):
    """One award as one funder's portfolio counts it (a row per funder paying a share, and one
    with no funder for every funder together), with what the list's award filters read: the
    call (its programme, axis and sectors) and the decision date. A list filtered on the award
    finds its organisations on one index range per call instead of joining every award,
    application and share. Derived data, written with the summaries."""

    funder = models.ForeignKey(
        "programmes.Funder",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("financeur"),
    )
    award = models.ForeignKey(
        "grants.Award", on_delete=models.CASCADE, related_name="+", verbose_name=_("aide")
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="supported_awards",
        verbose_name=_("structure"),
    )
    call = models.ForeignKey(
        "calls.Call", on_delete=models.CASCADE, related_name="+", verbose_name=_("appel")
    )
    decision_date = models.DateField(_("date de la décision"))
    amount = MoneyField(_("montant attribué"))

    class Meta:
        verbose_name = _("aide d'un portefeuille")
        verbose_name_plural = _("aides des portefeuilles")
        constraints = [
            models.UniqueConstraint(
                fields=["award", "funder"],
                condition=Q(funder__isnull=False),
                name="one_supported_award_per_funder",
            ),
            models.UniqueConstraint(
                fields=["award"],
                condition=Q(funder__isnull=True),
                name="one_supported_award_for_all_funders",
            ),
        ]
        indexes = [
            # The award filters: calls (programme, call, axis, sector) and a year of decision.
            models.Index(
                fields=["funder", "call", "decision_date", "organisation"],
                name="supported_award_filters",
            ),
            # A page's figures within the filters.
            models.Index(fields=["organisation", "funder"], name="supported_award_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.award_id} ← {self.funder_id}: {self.amount} €"
