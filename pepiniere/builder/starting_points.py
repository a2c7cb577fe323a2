"""Ready-made starting points for a new call: questions and grids an officer then edits.

- « Subvention à une association » follows the standard application of French public funders, the
  CERFA n° 12156 « dossier de demande de subvention »: the association (identity, resources), the
  action (description, public, dates, means), the budget of the action, the association's budget,
  the attestation on honour and the bank details.
- « Projet d'innovation d'une start-up » asks what an innovation call usually asks: the innovation
  and its maturity, the market, the team, intellectual property, the financing plan.

The four core answers (title, summary, requested amount, total budget) are asked by every form."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from pepiniere.calls.models import FieldKind as K


@dataclass(frozen=True)
class StartingPoint:
    code: str
    title: Any
    description: Any
    questions: list[dict[str, Any]] = field(default_factory=list)
    criteria: list[dict[str, Any]] = field(default_factory=list)
    eligible_kinds: list[str] = field(default_factory=list)


def q(label: Any, kind: str, **settings: Any) -> dict[str, Any]:
    return {"label": label, "kind": kind, **settings}


ASSOCIATION = StartingPoint(
    code="cerfa-12156",
    title=_("Subvention à une association (CERFA n° 12156)"),
    description=_(
        "Le dossier de demande de subvention des financeurs publics : présentation de "
        "l'association, description et budget de l'action, budget de l'association, attestation."
    ),
    eligible_kinds=["association"],
    questions=[
        q(_("Numéro RNA de l'association"), K.RNA),
        q(_("Objet de l'association (selon les statuts)"), K.LONG_TEXT, word_limit=150),
        q(_("Nombre d'adhérent·es au 31 décembre de l'année écoulée"), K.NUMBER, min_value=0),
        q(_("Nombre de bénévoles"), K.NUMBER, min_value=0, required=False),
        q(_("Nombre de salarié·es (en ETP)"), K.NUMBER, min_value=0),
        q(
            _("Description de l'action : objectifs, contenu, bénéficiaires"),
            K.LONG_TEXT,
            word_limit=800,
        ),
        q(
            _("Public visé"),
            K.MULTI_CHOICE,
            choices=["Enfants", "Jeunes (16–25 ans)", "Adultes", "Seniors", "Tous publics"],
        ),
        q(_("Date de début de l'action"), K.DATE),
        q(
            _("Moyens humains affectés à l'action"),
            K.GROUP,
            max_rows=20,
            columns=[
                q(_("Fonction"), K.SHORT_TEXT),
                q(_("Nombre de personnes"), K.NUMBER),
                q(_("ETP"), K.NUMBER, required=False),
            ],
        ),
        q(
            _("Budget prévisionnel de l'action (tableau charges et produits)"),
            K.FILE,
            allowed_extensions="pdf,xlsx,ods",
            max_file_mb=10,
            help_text=_("Le modèle de budget du CERFA n° 12156 convient."),
        ),
        q(
            _("Budget prévisionnel de l'association pour l'exercice"),
            K.FILE,
            allowed_extensions="pdf,xlsx,ods",
            max_file_mb=10,
        ),
        q(_("Statuts de l'association"), K.FILE, allowed_extensions="pdf", max_file_mb=10),
        q(_("IBAN du compte de l'association"), K.IBAN),
        q(
            _(
                "J'atteste sur l'honneur que l'association est à jour de ses obligations sociales et "
                "fiscales, et que les informations du dossier sont exactes"
            ),
            K.YES_NO,
        ),
    ],
    criteria=[
        {
            "title": _("Intérêt général et utilité sociale de l'action"),
            "weight": "2",
            "threshold": "3",
        },
        {"title": _("Qualité et faisabilité du projet"), "weight": "1", "threshold": "3"},
        {"title": _("Solidité du budget et des cofinancements"), "weight": "1", "threshold": "2"},
    ],
)

INNOVATION = StartingPoint(
    code="innovation",
    title=_("Projet d'innovation d'une start-up"),
    description=_(
        "L'innovation et sa maturité, le marché, l'équipe, la propriété intellectuelle, le plan "
        "de financement."
    ),
    eligible_kinds=["startup", "sme"],
    questions=[
        q(_("SIRET de l'établissement porteur"), K.SIRET),
        q(
            _("L'innovation : en quoi votre solution est-elle nouvelle ?"),
            K.LONG_TEXT,
            word_limit=500,
        ),
        q(
            _("Maturité technologique (TRL)"),
            K.CHOICE,
            choices=["TRL 1–3 (recherche)", "TRL 4–6 (prototype)", "TRL 7–9 (mise sur le marché)"],
        ),
        q(_("Marché visé, clients et concurrence"), K.LONG_TEXT, word_limit=500),
        q(
            _("L'équipe"),
            K.GROUP,
            max_rows=15,
            columns=[
                q(_("Nom"), K.SHORT_TEXT),
                q(_("Rôle"), K.SHORT_TEXT),
                q(_("ETP sur le projet"), K.NUMBER, required=False),
            ],
        ),
        q(
            _("Propriété intellectuelle (brevets, licences, logiciel libre)"),
            K.LONG_TEXT,
            word_limit=300,
            required=False,
        ),
        q(_("Emplois créés prévus à trois ans (ETP)"), K.NUMBER, min_value=0),
        q(
            _("Plan de financement du projet"),
            K.FILE,
            allowed_extensions="pdf,xlsx,ods",
            max_file_mb=10,
        ),
    ],
    criteria=[
        {"title": _("Caractère innovant"), "weight": "2", "threshold": "3"},
        {"title": _("Potentiel de marché et d'emplois"), "weight": "2", "threshold": "3"},
        {"title": _("Capacité de l'équipe"), "weight": "1", "threshold": "3"},
    ],
)

STARTING_POINTS = {point.code: point for point in (ASSOCIATION, INNOVATION)}
SCALE = (Decimal("0"), Decimal("5"))
