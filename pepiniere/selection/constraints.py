"""Scenario constraints as officers write them, stored as JSON, described in French, turned into
engine constraints.

Stored form: ``{"tag": "departement", "value": ["24", "40"], "kind": "min_share", "amount": "0.2"}``

- ``tag``: a proposal tag (see :data:`BASE_TAGS` and the call's own choice / yes-no questions,
  ``field:<key>``) or ``"*"`` for every application;
- ``value``: one value, a list (any of them) or ``None`` with ``"*"``;
- ``kind``: the engine's kinds plus ``min_share`` ("at least X % of the envelope"), which the engine
  does not have and which is turned into ``min_cents`` = the share of the budget rounded up to
  the cent, so that "at least 20 %" never accepts 19.999 %;
- ``amount``: integer cents for ``*_cents``, an integer for ``*_count``, a decimal fraction of the
  budget as a string (``"0.2"``) for the shares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pepiniere.engine.selection import Constraint
from pepiniere.lib.money import AmountError, format_eur, from_cents, parse_amount, to_cents
from pepiniere.organisations.models import OrganisationKind, SizeBand
from pepiniere.programmes.models import Label

ALL = "*"
BASE_TAGS = {
    "departement": gettext_lazy("département"),
    "kind": gettext_lazy("type de structure"),
    "first_time": gettext_lazy("primo-bénéficiaire"),
    "size_band": gettext_lazy("tranche d'effectifs"),
    "axis": gettext_lazy("axe prioritaire"),
}
KINDS = {
    "max_cents": gettext_lazy("au plus (montant en €)"),
    "min_cents": gettext_lazy("au moins (montant en €)"),
    "max_share": gettext_lazy("au plus (% de l'enveloppe)"),
    "min_share": gettext_lazy("au moins (% de l'enveloppe)"),
    "max_count": gettext_lazy("au plus (nombre de dossiers)"),
    "min_count": gettext_lazy("au moins (nombre de dossiers)"),
}
MINIMUM_KINDS = {"min_cents", "min_count", "min_share"}
# One yes / no tag per label: ``label:<slug>`` (selection.services.label_tags).
LABEL_TAG = "label:"
YES = {"oui", "yes", "true", "1", "vrai"}
NO = {"non", "no", "false", "0", "faux"}


class ConstraintFormError(ValueError):
    pass


@dataclass(frozen=True)
class ConstraintSpec:
    tag: str
    value: Any  # None, a scalar, or a list of scalars
    kind: str
    amount: int | str  # cents / count, or a fraction of the budget as a decimal string

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConstraintSpec:
        return cls(data["tag"], data.get("value"), data["kind"], data["amount"])

    def to_json(self) -> dict[str, Any]:
        return {"tag": self.tag, "value": self.value, "kind": self.kind, "amount": self.amount}

    @property
    def is_minimum(self) -> bool:
        return self.kind in MINIMUM_KINDS

    @property
    def is_count(self) -> bool:
        return self.kind.endswith("count")

    def to_engine(self, budget_cents: int, index: int) -> Constraint:
        """The engine constraint; its label ``#index`` lets reasons name it back in French."""
        value = None if self.tag == ALL else self.value
        if isinstance(value, list):
            value = tuple(value)
        kind = self.kind
        amount: int | Fraction
        if kind == "min_share":
            share = Fraction(str(self.amount))
            kind, amount = "min_cents", math.ceil(share * budget_cents)
        elif kind == "max_share":
            amount = Fraction(str(self.amount))  # as the engine reads a decimal string
        else:
            assert isinstance(self.amount, int)  # cents or a count: parse_constraint made an int
            amount = self.amount
        return Constraint(self.tag, value, kind, amount, label=f"#{index}")

    def describe(self, tag_labels: dict[str, Any] | None = None) -> str:
        """A French sentence fragment: « au moins 20 % de l'enveloppe pour département : 24 ou 40 »."""
        scope = describe_scope(self.tag, self.value, tag_labels or BASE_TAGS)
        if self.kind in ("max_share", "min_share"):
            amount = percent(self.amount)
            text = (
                _("au plus %(amount)s de l'enveloppe pour %(scope)s")
                if self.kind == "max_share"
                else _("au moins %(amount)s de l'enveloppe pour %(scope)s")
            )
        elif self.is_count:
            amount = str(self.amount)
            text = (
                _("au plus %(amount)s dossier(s) financé(s) pour %(scope)s")
                if self.kind == "max_count"
                else _("au moins %(amount)s dossier(s) financé(s) pour %(scope)s")
            )
        else:
            amount = money(int(self.amount))
            text = (
                _("au plus %(amount)s pour %(scope)s")
                if self.kind == "max_cents"
                else _("au moins %(amount)s pour %(scope)s")
            )
        return text % {"amount": amount, "scope": scope}

    def amount_for_form(self) -> str:
        if self.kind in ("max_share", "min_share"):
            return _plain_number(Decimal(str(self.amount)) * 100)
        if self.is_count:
            return str(self.amount)
        return _plain_number(from_cents(int(self.amount)))

    def value_for_form(self) -> str:
        if self.value is None:
            return ""
        values = self.value if isinstance(self.value, list) else [self.value]
        return ", ".join(display_value(self.tag, v) for v in values)


def money(cents: int) -> str:
    from django.utils.translation import get_language

    locale = "en_GB" if (get_language() or "fr").startswith("en") else "fr_FR"
    return format_eur(from_cents(cents), locale=locale)


def percent(share: int | str) -> str:
    value = Decimal(str(share)) * 100
    return f"{_plain_number(value)} %"


def _plain_number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


