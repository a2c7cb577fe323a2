"""The KPI set: how each figure is typed, read, checked and shown.

Used by the report form, its services and the bulk import, so that one rule reads a typed figure
(French numbers, « 1 200,5 ») and one set of consistency checks warns about it; and by every page
that shows a figure (``display``), so that an FTE reads the same everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import format_decimal
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from pepiniere.lib.money import MAX_AMOUNT, AmountError, format_eur, parse_amount, parse_decimal
from pepiniere.portfolio.models import KPI_FIELDS, KpiReport, QuestionKind


@dataclass(frozen=True)
class Figure:
    name: str
    label: Any
    kind: str  # "count", "fte", "money", "percent"
    required: bool = False
    help: Any = ""
    baseline: bool = True  # asked in a baseline too


FIGURES = (
    Figure(
        "headcount",
        gettext_lazy("Effectif salarié en fin de période"),
        "count",
        required=True,
        help=gettext_lazy("Nombre de personnes salariées au dernier jour de la période."),
    ),
    Figure(
        "fte",
        gettext_lazy("Équivalents temps plein annuels (ETP)"),
        "fte",
        required=True,
        help=gettext_lazy(
            "Temps de travail de l'année en équivalents temps plein (un mi-temps = 0,5)."
        ),
    ),
    Figure("research_fte", gettext_lazy("dont ETP de recherche et développement"), "fte"),
    Figure(
        "fte_created",
        gettext_lazy("ETP créés depuis la situation de référence"),
        "fte",
        help=gettext_lazy("Laissé vide, il est calculé à partir de la situation de référence."),
        baseline=False,
    ),
    Figure(
        "fte_maintained",
        gettext_lazy("ETP maintenus depuis la situation de référence"),
        "fte",
        help=gettext_lazy("Laissé vide, il est calculé à partir de la situation de référence."),
        baseline=False,
    ),
    Figure("revenue", gettext_lazy("Chiffre d'affaires (€)"), "money", required=True),
    Figure("equity_raised", gettext_lazy("Fonds levés en capital (€)"), "money"),
    Figure("loans_raised", gettext_lazy("Fonds levés en prêts (€)"), "money"),
    Figure("sites", gettext_lazy("Nombre d'établissements"), "count"),
    Figure("export_share", gettext_lazy("Part du chiffre d'affaires à l'export (%)"), "percent"),
)
BY_NAME = {figure.name: figure for figure in FIGURES}
assert tuple(BY_NAME) == KPI_FIELDS


def figures_for(report: KpiReport) -> tuple[Figure, ...]:
    return tuple(f for f in FIGURES if f.baseline or not report.is_baseline)


def parse_figure(figure: Figure, text: str) -> Decimal | int | None:
    """The typed value of one figure; None when blank. AmountError (French message) otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    if figure.kind == "money":
        return parse_amount(text)
    if figure.kind == "count":
        value = parse_decimal(text, max_decimals=0, allow_negative=False)
        if value > 10_000_000:
            raise AmountError(_("« %(text)s » : ce nombre est trop élevé.") % {"text": text})
        return int(value)
    if figure.kind == "fte":
        return parse_decimal(
            text, max_decimals=2, allow_negative=False, maximum=Decimal("9999999.99")
        )
    value = parse_decimal(text, max_decimals=2, allow_negative=False)
    if value > 100:
        raise AmountError(
            _("« %(text)s » : une part est comprise entre 0 et 100 %%.") % {"text": text}
        )
    return value


