"""Query-string and form parameters read strictly.

A view that reads ``request.GET``/``request.POST`` by hand goes through these helpers: a value a
browser or a script can send but that makes no sense (``abc`` for an id, ``NaN`` for an amount, an
id larger than the database's integers) raises :class:`InvalidParameter`, which
:class:`pepiniere.lib.middleware.BadRequestMiddleware` answers with a French 400 page in the site
layout. Never a 500, and never a silently ignored filter (an export must not quietly widen).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _

from pepiniere.lib.dates import DateError, parse_date
from pepiniere.lib.money import AmountError, parse_amount

# Primary keys are BigAutoField (signed 64-bit on PostgreSQL and SQLite).
MAX_ID = 2**63 - 1
MAX_ID_DIGITS = len(str(MAX_ID))


class InvalidParameter(BadRequest):
    """A parameter the request cannot mean; ``message`` is shown to the person, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_int(value: object, *, label: str, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """A whole number in ASCII digits between ``minimum`` and ``maximum``."""
    text = _text(value)
    if not text or len(text) > MAX_ID_DIGITS + 1 or not text.lstrip("-").isascii():
        raise InvalidParameter(
            _("%(label)s : « %(value)s » n'est pas un nombre entier.")
            % {"label": label, "value": str(value)[:40]}
        )
    body = text[1:] if text.startswith("-") else text
    if not body.isdigit():
        raise InvalidParameter(
            _("%(label)s : « %(value)s » n'est pas un nombre entier.")
            % {"label": label, "value": text[:40]}
        )
    number = int(text)
    if not minimum <= number <= maximum:
        raise InvalidParameter(
            _("%(label)s : %(value)s est hors des limites (%(min)d à %(max)d).")
            % {"label": label, "value": text[:40], "min": minimum, "max": maximum}
        )
    return number


def parse_int_id(value: object, *, label: str = "") -> int:
    """A database id: ASCII digits, 1 to 2⁶³−1."""
    return parse_int(value, label=label or _("Identifiant"), minimum=1)


def optional_int_id(value: object, *, label: str = "") -> int | None:
    """An id, or None when the parameter is absent or blank."""
    return None if not _text(value) else parse_int_id(value, label=label)


def parse_int_ids(values: Iterable[object], *, label: str = "") -> list[int]:
    """Several ids (``getlist``), in order, without duplicates."""
    seen: dict[int, None] = {}
    for value in values:
        seen[parse_int_id(value, label=label)] = None
    return list(seen)


def parse_id_pair(value: object, *, label: str) -> tuple[int, int]:
    """``"12-34"``: two ids joined by a dash (an application and a reviewer, for instance)."""
    text = _text(value)
    left, sep, right = text.partition("-")
    if not sep:
        raise InvalidParameter(
            _("%(label)s : « %(value)s » n'est pas une paire d'identifiants.")
            % {"label": label, "value": text[:40]}
        )
    return parse_int_id(left, label=label), parse_int_id(right, label=label)


def amount_param(value: object, *, label: str) -> Decimal | None:
    """An amount filter (``amount_min=40 000``); None when blank."""
    text = _text(value)
    if not text:
        return None
    try:
        return parse_amount(text)
    except AmountError as error:
        raise InvalidParameter(f"{label} : {error.message}") from None


def date_param(value: object, *, label: str) -> datetime.date | None:
    """A date filter (``submitted_from=2015-05-29`` or ``29/05/2015``); None when blank."""
    text = _text(value)
    if not text:
        return None
    try:
        return parse_date(text)
    except DateError as error:
        raise InvalidParameter(f"{label} : {error.message}") from None
