"""Dates as a French user types them and reads them.

Typed: « 29/05/2015 », or « 2015-05-29 » from the browser's date input. Nothing else: no ISO week
dates (« 2015-W22-5 »), no ordinal dates, no two-digit years, no other digits than 0–9, and only
years a record can plausibly have.

Read: « 8 juin 2015 », « 1er juin 2015 » and « 17 janvier 2027 à 12:00 », Paris time, everywhere (templates use the
``day`` and ``moment`` filters of ``lib/templatetags/dates.py``). Django's abbreviated months
(« Jui » for both juin and juillet) are never used."""

from __future__ import annotations

import datetime
import re

from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

_FRENCH = re.compile(r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})", re.ASCII)
_HTML = re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})", re.ASCII)

EARLIEST = datetime.date(1800, 1, 1)
LATEST = datetime.date(2100, 12, 31)


class DateError(ValueError):
    """A typed date that is refused; ``message`` says why, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_date(
    text: str,
    *,
    earliest: datetime.date = EARLIEST,
    latest: datetime.date = LATEST,
    not_in_future: bool = False,
) -> datetime.date:
    """``dd/mm/yyyy`` or ``yyyy-mm-dd`` between ``earliest`` and ``latest`` (and not after today,
    Paris time, when ``not_in_future``); raises DateError with the reason otherwise."""
    raw = str(text).strip()
    shown = raw[:40]
    if not raw:
        raise DateError(_("Indiquez une date."))
    match = _FRENCH.fullmatch(raw) or _HTML.fullmatch(raw)
    if match is None:
        raise DateError(
            _("« %(text)s » n'est pas une date : écrivez-la jj/mm/aaaa, par exemple 29/05/2015.")
            % {"text": shown}
        )
    try:
        value = datetime.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise DateError(
            _("« %(text)s » n'existe pas dans le calendrier (jour ou mois impossible).")
            % {"text": shown}
        ) from None
    if not_in_future:
        latest = min(latest, timezone.localdate())
    if value < earliest:
        raise DateError(
            _("« %(text)s » : la date doit être au plus tôt le %(date)s.")
            % {"text": shown, "date": earliest.strftime("%d/%m/%Y")}
        )
    if value > latest:
        raise DateError(
            _("« %(text)s » : la date ne peut pas être après le %(date)s.")
            % {"text": shown, "date": latest.strftime("%d/%m/%Y")}
        )
    return value


def long_date(value: datetime.date | datetime.datetime | None) -> str:
    """« 8 juin 2015 »: the day as a French reader writes it (month in full, never « Jui »), in
    Paris time for a moment; « — » for no date. The format is a msgid, so English reads
    « 8 June 2015 »."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    # Translators: a Django date format (https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date).
    return _first_of_month(formats.date_format(value, _("j F Y")), value)


def _first_of_month(text: str, value: datetime.date) -> str:
    """French writes the first day of a month as an ordinal: « 1er juin 2015 », never « 1 juin »
    (the other days are cardinal). Django's ``j`` knows no ordinal, so it is added here."""
    if value.day == 1 and (get_language() or "fr").startswith("fr") and text.startswith("1 "):
        return "1er " + text[2:]
    return text


def long_datetime(value: datetime.datetime | datetime.date | None, *, seconds: bool = False) -> str:
    """« 17 janvier 2027 à 12:00 » (« à 12:00:05 » with ``seconds``), Paris time; « — » for none.
    One convention everywhere: the day in full, then the 24-hour clock with a colon."""
    if value is None or value == "":
        return "—"
    if not isinstance(value, datetime.datetime):
        return long_date(value)  # a plain day has no time to show
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    if seconds:
        # Translators: a Django date format; « \à » would also do, « à » is not a format character.
        return _first_of_month(formats.date_format(value, _("j F Y à H:i:s")), value)
    # Translators: a Django date format; in English for example « j F Y, H:i ».
    return _first_of_month(formats.date_format(value, _("j F Y à H:i")), value)
