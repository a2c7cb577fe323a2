from __future__ import annotations

import datetime
import unicodedata
from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pepiniere.lib.money import MoneyField


def fold(text: str) -> str:
    """Lower-case and strip accents so that 'economie' finds 'Économie'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


class Sector(models.Model):
    """A filière, e.g. économie collaborative, fintech, e-santé."""

    code = models.SlugField(primary_key=True, verbose_name=_("code"))
    label_fr = models.CharField(_("libellé (français)"), max_length=100)
    label_en = models.CharField(_("libellé (anglais)"), max_length=100)

    class Meta:
        verbose_name = _("filière")
        verbose_name_plural = _("filières")
        ordering = ["label_fr"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "fr").startswith("en") else self.label_fr


class CallQuerySet(models.QuerySet["Call"]):
    def published(self) -> CallQuerySet:
        return self.filter(is_published=True)

    def open_at(self, moment: datetime.datetime) -> CallQuerySet:
        return self.filter(opens_at__lte=moment, closes_at__gt=moment)

    def upcoming_at(self, moment: datetime.datetime) -> CallQuerySet:
        return self.filter(opens_at__gt=moment)

    def closed_at(self, moment: datetime.datetime) -> CallQuerySet:
        return self.filter(closes_at__lte=moment)


class CallPhase(models.TextChoices):
    UPCOMING = "upcoming", _("à venir")
    OPEN = "open", _("ouvert")
    CLOSED = "closed", _("clos")


SLUG_LENGTH = 50


def call_slug(title: str, year: int, length: int = SLUG_LENGTH) -> str:
    """The call's address: its title slugified, ending with its year once, within the field's length.

    « Consolidation financière des jeunes entreprises 2015 » → « consolidation-financiere-des-jeunes-2015 »
    (the year survives the cut; a slug of 52 characters is refused by PostgreSQL).
    """
    words = [w for w in slugify(title).split("-") if w and w != str(year)]
    room = length - len(str(year)) - 1
    kept: list[str] = []
    for word in words:
        if len("-".join([*kept, word])) > room:
            break
        kept.append(word)
    if not kept and words:
        kept = [words[0][:room]]
    return "-".join([*kept, str(year)])


class Call(models.Model):
    """A call for projects (appel à projets) with its envelope, dates, eligibility, form and grid."""

    funder = models.ForeignKey(
        "programmes.Funder",
        verbose_name=_("financeur"),
        on_delete=models.PROTECT,
        related_name="calls",
    )
    co_funders = models.ManyToManyField(
        "programmes.Funder",
        verbose_name=_("cofinanceurs"),
        blank=True,
        related_name="co_funded_calls",
    )
    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="calls",
    )
    axis = models.ForeignKey(
        "programmes.Axis",
        verbose_name=_("axe prioritaire"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls",
    )
    sectors = models.ManyToManyField(
        Sector, verbose_name=_("filières"), blank=True, related_name="calls"
    )
    code = models.SlugField(
        _("code court"),
        max_length=20,
        help_text=_("En majuscules dans les références des dossiers, ex. ECOCOLLAB."),
    )
    slug = models.SlugField(
        _("adresse de la page"),
        max_length=SLUG_LENGTH,
        unique=True,
        help_text=_("Dernière partie de l'adresse de la page publique de l'appel."),
    )
    title = models.CharField(_("titre"), max_length=200)
    summary = models.CharField(_("résumé"), max_length=400)
    description = models.TextField(_("description"))
    envelope = MoneyField(_("enveloppe"))
    opens_at = models.DateTimeField(_("ouverture"))
    closes_at = models.DateTimeField(_("date limite de dépôt"))
    is_published = models.BooleanField(_("publié"), default=False)
    contact_email = models.EmailField(_("contact"), blank=True)

    # Eligibility rules; an empty rule means "no restriction".
    eligible_departements = models.ManyToManyField(
        "territories.Departement",
        verbose_name=_("départements éligibles"),
        blank=True,
        related_name="+",
    )
    eligible_communes = models.JSONField(
        _("communes éligibles (codes INSEE)"), default=list, blank=True
    )
    eligible_kinds = models.JSONField(_("types de structure éligibles"), default=list, blank=True)
    eligible_legal_forms = models.ManyToManyField(
        "organisations.LegalForm",
        verbose_name=_("formes juridiques éligibles"),
        blank=True,
        related_name="+",
    )
    eligible_size_bands = models.ManyToManyField(
        "organisations.SizeBand",
        verbose_name=_("tranches d'effectifs éligibles"),
        blank=True,
        related_name="+",
    )
    min_age_years = models.PositiveSmallIntegerField(
        _("ancienneté minimale (ans)"), null=True, blank=True
    )
    max_age_years = models.PositiveSmallIntegerField(
        _("ancienneté maximale (ans)"), null=True, blank=True
    )
    max_requested_amount = MoneyField(_("montant maximal demandé"), null=True, blank=True)
    # Any one of them is enough (as for the départements, forms and bands above).
    required_labels = models.ManyToManyField(
        "programmes.Label",
        verbose_name=_("labels exigés"),
        blank=True,
        related_name="calls_requiring",
    )
    max_aid_rate = models.DecimalField(
        _("taux d'aide maximal (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    # Review settings (used by the expert review).
    reviews_per_application = models.PositiveSmallIntegerField(
        _("évaluations par dossier"), default=3
    )
    blind_review = models.BooleanField(_("évaluation en aveugle"), default=True)
    # In a small territory the commune alone can name the applicant: the call decides.
    blind_hides_commune = models.BooleanField(
        _("en aveugle, masquer aussi la commune"), default=False
    )
    reviewer_max_load = models.PositiveSmallIntegerField(
        _("charge maximale par expert"), default=15
    )
    allow_half_marks = models.BooleanField(_("demi-points autorisés"), default=False)
    review_deadline = models.DateTimeField(_("date limite des évaluations"), null=True, blank=True)
    show_other_reviews = models.BooleanField(
        _("les expert·es voient les autres évaluations après avoir remis la leur"), default=False
    )
    # Ordered tie-break keys for the ranking: "criterion:<position>" or "submitted_at".
    tie_break = models.JSONField(_("départage des ex æquo"), default=list, blank=True)
    overall_threshold = models.DecimalField(
        _("seuil global"), max_digits=6, decimal_places=2, null=True, blank=True
    )

    last_application_number = models.PositiveIntegerField(
        default=0, editable=False, verbose_name=_("dernier numéro de dossier")
    )
    search_text = models.TextField(editable=False, default="", verbose_name=_("texte de recherche"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("appel à projets")
        verbose_name_plural = _("appels à projets")
        ordering = ["-closes_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="call_dates_order"
            ),
            models.CheckConstraint(
                condition=models.Q(envelope__gte=0), name="call_envelope_positive"
            ),
            models.UniqueConstraint(
                fields=["programme", "code"], name="unique_call_code_per_programme"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A denormalised, accent-folded copy of the searchable text: portable full-text search on
        # SQLite and PostgreSQL alike. Derived data only; no business rule lives here.
        self.search_text = fold(" ".join([self.title, self.summary, self.description, self.code]))
        super().save(*args, **kwargs)

    def phase(self, moment: datetime.datetime | None = None) -> str:
        moment = moment or timezone.now()
        if moment < self.opens_at:
            return CallPhase.UPCOMING
        if moment < self.closes_at:
            return CallPhase.OPEN
        return CallPhase.CLOSED

    def get_phase_display(self) -> str:
        return str(CallPhase(self.phase()).label)

    @property
    def is_open(self) -> bool:
        return self.phase() == CallPhase.OPEN

    @property
    def reference_prefix(self) -> str:
        year = timezone.localtime(self.opens_at).year
        return f"AAP-{year}-{self.code.upper()}"


class CallDocument(models.Model):
    call = models.ForeignKey(
        Call, verbose_name=_("appel à projets"), on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(_("titre"), max_length=200)
    file = models.FileField(_("fichier"), upload_to="call_documents/")
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("document de l'appel")
        verbose_name_plural = _("documents de l'appel")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class FieldKind(models.TextChoices):
    SHORT_TEXT = "short_text", _("texte court")
    LONG_TEXT = "long_text", _("texte long")
    NUMBER = "number", _("nombre")
    AMOUNT = "amount", _("montant (€)")
    DATE = "date", _("date")
    CHOICE = "choice", _("choix unique")
    MULTI_CHOICE = "multi_choice", _("choix multiple")
    YES_NO = "yes_no", _("oui / non")
    FILE = "file", _("fichier")
    SIRET = "siret", _("SIRET")
    RNA = "rna", _("RNA")
    IBAN = "iban", _("IBAN")
    GROUP = "group", _("groupe répétable")


class FormField(models.Model):
    """One question of a call's application form. Fields with a `group` are the columns of a
    repeatable group (e.g. one row per team member)."""

    call = models.ForeignKey(
        Call,
        verbose_name=_("appel à projets"),
        on_delete=models.CASCADE,
        related_name="form_fields",
    )
    group = models.ForeignKey(
        "self",
        verbose_name=_("groupe"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        limit_choices_to={"kind": FieldKind.GROUP},
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    key = models.SlugField(_("clé"), max_length=50)
    label = models.CharField(_("question"), max_length=300)
    help_text = models.TextField(_("aide"), blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=FieldKind.choices)
    required = models.BooleanField(_("obligatoire"), default=True)
    word_limit = models.PositiveIntegerField(_("nombre de mots maximal"), null=True, blank=True)
    min_value = models.DecimalField(
        _("minimum"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    choices = models.JSONField(_("choix possibles"), default=list, blank=True)
    max_rows = models.PositiveSmallIntegerField(
        _("lignes maximales (groupe)"), null=True, blank=True
    )
    allowed_extensions = models.CharField(
        _("extensions autorisées"),
        max_length=200,
        blank=True,
        default="pdf,jpg,jpeg,png,odt,docx,xlsx,ods",
    )
    max_file_mb = models.PositiveSmallIntegerField(_("taille maximale (Mo)"), default=10)

    class Meta:
        verbose_name = _("champ du formulaire")
        verbose_name_plural = _("formulaire de candidature")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["call", "key"], name="unique_field_key_per_call"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def extensions(self) -> list[str]:
        return [
            e.strip().lower().lstrip(".") for e in self.allowed_extensions.split(",") if e.strip()
        ]


class Criterion(models.Model):
    """One criterion of the evaluation grid: scored on [scale_min, scale_max]; the threshold applies
    to the raw consensus score, the weight only to ranking (DESIGN: Horizon Europe practice)."""

    call = models.ForeignKey(
        Call, verbose_name=_("appel à projets"), on_delete=models.CASCADE, related_name="criteria"
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    title = models.CharField(_("critère"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    scale_min = models.DecimalField(_("note minimale"), max_digits=5, decimal_places=2, default=0)
    scale_max = models.DecimalField(_("note maximale"), max_digits=5, decimal_places=2, default=5)
    weight = models.DecimalField(_("pondération"), max_digits=5, decimal_places=2, default=1)
    threshold = models.DecimalField(
        _("seuil"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("critère d'évaluation")
        verbose_name_plural = _("grille d'évaluation")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scale_max__gt=models.F("scale_min")),
                name="criterion_scale_order",
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0), name="criterion_weight_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title
