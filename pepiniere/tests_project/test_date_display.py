"""Dates on pages: « 8 juin 2015 », « 2 juillet 2015 », « 17 janvier 2027 à 12:00 » (Paris time),
never Django's abbreviations (« 8 Jui 2015 » was juin, « 2 Jul 2015 » juillet)."""

import datetime
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import translation

from pepiniere.lib.dates import long_date, long_datetime

UTC = datetime.UTC


def test_days_and_moments_read_in_full_in_paris_time():
    with translation.override("fr"):
        assert long_date(datetime.date(2015, 6, 8)) == "8 juin 2015"
        assert long_date(datetime.date(2015, 7, 2)) == "2 juillet 2015"
        noon = datetime.datetime(2027, 1, 17, 11, 0, tzinfo=UTC)  # 12:00 in Paris (winter)
        assert long_datetime(noon) == "17 janvier 2027 à 12:00"
        assert long_datetime(noon, seconds=True) == "17 janvier 2027 à 12:00:00"
        assert long_date(datetime.datetime(2015, 5, 28, 22, 30, tzinfo=UTC)) == "29 mai 2015"
        assert long_datetime(None) == "—"
        assert long_datetime(datetime.date(2015, 6, 8)) == "8 juin 2015"


def test_the_first_of_a_month_is_an_ordinal_in_french_only():
    first = datetime.datetime(2025, 8, 31, 22, 0, tzinfo=UTC)  # 1 September, 00:00 in Paris
    with translation.override("fr"):
        assert long_date(datetime.date(2015, 6, 1)) == "1er juin 2015"
        assert long_date(first) == "1er septembre 2025"
        assert long_datetime(first) == "1er septembre 2025 à 00:00"
        assert long_datetime(first, seconds=True) == "1er septembre 2025 à 00:00:00"
        assert long_date(datetime.date(2015, 6, 11)) == "11 juin 2015"
        assert long_date(datetime.date(2015, 6, 21)) == "21 juin 2015"
    with translation.override("en"):
        assert long_date(datetime.date(2015, 6, 1)) == "1 June 2015"


def test_template_filters():
    moment = datetime.datetime(2015, 7, 2, 16, 0, tzinfo=ZoneInfo("Europe/Paris"))
    template = Template("{% load dates %}{{ d|day }} | {{ t|moment }} | {{ t|moment:'seconds' }}")
    with translation.override("fr"):
        text = template.render(Context({"d": datetime.date(2015, 6, 8), "t": moment}))
    assert text == "8 juin 2015 | 2 juillet 2015 à 16:00 | 2 juillet 2015 à 16:00:00"


def test_templates_show_dates_only_through_the_shared_filters():
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR) / "pepiniere"
    raw = [
        f"{path.relative_to(root)}: {line.strip()[:80]}"
        for path in root.rglob("templates/**/*.html")
        for line in path.read_text().splitlines()
        if "|date:" in line or "|date " in line or "|date}" in line
    ]
    assert not raw, raw