class LabelTagName(str):
    """« label French Tech », the tag's name in the scenario form, knowing the label's own name
    for the sentences (« les structures labellisées French Tech »)."""

    label_name: str = ""


def label_tag_labels() -> dict[str, Any]:
    """The name of each label's tag (one query)."""
    names = {}
    for slug, name in Label.objects.values_list("slug", "name"):
        tag_name = LabelTagName(_("label %(name)s") % {"name": name})
        tag_name.label_name = name
        names[f"{LABEL_TAG}{slug}"] = tag_name
    return names


def display_value(tag: str, value: Any) -> str:
    if tag == "first_time" or isinstance(value, bool):
        return _("oui") if value else _("non")
    if tag == "kind":
        return str(dict(OrganisationKind.choices).get(value, value))
    if tag == "size_band":
        return size_band_labels().get(value, str(value))
    if tag.startswith("field:") and value in ("yes", "no"):
        return _("oui") if value == "yes" else _("non")
    return str(value)


_SIZE_BAND_LABELS: dict[str, str] = {}


def size_band_labels() -> dict[str, str]:
    """INSEE size bands by code, named as people say them: « 1 ou 2 salariés », « 0 salarié »
    (the reference label's parenthesis, which explains the INSEE rule, is left out)."""
    if not _SIZE_BAND_LABELS:  # reference data: read once per process
        for code, label in SizeBand.objects.values_list("code", "label"):
            _SIZE_BAND_LABELS[code] = label.split(" (")[0]
    return _SIZE_BAND_LABELS


def describe_scope(tag: str, value: Any, tag_labels: dict[str, Any]) -> str:
    if tag == ALL or value is None:
        return _("l'ensemble des dossiers")
    values = value if isinstance(value, list) else [value]
    if tag.startswith(LABEL_TAG) and len(set(values)) == 1 and isinstance(values[0], bool):
        # « les structures labellisées French Tech », not « label French Tech : oui ».
        name = getattr(tag_labels.get(tag), "label_name", "") or tag[len(LABEL_TAG) :]
        return (
            _("les structures labellisées %(name)s")
            if values[0]
            else _("les structures non labellisées %(name)s")
        ) % {"name": name}
    shown = [display_value(tag, v) for v in values]
    if len(shown) > 1:
        joined = _("%(head)s ou %(last)s") % {"head": ", ".join(shown[:-1]), "last": shown[-1]}
    else:
        joined = shown[0]
    return f"{tag_labels.get(tag, tag)} : {joined}"


def _parse_value(tag: str, text: str) -> Any:
    if tag == ALL:
        return None
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise ConstraintFormError(
            _("Indiquez la ou les valeurs visées (séparées par des virgules).")
        )
    values: list[Any] = []
    for part in parts:
        if tag == "first_time" or tag.startswith(LABEL_TAG):
            low = part.lower()
            if low not in YES | NO:
                raise ConstraintFormError(
                    _("Primo-bénéficiaire : répondez « oui » ou « non ».")
                    if tag == "first_time"
                    else _("Label : répondez « oui » (labellisées) ou « non ».")
                )
            values.append(low in YES)
        elif tag == "kind":
            by_label = {str(label).lower(): code for code, label in OrganisationKind.choices}
            values.append(by_label.get(part.lower(), part.lower()))
        elif tag == "size_band":
            # The form shows the bands by their labels; a code (« 01 ») is understood too.
            bands = {label.lower(): code for code, label in size_band_labels().items()}
            values.append(bands.get(part.lower(), part.upper()))
        elif tag.startswith("field:") and part.lower() in YES | NO:
            values.append("yes" if part.lower() in YES else "no")
        else:
            values.append(part)
    return values[0] if len(values) == 1 else values


def _parse_amount(kind: str, text: str) -> int | str:
    text = (text or "").strip()
    if not text:
        raise ConstraintFormError(_("Indiquez le montant, le nombre ou le pourcentage."))
    try:
        if kind in ("max_share", "min_share"):
            value = parse_amount(text.replace("%", ""))
            if not 0 <= value <= 100:
                raise ConstraintFormError(_("Un pourcentage est compris entre 0 et 100."))
            return format((value / 100).normalize(), "f")
        if kind in ("max_count", "min_count"):
            if not (text.isascii() and text.lstrip("-").isdigit()):
                raise ValueError(text)
            count = int(text)
            if count < 0:
                raise ConstraintFormError(_("Un nombre de dossiers est positif."))
            return count
        amount = parse_amount(text)
    except (ValueError, InvalidOperation) as exc:
        if isinstance(exc, ConstraintFormError):
            raise
        if isinstance(exc, AmountError):
            raise ConstraintFormError(exc.message) from None
        raise ConstraintFormError(_("« %(text)s » n'est pas un nombre.") % {"text": text}) from None
    if amount < 0:
        raise ConstraintFormError(_("Un montant est positif."))
    return to_cents(amount)


def parse_constraint(
    tag: str, value: str, kind: str, amount: str, tags: dict[str, Any]
) -> ConstraintSpec:
    """One constraint typed in the scenario form; raises ConstraintFormError with a French message."""
    if tag != ALL and tag not in tags:
        raise ConstraintFormError(_("Critère de répartition inconnu : %(tag)s.") % {"tag": tag})
    if kind not in KINDS:
        raise ConstraintFormError(_("Type de contrainte inconnu."))
    return ConstraintSpec(tag, _parse_value(tag, value), kind, _parse_amount(kind, amount))


def specs_from_json(data: list[dict[str, Any]]) -> list[ConstraintSpec]:
    return [ConstraintSpec.from_json(item) for item in data]
