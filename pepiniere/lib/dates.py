"""Dates as a French user types them: « 29/05/2015 », or « 2015-05-29 » from the browser's date
input. Nothing else: no ISO week dates (« 2015-W22-5 »), no ordinal dates, no two-digit years, no
other digits than 0–9, and only years a record can plausibly have."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
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
