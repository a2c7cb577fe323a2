"""The wording of decision letters, editable per call and per decision kind.

A template is Django template language rendered *from a string* by an engine of its own: no
loaders (so ``{% include %}`` and ``{% extends %}`` find nothing), no tag library but the built-in
ones, autoescape on, and a context of plain strings and lists built here, never a model object
(a template cannot call a method, follow a relation or read a field it was not given). Validation
compiles the template and renders it against a sample of every decision kind with unknown
variables made visible, so a typo is refused with the line and the name before anything is saved.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pepiniere.grants.models import Outcome
from pepiniere.lib.dates import long_date
from pepiniere.lib.money import format_eur

_INVALID = "\x00INCONNUE:%s\x00"
_ENGINE = Engine(autoescape=True, libraries={}, loaders=[], string_if_invalid="")
_CHECKING = Engine(
    autoescape=True, libraries={}, loaders=[], string_if_invalid=_INVALID, debug=True
)
MAX_LENGTH = 20_000

# What a template may use, shown to the officers next to the editor.
VARIABLES: list[tuple[str, str | Promise]] = [
    ("organisation", gettext_lazy("raison sociale de la structure")),
    ("projet", gettext_lazy("titre du projet")),
    ("dossier", gettext_lazy("référence du dossier")),
    (
        "appel",
        gettext_lazy(
            "désignation de l'appel, ex. « l'appel à projets « Économie collaborative » »"
        ),
    ),
    ("appel_titre", gettext_lazy("titre de l'appel tel qu'il est publié")),
    ("financeur", gettext_lazy("nom du financeur")),
    (
        "decision",
        gettext_lazy("décision (aide attribuée, retenu, liste complémentaire, non retenu)"),
    ),
    ("motif", gettext_lazy("motif de la décision")),
    ("montant", gettext_lazy("montant attribué, ex. 40 000,00 €")),
    ("reference_decision", gettext_lazy("référence de la délibération ou de l'arrêté")),
    ("date_decision", gettext_lazy("date de la décision, ex. 10 juillet 2015")),
    (
        "notes",
        "notes moyennes par critère (liste : critere, moyenne, maximum), si l'appel les montre",
    ),
    ("avis", gettext_lazy("avis anonymes des expert·es (liste de textes), si l'appel les cite")),
]


def call_designation(title: str) -> str:
    """How a letter names the call after « l' » / « de l' »: a title that already says what it is
    (« Appel à projets « Économie collaborative » ») is used as it is, lower-cased first letter;
    otherwise « appel à projets « title » »."""
    text = " ".join(title.split())
    if text.lower().startswith("appel"):
        return text[0].lower() + text[1:]
    return _("appel à projets « %(t)s »") % {"t": text}


def _num(value: float) -> str:
    return formats.number_format(value, decimal_pos=2 if value % 1 else 0)


def letter_context(
    *,
    organisation: str,
    project: str,
    reference: str,
    call_title: str,
    funder: str,
    outcome: str,
    reason: str = "",
    amount: Decimal | None = None,
    decision_reference: str = "",
    decision_date: datetime.date | None = None,
    scores: list[dict[str, Any]] | None = None,
    comments: list[str] | None = None,
) -> dict[str, Any]:
    """The only names a template sees: strings, and lists of strings."""
    return {
        "organisation": organisation,
        "projet": project,
        "dossier": reference,
        "appel": call_designation(call_title),
        "appel_titre": " ".join(call_title.split()),
        "financeur": funder,
        "decision": str(Outcome(outcome).label),
        "motif": reason,
        "montant": format_eur(amount) if amount is not None else "",
        "reference_decision": decision_reference,
        "date_decision": long_date(decision_date) if decision_date else "",
        "notes": [
            {"critere": s["criterion"], "moyenne": _num(s["mean"]), "maximum": _num(s["max"])}
            for s in scores or []
        ],
        "avis": list(comments or []),
    }


def sample_context(outcome: str, *, call_title: str = "", funder: str = "") -> dict[str, Any]:
    """A fictional letter of the kind, for the preview and the validation."""
    return letter_context(
        organisation="Coopérative Exemple",
        project="Plateforme de réemploi",
        reference="2015-ECO-0001",
        call_title=call_title or "Appel à projets « Économie collaborative »",
        funder=funder or "Région Nouvelle-Aquitaine",
        outcome=outcome,
        reason=_("Rang 1, dans l'enveloppe."),
        amount=Decimal("40000") if outcome == Outcome.AWARDED else None,
        decision_reference="CP n° 15.1234" if outcome == Outcome.AWARDED else "",
        decision_date=datetime.date(2015, 7, 10) if outcome == Outcome.AWARDED else None,
        scores=[{"criterion": "Innovation", "mean": 4.5, "max": 5.0}],
        comments=[_("Projet solide, équipe expérimentée.")],
    )


class TemplateRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_template(text: str, *, label: str, outcome: str) -> None:
    """Refuse a template that does not compile, uses a name it is not given, or fails to render,
    with a French message (the line, the name)."""
    if len(text) > MAX_LENGTH:
        raise TemplateRefused(
            _("%(label)s : %(n)d caractères au plus.") % {"label": label, "n": MAX_LENGTH}
        )
    try:
        template = _CHECKING.from_string(text)
    except TemplateSyntaxError as error:
        line = _line_of(error, text)
        raise TemplateRefused(
            _("%(label)s : modèle invalide%(line)s : %(error)s.")
            % {
                "label": label,
                "line": _(" (ligne %(n)d)") % {"n": line} if line else "",
                "error": _french_syntax_error(str(error)),
            }
        ) from None
    try:
        rendered = template.render(Context(sample_context(outcome)))
    except TemplateDoesNotExist:
        raise TemplateRefused(
            _(
                "%(label)s : le modèle ne peut pas être rendu : « {%% include %%} » et "
                "« {%% extends %%} » ne sont pas permis dans un modèle de courrier."
            )
            % {"label": label}
        ) from None
    except Exception as error:  # another tag failing at render time
        raise TemplateRefused(
            _("%(label)s : le modèle ne peut pas être rendu : %(error)s.")
            % {"label": label, "error": str(error).rstrip(".")[:200] or type(error).__name__}
        ) from None
    if "\x00INCONNUE:" in rendered:
        names = sorted({part.split("\x00")[0] for part in rendered.split("\x00INCONNUE:")[1:]})
        raise TemplateRefused(
            _("%(label)s : variable inconnue %(names)s. Variables possibles : %(known)s.")
            % {
                "label": label,
                "names": ", ".join(f"« {n} »" for n in names),
                "known": ", ".join(name for name, _help in VARIABLES),
            }
        )


_SYNTAX = [
    (
        re.compile(r"Unclosed tag on line \d+: '(\w+)'"),
        gettext_lazy(
            "la balise « {%% %(x)s %%} » n'est pas refermée (« {%% end%(x)s %%} » manquant)"
        ),
    ),
    (
        re.compile(r"Invalid block tag on line \d+: '(\w+)'"),
        gettext_lazy("balise inconnue ou mal placée « {%% %(x)s %%} »"),
    ),
    (
        re.compile(r"'(\w+)' is not a registered tag library"),
        gettext_lazy("« {%% load %(x)s %%} » n'est pas permis dans un modèle de courrier"),
    ),
    (re.compile(r"Invalid filter: '(\w+)'"), gettext_lazy("filtre inconnu « %(x)s »")),
]


def _french_syntax_error(message: str) -> str:
    for pattern, french in _SYNTAX:
        found = pattern.search(message)
        if found:
            return str(french) % {"x": found.group(1)}
    return _("syntaxe incorrecte (%(detail)s)") % {"detail": message.rstrip(".")[:120]}


def _line_of(error: TemplateSyntaxError, text: str) -> int | None:
    info = getattr(error, "template_debug", None)
    if info and "line" in info:
        return int(info["line"])
    token = getattr(error, "token", None)
    position = getattr(token, "position", None)
    if position:
        return text.count("\n", 0, position[0]) + 1
    return None


def render(text: str, context: dict[str, Any]) -> str:
    """Render a template checked by `check_template` (autoescaped HTML)."""
    return _ENGINE.from_string(text).render(Context(context))


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


def default_wording(outcome: str) -> Wording:
    """The default letter of each decision kind (French administrative style)."""
    closing = _(
        "<p>Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations "
        "distinguées.</p>"
    )
    details = _(
        "{% if notes %}<h2>Notes moyennes des expert·es par critère</h2><ul>{% for n in notes %}"
        "<li>{{ n.critere }} : {{ n.moyenne }} / {{ n.maximum }}</li>{% endfor %}</ul>{% endif %}\n"
        "{% if avis %}<h2>Avis des expert·es</h2>{% for a in avis %}"
        "<p>Expert·e {{ forloop.counter }} : {{ a }}</p>{% endfor %}{% endif %}\n"
    )
    subject = _("{{ appel_titre }} — dossier {{ dossier }} : {{ decision }}")
    if outcome == Outcome.AWARDED:
        body = _(
            "<p>Madame, Monsieur,</p>\n"
            "<p>Nous avons le plaisir de vous informer qu'une aide de {{ montant }} est attribuée à "
            "votre projet « {{ projet }} » (dossier {{ dossier }}), présenté à l'{{ appel }}, par la "
            "décision {{ reference_decision }} du {{ date_decision }}.</p>\n"
            "{% if motif %}<p>{{ motif }}</p>{% endif %}\n"
            "<p>Une convention précisant les conditions de versement de l'aide vous sera adressée "
            "prochainement.</p>\n"
        )
    elif outcome == Outcome.SELECTED:
        body = _(
            "<p>Madame, Monsieur,</p>\n"
            "<p>Nous avons le plaisir de vous informer que le jury a retenu votre projet "
            "« {{ projet }} » (dossier {{ dossier }}), présenté à l'{{ appel }}. Le montant de "
            "l'aide sera fixé par la décision d'attribution, qui vous sera notifiée.</p>\n"
            "{% if motif %}<p>{{ motif }}</p>{% endif %}\n"
        )
    elif outcome == Outcome.RESERVE:
        body = _(
            "<p>Madame, Monsieur,</p>\n"
            "<p>Le jury a inscrit votre projet « {{ projet }} » (dossier {{ dossier }}), présenté à "
            "l'{{ appel }}, sur la liste complémentaire : il pourra être financé si des crédits se "
            "libèrent. Nous vous tiendrons informé·e.</p>\n"
            "{% if motif %}<p>{{ motif }}</p>{% endif %}\n"
        )
    else:
        body = _(
            "<p>Madame, Monsieur,</p>\n"
            "<p>Nous avons le regret de vous informer que votre projet « {{ projet }} » (dossier "
            "{{ dossier }}), présenté à l'{{ appel }}, n'a pas été retenu.</p>\n"
            "{% if motif %}<p>Motif : {{ motif }}</p>{% endif %}\n"
        )
        closing = (
            _(
                "<h2>Voies de recours</h2><p>Cette décision peut faire l'objet d'un recours gracieux "
                "auprès de {{ financeur }}, ou d'un recours contentieux devant le tribunal "
                "administratif compétent, dans un délai de deux mois à compter de sa notification."
                "</p>\n"
            )
            + closing
        )
    return Wording(subject=subject, body=body + details + closing)
