"""An answer as a reader sees it, whatever page shows it (the applicant's version, the expert's
review form, the officer's side-by-side versions): « Oui »/« Non » rather than ``yes``/``no``,
« 1er août 2015 » rather than ``2015-08-01``, « 0,5 » rather than ``0.5``, and a repeatable group's
rows with their column labels. Answers are stored as typed (see answers.py); this only reads them."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pepiniere.calls.models import FieldKind, FormField
from pepiniere.lib.dates import long_date
from pepiniere.lib.money import AmountError, format_eur, parse_decimal

EMPTY = "—"


def answer_text(field: FormField, value: Any, columns: Sequence[FormField] = ()) -> str:
    """``value`` of ``field`` as French text (several lines for a group: one per row). Files
    are not answers here: their names come from the version's attachments."""
    if value is None or value == "" or value == []:
        return EMPTY
    kind = field.kind
    if kind == FieldKind.YES_NO:
        return {"yes": _("Oui"), "no": _("Non")}.get(str(value), str(value))
    if kind == FieldKind.DATE:
        try:
            return long_date(datetime.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)  # a draft keeps what was typed, even when it is not a date
    if kind in (FieldKind.NUMBER, FieldKind.AMOUNT):
        return _number(kind, value)
    if kind == FieldKind.MULTI_CHOICE:
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if kind == FieldKind.GROUP:
        rows = value if isinstance(value, list) else []
        return "\n".join(_row(row, columns) for row in rows if isinstance(row, dict)) or EMPTY
    return str(value)


def _number(kind: str, value: Any) -> str:
    try:
        number = parse_decimal(str(value), currency=kind == FieldKind.AMOUNT)
    except AmountError:
        return str(value)
    if kind == FieldKind.AMOUNT:
        locale = "en_GB" if (get_language() or "fr").startswith("en") else "fr_FR"
        return format_eur(number, locale=locale, cents=number % 1 != 0)
    # « 1 », « 0,5 »: as many decimals as the number has, none for a whole number.
    number = (
        number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()
    )
    return formats.number_format(number, force_grouping=True)


def _row(row: dict[str, Any], columns: Sequence[FormField]) -> str:
    if not columns:
        return " · ".join(str(v) for v in row.values())
    return " · ".join(
        f"{column.label} : {answer_text(column, row.get(column.key))}" for column in columns
    )
