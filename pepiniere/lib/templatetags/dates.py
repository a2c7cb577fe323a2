"""Dates on every page in one convention (see pepiniere.lib.dates): ``{{ d|day }}`` reads
« 8 juin 2015 », ``{{ t|moment }}`` « 17 janvier 2027 à 12:00 », ``{{ t|moment:"seconds" }}``
« 17 janvier 2027 à 12:00:05 »; Paris time, « — » for none."""

from __future__ import annotations

import datetime

from django import template

from pepiniere.lib.dates import long_date, long_datetime

register = template.Library()


@register.filter
def day(value: datetime.date | datetime.datetime | None) -> str:
    return long_date(value)


@register.filter
def moment(value: datetime.datetime | datetime.date | None, precision: str = "") -> str:
    return long_datetime(value, seconds=precision == "seconds")
