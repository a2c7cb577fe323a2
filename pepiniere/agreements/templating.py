"""The text of an agreement: the call's template (or the default one), rendered with the award's
fields by a sandboxed engine.

Like the decision letters (pepiniere/grants/letter_templates.py): Django template language from a
string, an engine of its own with no loaders (``{% include %}``/``{% extends %}`` find nothing),
no tag library beyond the built-ins, autoescape on, and a context of plain strings, booleans and
lists built here, never a model object (a template cannot call a method or follow a relation).
Checking compiles the template and renders it against a sample agreement with unknown variables
made visible, so a typo is refused with its line and name, in French, before anything is saved."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.utils import formats
from django.utils.translation import gettext as _

from pepiniere.grants.letter_templates import _french_syntax_error, _line_of
from pepiniere.lib.dates import long_date
from pepiniere.lib.money import CENT, format_eur

_INVALID = "\x00INCONNUE:%s\x00"
_ENGINE = Engine(autoescape=True, libraries={}, loaders=[], string_if_invalid="")
_CHECKING = Engine(
    autoescape=True, libraries={}, loaders=[], string_if_invalid=_INVALID, debug=True
)
MAX_LENGTH = 60_000
# The text is also shown on the beneficiary's page: no active content, whatever the CSP does.
FORBIDDEN = re.compile(
    r"<\s*(script|iframe|object|embed|link|meta|form|input|base|style)\b|\son\w+\s*=|javascript:",
    re.IGNORECASE,
)
DEFAULT_TEMPLATE = Path(__file__).with_name("default_agreement.html")

# Every field a template may use, shown to the officers beside the editor (and in the README).
FIELDS: list[tuple[str, str]] = [
    ("beneficiaire.nom", "raison sociale du bénéficiaire"),
    (
        "beneficiaire.forme_juridique",
        "forme juridique, ex. « SAS, société par actions simplifiée »",
    ),
    ("beneficiaire.siret", "SIRET du siège (ou « — »)"),
    ("beneficiaire.rna", "numéro RNA d'une association (vide sinon)"),
    ("beneficiaire.adresse", "adresse du siège, ex. « 12 quai des Chartrons, 33000 Bordeaux »"),
    ("beneficiaire.representant", "prénom et nom du représentant·e légal·e"),
    ("beneficiaire.qualite", "qualité du représentant·e légal·e, ex. « Présidente »"),
    (
        "beneficiaire.association",
        "vrai pour une association (compte rendu financier CERFA n° 15059)",
    ),
    ("financeur.nom", "nom du financeur"),
    ("financeur.siret", "SIRET du financeur"),
    ("financeur.adresse", "adresse du financeur (réglée avec le modèle)"),
    ("financeur.signataire", "signataire pour le financeur (règles d'attribution de l'appel)"),
    ("financeur.qualite", "qualité du signataire, ex. « Le Président du Conseil régional »"),
    ("convention.reference", "référence de la convention, ex. CONV-2015-ECOCOLLAB-003"),
    ("convention.version", "« Convention » ou « Avenant n° 1 »…"),
    ("convention.avenant", "vrai pour un avenant"),
    ("convention.objet_avenant", "ce que change l'avenant (vide pour la convention initiale)"),
    ("convention.date_debut", "début du projet, ex. 1er septembre 2015"),
    ("convention.date_fin", "fin du projet (les dépenses doivent être faites entre ces dates)"),
    ("convention.duree_mois", "durée du projet en mois"),
    ("projet.titre", "titre du projet"),
    ("projet.resume", "résumé du projet"),
    ("projet.dossier", "référence du dossier de candidature"),
    ("appel.titre", "titre de l'appel à projets"),
    ("appel.programme", "programme (feuille de route) de l'appel"),
    ("aide.montant", "montant de l'aide, ex. 40 000,00 €"),
    ("aide.taux", "taux d'aide, ex. 70 %"),
    ("aide.budget_eligible", "budget des dépenses éligibles, ex. 57 142,86 €"),
    ("aide.reference_decision", "référence de la délibération ou de l'arrêté"),
    ("aide.date_decision", "date de la décision d'attribution"),
    ("aide.de_minimis", "vrai quand l'aide relève du règlement de minimis (UE) 2023/2831"),
    ("echeancier", "tranches (liste : rang, part, montant, declencheur, libelle)"),
    ("lieu", "lieu de signature (règles des courriers de l'appel)"),
]


@dataclass(frozen=True)
class Step:
    percent: Decimal
    trigger_label: str
    label: str = ""


def _percent(value: Decimal) -> str:
    value = value.quantize(CENT)
    text = formats.number_format(value, decimal_pos=0 if value == value.to_integral() else 2)
    return f"{text} %"


def _months(start: datetime.date, end: datetime.date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months + (1 if end.day >= start.day - 1 else 0)


def agreement_context(
    *,
    beneficiary: dict[str, Any],
    funder: dict[str, Any],
    reference: str,
    number: int,
    purpose: str,
    start_date: datetime.date,
    end_date: datetime.date,
    project: dict[str, str],
    call: dict[str, str],
    amount: Decimal,
    aid_rate: Decimal,
    eligible_budget: Decimal,
    decision_reference: str,
    decision_date: datetime.date,
    de_minimis: bool,
    schedule: list[Step],
    place: str,
) -> dict[str, Any]:
    """The only names a template sees: strings, booleans and lists of them."""
    remaining = amount
    steps = []
    for position, step in enumerate(schedule, start=1):
        part = (
            remaining if position == len(schedule) else (amount * step.percent / 100).quantize(CENT)
        )
        remaining -= part
        steps.append(
            {
                "rang": str(position),
                "part": _percent(step.percent),
                "montant": format_eur(part),
                "declencheur": step.trigger_label,
                "libelle": step.label,
            }
        )
    return {
        "beneficiaire": {
            "nom": beneficiary["name"],
            "forme_juridique": beneficiary.get("legal_form", ""),
            "siret": beneficiary.get("siret") or "—",
            "rna": beneficiary.get("rna", ""),
            "adresse": beneficiary.get("address") or "—",
            "representant": beneficiary.get("representative") or "—",
            "qualite": beneficiary.get("representative_title") or _("représentant·e légal·e"),
            "association": bool(beneficiary.get("association")),
        },
        "financeur": {
            "nom": funder["name"],
            "siret": funder.get("siret") or "—",
            "adresse": funder.get("address") or "—",
            "signataire": funder.get("signatory") or "—",
            "qualite": funder.get("signatory_title") or "",
        },
        "convention": {
            "reference": reference,
            "version": _("Convention")
            if number == 1
            else _("Avenant n° %(n)s") % {"n": number - 1},
            "avenant": number > 1,
            "objet_avenant": purpose,
            "date_debut": long_date(start_date),
            "date_fin": long_date(end_date),
            "duree_mois": str(_months(start_date, end_date)),
        },
        "projet": {
            "titre": project.get("title", ""),
            "resume": project.get("summary", ""),
            "dossier": project.get("reference", ""),
        },
        "appel": {"titre": call.get("title", ""), "programme": call.get("programme", "")},
        "aide": {
            "montant": format_eur(amount),
            "taux": _percent(aid_rate),
            "budget_eligible": format_eur(eligible_budget),
            "reference_decision": decision_reference,
            "date_decision": long_date(decision_date),
            "de_minimis": de_minimis,
        },
        "echeancier": steps,
        "lieu": place,
    }


def sample_context(*, de_minimis: bool = True) -> dict[str, Any]:
    """A fictional agreement, for the preview and the check."""
    return agreement_context(
        beneficiary={
            "name": "Coopérative Exemple",
            "legal_form": "SCOP SA",
            "siret": "35600000000048",
            "address": "12 quai des Chartrons, 33000 Bordeaux",
            "representative": "Camille Martin",
            "representative_title": "Présidente",
            "association": False,
        },
        funder={
            "name": "Région Aquitaine",
            "siret": "23330001300012",
            "address": "14 rue François de Sourdis, 33077 Bordeaux Cedex",
            "signatory": "Alain Rousset",
            "signatory_title": "Le Président du Conseil régional",
        },
        reference="CONV-2015-ECOCOLLAB-001",
        number=2,
        purpose="Prolongation de six mois et aide portée à 45 000 €.",
        start_date=datetime.date(2015, 9, 1),
        end_date=datetime.date(2017, 8, 31),
        project={"title": "Plateforme de réemploi", "summary": "…", "reference": "AAP-2015-0001"},
        call={"title": "Économie collaborative", "programme": "Feuille de route 2015–2017"},
        amount=Decimal("40000"),
        aid_rate=Decimal("70"),
        eligible_budget=Decimal("57142.86"),
        decision_reference="CP n° 15.1234",
        decision_date=datetime.date(2015, 7, 10),
        de_minimis=de_minimis,
        schedule=[
            Step(Decimal("50"), "à la signature"),
            Step(Decimal("30"), "sur rapport intermédiaire"),
            Step(Decimal("20"), "sur rapport final et état récapitulatif des dépenses"),
        ],
        place="Bordeaux",
    )


def default_template() -> str:
    return DEFAULT_TEMPLATE.read_text(encoding="utf-8")


class TemplateRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_template(text: str) -> None:
    """Refuse a template that does not compile, names a field it is not given, or fails to
    render, with a French message (the line, the name)."""
    if not text.strip():
        raise TemplateRefused(_("Le modèle est vide."))
    if len(text) > MAX_LENGTH:
        raise TemplateRefused(_("Le modèle fait plus de %(n)d caractères.") % {"n": MAX_LENGTH})
    forbidden = FORBIDDEN.search(text)
    if forbidden:
        raise TemplateRefused(
            _(
                "« %(found)s » n'est pas permis dans une convention (ni script, ni formulaire, ni "
                "style, ni gestionnaire d'événement) : du texte, des titres, des listes et des "
                "tableaux."
            )
            % {"found": forbidden.group(0).strip()}
        )
    try:
        template = _CHECKING.from_string(text)
    except TemplateSyntaxError as error:
        line = _line_of(error, text)
        raise TemplateRefused(
            _("Modèle invalide%(line)s : %(error)s.")
            % {
                "line": _(" (ligne %(n)d)") % {"n": line} if line else "",
                "error": _french_syntax_error(str(error)),
            }
        ) from None
    rendered = ""
    for de_minimis in (True, False):
        try:
            rendered += template.render(Context(sample_context(de_minimis=de_minimis)))
        except TemplateDoesNotExist:
            raise TemplateRefused(
                _(
                    "Le modèle ne peut pas être rendu : « {%% include %%} » et « {%% extends %%} » "
                    "ne sont pas permis dans un modèle de convention."
                )
            ) from None
        except Exception as error:  # another tag failing at render time
            raise TemplateRefused(
                _("Le modèle ne peut pas être rendu : %(error)s.")
                % {"error": str(error).rstrip(".")[:200] or type(error).__name__}
            ) from None
    if "\x00INCONNUE:" in rendered:
        names = sorted({part.split("\x00")[0] for part in rendered.split("\x00INCONNUE:")[1:]})
        raise TemplateRefused(
            _("Champ inconnu %(names)s : voyez la liste des champs possibles.")
            % {"names": ", ".join(f"« {n} »" for n in names)}
        )


def render(text: str, context: dict[str, Any]) -> str:
    """Render a template that passed `check_template` (autoescaped HTML)."""
    return _ENGINE.from_string(text).render(Context(context))
