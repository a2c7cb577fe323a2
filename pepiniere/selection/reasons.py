"""Why each application is in or out of a scenario, in French (through gettext), from the engine's
reason codes and parameters. The engine's own English text is never shown."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pepiniere.selection.constraints import ConstraintSpec, money

EXACT_RULES = {"max-score"}


def constraint_names(labels: list[str], specs: list[ConstraintSpec], tag_labels: dict) -> list[str]:
    names = []
    for label in labels or []:
        if label.startswith("#") and label[1:].isdigit() and int(label[1:]) < len(specs):
            names.append(_("« %(c)s »") % {"c": specs[int(label[1:])].describe(tag_labels)})
        elif label:
            names.append(label)
    return names


def threshold_note(failed: list[str]) -> str:
    if not failed:
        return _("aucune évaluation")
    return ", ".join(_("seuil global") if f == "overall" else f for f in failed)


def explain(
    *,
    code: str,
    params: dict[str, Any],
    info: dict[str, Any],
    rule: str,
    specs: list[ConstraintSpec],
    tag_labels: dict,
    stop_rank: int | None = None,
) -> str:
    """The reason of one application, e.g. « Enveloppe épuisée au rang 14 : il restait … »."""
    rank = params.get("rank", info.get("rank", 0))
    names = constraint_names(params.get("constraints", []), specs, tag_labels)
    joined = _(" et ").join(names)
    left = money(int(params.get("budget_left_cents", 0)))
    needed = money(int(info.get("lowest_cents", 0)))
    prefix = (
        _("Hors de la sélection qui maximise la note totale")
        if rule in EXACT_RULES
        else _("Non financé au rang %(rank)d") % {"rank": rank}
    )
    if code == "funded" and info.get("capped"):
        # The whole of what the cap allows, not the whole request: never "en totalité" here.
        text = _("Financé à hauteur du plafond au rang %(rank)d : %(amount)s.") % {
            "rank": rank,
            "amount": money(int(params["amount_cents"])),
        }
    elif code == "funded":
        text = _("Financé en totalité au rang %(rank)d : %(amount)s.") % {
            "rank": rank,
            "amount": money(int(params["amount_cents"])),
        }
    elif code == "partially_funded":
        if names and any(spec.is_minimum for spec in _specs_named(params, specs)):
            why = _("le reste est nécessaire pour respecter %(c)s") % {"c": joined}
        elif names:
            why = _("limité par %(c)s") % {"c": joined}
        else:
            why = _("limité par le reste de l'enveloppe")
        text = _("Financé en partie au rang %(rank)d : %(amount)s sur %(requested)s, %(why)s.") % {
            "rank": rank,
            "amount": money(int(params["amount_cents"])),
            "requested": money(int(info.get("requested_cents", 0))),
            "why": why,
        }
    elif code == "below_threshold":
        text = _("Non finançable : sous un seuil d'évaluation (%(what)s).") % {
            "what": threshold_note(info.get("failed", []))
        }
        if not info.get("reviewed", True):
            text = _("Non finançable : sans évaluation.")
        elif not info.get("requested_cents"):
            text = _("Non finançable : aucun montant demandé.")
    elif code == "budget_exhausted":
        if rule in EXACT_RULES:
            text = _("%(prefix)s : il restait %(left)s, il fallait au moins %(needed)s.")
        else:
            text = _(
                "Enveloppe épuisée au rang %(rank)d : il restait %(left)s, il fallait au moins %(needed)s."
            )
        text = text % {"prefix": prefix, "rank": rank, "left": left, "needed": needed}
    elif code == "constraint_binding":
        text = _("%(prefix)s : %(c)s atteint.") % {"prefix": prefix, "c": joined}
        if params.get("without"):
            text += " " + _("Il l'aurait été sans cette contrainte.")
    elif code == "held_for_minimum":
        text = _(
            "%(prefix)s : le reste de l'enveloppe (%(left)s) est réservé pour respecter %(c)s."
        ) % {"prefix": prefix, "left": left, "c": joined}
        if params.get("without"):
            text += " " + _("Il l'aurait été sans cette contrainte.")
    elif code == "not_reached":
        text = _(
            "Non examiné : la liste s'est arrêtée au rang %(stop)s, le premier qui ne tenait pas dans l'enveloppe."
        ) % {"stop": stop_rank or "?"}
    elif code == "not_selected":
        text = _("%(prefix)s : le financer n'augmenterait pas la note totale.") % {"prefix": prefix}
    else:
        text = code
    if info.get("capped"):
        text += " " + _("Montant plafonné à %(cap)s par projet (demande : %(asked)s).") % {
            "cap": money(int(info["requested_cents"])),
            "asked": money(int(info["asked_cents"])),
        }
    if params.get("reserve_position"):
        text += " " + _("Liste complémentaire, position %(n)d.") % {"n": params["reserve_position"]}
    return text


def _specs_named(params: dict[str, Any], specs: list[ConstraintSpec]) -> list[ConstraintSpec]:
    out = []
    for label in params.get("constraints", []) or []:
        if label.startswith("#") and label[1:].isdigit() and int(label[1:]) < len(specs):
            out.append(specs[int(label[1:])])
    return out


def explain_unmet(
    *, index: int, shortfall: int, rule: str, specs: list[ConstraintSpec], tag_labels: dict
) -> str:
    spec = specs[index]
    short = (
        _("%(n)d dossier(s) manquant(s)") % {"n": shortfall}
        if spec.is_count
        else _("il manque %(amount)s") % {"amount": money(shortfall)}
    )
    if rule in ("greedy", "greedy-stop"):
        why = _("une règle gloutonne ne cherche pas à atteindre les minimums")
    else:
        why = _(
            "aucune sélection ne l'atteint dans l'enveloppe et avec les contraintes précédentes"
        )
    return _("Minimum non atteint : « %(c)s » (%(short)s) ; %(why)s.") % {
        "c": spec.describe(tag_labels),
        "short": short,
        "why": why,
    }
