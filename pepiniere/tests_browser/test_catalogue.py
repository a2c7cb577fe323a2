"""The public catalogue in the browser: search, filters, phase tabs, shareable URLs, phone width."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from pepiniere.lib.testing.factories import make_call


def _calls() -> str:
    """Two open calls (one per département), one upcoming, one closed; the slug of the first."""
    now = timezone.now()
    day = datetime.timedelta(days=1)
    economie = make_call(
        title="Économie collaborative",
        summary="Plateformes de partage et circuits courts.",
        departements=["33"],
        fields=False,
    )
    make_call(
        title="Tiers-lieux du Pays basque",
        summary="Espaces partagés de travail.",
        departements=["64"],
        fields=False,
    )
    make_call(
        title="Accélérateur open source",
        opens_at=now + 5 * day,
        closes_at=now + 60 * day,
        fields=False,
    )
    make_call(
        title="French Tech 2016", opens_at=now - 90 * day, closes_at=now - 5 * day, fields=False
    )
    return economie.slug


def _titles(page) -> list[str]:
    return page.locator("#results .card h3").all_inner_texts()


def test_search_and_territory_filter_are_shareable(page):
    _calls()
    page.goto("/")
    results = page.locator("#results")
    expect(results.get_by_role("heading", level=2)).to_have_text("2 appels")

    # Search without the accent, as people type.
    page.get_by_label("Rechercher").press_sequentially("economie")
    expect(results.get_by_role("heading", level=2)).to_have_text("1 appel")
    expect(results.get_by_role("link", name="Économie collaborative")).to_be_visible()
    expect(results.get_by_role("link", name="Tiers-lieux du Pays basque")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"[?&]q=economie(&|$)"))
    page.reload()
    expect(page.get_by_label("Rechercher")).to_have_value("economie")
    assert _titles(page) == ["Économie collaborative"]

    # A département: the call reserved to another one disappears.
    page.goto("/")
    page.get_by_label("Territoire (département)").select_option(label="64 — Pyrénées-Atlantiques")
    expect(results.get_by_role("heading", level=2)).to_have_text("1 appel")
    expect(results.get_by_role("link", name="Tiers-lieux du Pays basque")).to_be_visible()
    expect(results.get_by_role("link", name="Économie collaborative")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"[?&]departement=64(&|$)"))

    # The address can be shared: opened elsewhere, it shows the same result.
    shared = page.url
    other = page.context.new_page()
    other.goto(shared)
    expect(other.get_by_label("Territoire (département)")).to_have_value("64")
    assert _titles(other) == ["Tiers-lieux du Pays basque"]
    other.close()


def test_phase_tabs_show_the_right_calls(page):
    _calls()
    page.goto("/")
    tabs = page.get_by_role("navigation", name="État des appels")

    tabs.get_by_role("link", name=re.compile(r"^À venir")).click()
    expect(page.locator("#results .card")).to_have_count(1)
    assert _titles(page) == ["Accélérateur open source"]
    expect(tabs.get_by_role("link", name=re.compile(r"^À venir"))).to_have_attribute(
        "aria-current", "page"
    )

    tabs.get_by_role("link", name=re.compile(r"^Clos")).click()
    expect(page.locator("#results .card")).to_have_count(1)
    assert _titles(page) == ["French Tech 2016"]

    tabs.get_by_role("link", name=re.compile(r"^Appels ouverts")).click()
    expect(page.locator("#results .card")).to_have_count(2)
    assert sorted(_titles(page)) == ["Tiers-lieux du Pays basque", "Économie collaborative"]


def test_catalogue_fits_a_phone_screen(page):
    slug = _calls()
    page.set_viewport_size({"width": 375, "height": 800})
    for path in ("/", "/?phase=upcoming", f"/appels/{slug}/", "/compte/connexion/"):
        page.goto(path)
        scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
        assert scroll_width <= 375 + 1, f"{path} scrolls sideways on a phone: {scroll_width}px wide"
