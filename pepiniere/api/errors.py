"""422 answers in French. django-ninja passes pydantic's validation errors through, whose `msg`
is English (« Input should be 'a' or 'b' »): each error keeps its `type`, `loc` and `ctx` (what
a program reads; pydantic's types are stable) and gets a French `msg` for the types a caller
meets. Errors the platform raises itself (`value_error`, from writes.py) are French already and
kept; an unknown type gets a general French message."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def _listed(value: Any) -> str:
    # pydantic writes alternatives as « 'a', 'b' or 'c' ».
    return str(value).replace(" or ", _(" ou "))


def _message(error: dict[str, Any]) -> str | None:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in ("missing", "missing_argument"):
        return _("Champ obligatoire.")
    if kind in ("literal_error", "enum"):
        return _("Valeur inconnue : %(expected)s attendu.") % {
            "expected": _listed(ctx.get("expected", ""))
        }
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Un nombre entier est attendu.")
    if kind in ("float_parsing", "float_type", "decimal_parsing", "decimal_type"):
        return _("Un nombre est attendu (point décimal : 12500.50).")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next((ctx[k] for k in ("ge", "gt", "le", "lt") if k in ctx), "")
        texts = {
            "greater_than_equal": _("La valeur doit être au moins %(n)s."),
            "greater_than": _("La valeur doit être plus grande que %(n)s."),
            "less_than_equal": _("La valeur doit être au plus %(n)s."),
            "less_than": _("La valeur doit être plus petite que %(n)s."),
        }
        return texts[kind] % {"n": bound}
    if kind in ("string_type", "string_unicode"):
        return _("Un texte est attendu.")
    if kind == "string_too_long":
        return _("%(n)s caractères au plus.") % {"n": ctx.get("max_length", "")}
    if kind == "string_too_short":
        return _("%(n)s caractères au moins.") % {"n": ctx.get("min_length", "")}
    if kind in ("bool_parsing", "bool_type"):
        return _("Vrai ou faux (true ou false) est attendu.")
    if kind.startswith("date") or kind.startswith("datetime"):
        return _("Une date au format AAAA-MM-JJ est attendue.")
    if kind in ("list_type", "tuple_type", "set_type"):
        return _("Une liste est attendue.")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("Un objet JSON est attendu.")
    if kind in ("json_invalid", "json_type"):
        return _("JSON illisible.")
    if kind == "extra_forbidden":
        return _("Champ inconnu.")
    if kind == "value_error":
        return None  # the platform's own message, in French
    return _("Valeur refusée.")


def french(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same errors with their `msg` in French."""
    out = []
    for error in errors:
        message = _message(error)
        out.append({**error, "msg": message} if message is not None else dict(error))
    return out
