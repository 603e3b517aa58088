"""Journey (a): a partner admin signs in, reads the overview, switches to French."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot, World, login

pytestmark = pytest.mark.browser


def test_partner_admin_reads_tier_and_gap_then_switches_to_french(
    page: Page, world: World, shot: Shot
) -> None:
    login(page, "alice")

    # the sign-in form led to the partner's own overview
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Conseil Lyon")
    expect(page.locator("header .who")).to_contain_text("alice · Alpha Conseil Lyon")

    # the tier badge of the overall standing
    overall = page.get_by_role("region", name="Overall")
    expect(overall.locator(".badge")).to_have_text("Advanced")
    expect(overall.locator(".status")).to_have_text("Qualified")
    expect(overall).to_contain_text(
        "Next step: For Premier: 1 more certified person; "
        "EUR 300,000 more resale bookings (12 months)"
    )
    # the gap, sentence by sentence, under the track's next tier
    expect(page.get_by_role("heading", name="What you need for Premier")).to_be_visible()
    gaps = page.locator("ul.gap").first.get_by_role("listitem")
    expect(gaps).to_have_text(
        ["1 more certified person", "EUR 300,000 more resale bookings (12 months)"]
    )
    requirements = page.get_by_role("table", name="Requirements of Premier")
    expect(requirements.get_by_role("row", name="Certified people")).to_contain_text("not met")
    shot(page, "overview-en")

    # the language switcher: the page comes back in French
    with page.expect_navigation():
        page.get_by_label("Language").select_option("fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#language option:checked")).to_have_text("Français")
    # French everywhere: the layout, the portal's templates, Django's own catalog and the
    # engine's bilingual sentences
    expect(page.get_by_label("Langue")).to_have_value("fr")
    expect(page.locator("#language option[value=en]")).to_have_text("Anglais")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    nav = page.get_by_role("navigation").first
    expect(nav.get_by_role("link", name="Vue d'ensemble")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Conseil Lyon")
    overall = page.get_by_role("region", name="Global")
    expect(overall.locator(".badge")).to_have_text("Advanced")  # the program names its tiers
    expect(overall.locator(".status")).to_have_text("Qualifié")
    expect(overall).to_contain_text(
        "Prochaine étape : Pour Premier : encore 1 personne certifiée ; "
        "encore 300 000 EUR de prises de commande revendues (12 mois)"
    )
    expect(
        page.get_by_role("heading", name="Ce qu'il vous manque pour le niveau Premier")
    ).to_be_visible()
    expect(page.locator("ul.gap").first.get_by_role("listitem")).to_have_text(
        [
            "encore 1 personne certifiée",
            "encore 300 000 EUR de prises de commande revendues (12 mois)",
        ]
    )
    expect(page.get_by_role("row", name="Personnes certifiées").first).to_be_visible()
    shot(page, "overview-fr")

    # and back to English
    with page.expect_navigation():
        page.get_by_label("Langue").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="What you need for Premier")).to_be_visible()