def shown(value: Decimal | int | None) -> str:
    """A stored figure as the form shows it back (« 1200,5 »)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        value = value.normalize()
        text = format(value, "f")
        return text.replace(".", ",")
    return str(value)


# Pages show FTE with one decimal, always (« 64,4 » beside « 191,3 », « 12,0 »): the figures are
# typed and stored with two, and exports keep the two.
FTE_ON_PAGES = Decimal("0.1")


def display(value: Any, kind: str = "") -> str:
    """A figure on a page in the page's language (« 1 200 », « 12,5 », « 550 000 € »; « — » for
    none): FTE (kind "fte") with one decimal, money in whole euros, a share with « % »."""
    if value is None or value == "":
        return "—"
    locale = "en_GB" if (get_language() or "fr").startswith("en") else "fr_FR"
    if kind == "money":
        return format_eur(Decimal(value), locale=locale, cents=False)
    if kind == "fte":
        rounded = Decimal(value).quantize(FTE_ON_PAGES, rounding=ROUND_HALF_UP)
        return format_decimal(rounded, format="#,##0.0", locale=locale)
    text = format_decimal(Decimal(value), format="#,##0.##", locale=locale)
    return f"{text}\u00a0%" if kind == "percent" else text


def parse_extra(question: dict[str, Any], text: str) -> Any:
    text = (text or "").strip()
    if not text:
        return None
    kind = question.get("kind")
    if kind == QuestionKind.NUMBER:
        return format(parse_decimal(text, maximum=MAX_AMOUNT).normalize(), "f")
    if kind == QuestionKind.YES_NO:
        folded = text.lower()
        if folded in {"oui", "yes", "o", "1", "vrai"}:
            return True
        if folded in {"non", "no", "n", "0", "faux"}:
            return False
        raise AmountError(_("« %(text)s » : répondez « oui » ou « non ».") % {"text": text})
    return text[:2000]


@dataclass
class Parsed:
    values: dict[str, Decimal | int | None]
    extra: dict[str, Any]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_values(
    report: KpiReport, typed: dict[str, str], *, questions: list[dict[str, Any]], complete: bool
) -> Parsed:
    """Read every typed figure and extra answer; with ``complete``, the required figures must be
    there (to submit or import)."""
    values: dict[str, Decimal | int | None] = {}
    errors: dict[str, str] = {}
    for figure in figures_for(report):
        try:
            values[figure.name] = parse_figure(figure, typed.get(figure.name, ""))
        except AmountError as error:
            errors[figure.name] = error.message
            continue
        if complete and figure.required and values[figure.name] is None:
            errors[figure.name] = _("Indiquez ce chiffre (0 s'il est nul).")
    extra: dict[str, Any] = {}
    for question in questions:
        key = f"extra-{question['key']}"
        try:
            extra[question["key"]] = parse_extra(question, typed.get(key, ""))
        except AmountError as error:
            errors[key] = error.message
    return Parsed(values, extra, errors)


@dataclass(frozen=True)
class KpiWarning:
    code: str
    message: str


def consistency_warnings(values: dict[str, Any], *, previous: KpiReport | None) -> list[KpiWarning]:
    """Figures that are possible but often typing mistakes: they are shown and must be confirmed.
    ``previous``: the organisation's latest validated report of an earlier year (or None)."""
    warnings: list[KpiWarning] = []
    headcount, fte = values.get("headcount"), values.get("fte")
    research = values.get("research_fte")
    if headcount is not None and fte is not None and fte > headcount:
        warnings.append(
            KpiWarning(
                "fte_above_headcount",
                _(
                    "Les ETP (%(fte)s) dépassent l'effectif en fin de période (%(headcount)s) : "
                    "c'est possible si des personnes sont parties en cours d'année."
                )
                % {"fte": shown(fte), "headcount": headcount},
            )
        )
    if research is not None and fte is not None and research > fte:
        warnings.append(
            KpiWarning(
                "research_above_fte",
                _("Les ETP de recherche (%(r)s) dépassent les ETP de la structure (%(fte)s).")
                % {"r": shown(research), "fte": shown(fte)},
            )
        )
    created, maintained = values.get("fte_created"), values.get("fte_maintained")
    if (
        created is not None
        and maintained is not None
        and fte is not None
        and created + maintained > fte
    ):
        warnings.append(
            KpiWarning(
                "created_maintained_above_fte",
                _(
                    "ETP créés (%(c)s) et maintenus (%(m)s) dépassent ensemble les ETP "
                    "de la structure (%(fte)s)."
                )
                % {"c": shown(created), "m": shown(maintained), "fte": shown(fte)},
            )
        )
    if previous is None:
        return warnings
    revenue, before = values.get("revenue"), previous.revenue
    year = previous.period_year
    if (
        revenue is not None
        and before
        and (revenue >= before * 10 or (revenue > 0 and revenue * 10 <= before))
    ):
        warnings.append(
            KpiWarning(
                "revenue_tenfold",
                _(
                    "Le chiffre d'affaires (%(now)s €) est dix fois %(way)s que celui de "
                    "%(year)s (%(before)s €) : vérifiez les zéros."
                )
                % {
                    "now": shown(revenue),
                    "before": shown(before),
                    "year": year,
                    "way": _("plus élevé") if revenue > before else _("plus faible"),
                },
            )
        )
    for name, label in (
        ("headcount", _("l'effectif")),
        ("fte", _("les ETP")),
        ("revenue", _("le chiffre d'affaires")),
    ):
        value, earlier = values.get(name), getattr(previous, name)
        if value == 0 and earlier:
            warnings.append(
                KpiWarning(
                    f"drop_to_zero_{name}",
                    _("%(what)s tombe à zéro (%(before)s en %(year)s) : est-ce bien le cas ?")
                    % {"what": str(label).capitalize(), "before": shown(earlier), "year": year},
                )
            )
    return warnings
